"""Save a package into a staging folder, load it back as a server would, and compare.

A format either stores a model so that the package loads and predicts like the model, or it
is refused before anything is written where the user asked. Every save therefore goes through
a staging folder: the artifact and manifest are written there, loaded back exactly as a
server would (``trusted=False`` for formats that cannot run code), asked to predict on
``sample_input``, and compared with the model's own predictions (labels equal, values and
probabilities within the format's tolerance). Only then are the files moved into place.

Outcomes are remembered per model content (a SHA-256 of the pickled model, sample, options
and the location of PMML's Java), so that :func:`~prodml_workshop.packaging.format_support`, a
refusal's list of working formats and a following ``save_model`` do not convert the same
model twice.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checksums import sha256_file
from .errors import JavaNotFoundError, UnsafeContentError, UnsupportedFormatError
from .formats import FORMATS, formats_for, get_format
from .java_runtime import java_home
from .load import check_trusted, load_model
from .manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    REFERENCE_FILES,
    read_manifest,
    utc_now,
    write_manifest,
)
from .model_info import ModelInfo, describe_model
from .predictors import TorchPredictor, as_model_input
from .reference import save_reference
from .schema import input_schema
from .versions import library_versions

__all__ = ["Request", "stage", "trial_outcome", "working_formats"]

_REMEMBERED = 64  # outcomes kept
_REUSED_BYTES = 32 * 2**20  # largest artifact kept in memory for reuse


@dataclass(frozen=True, eq=False)
class Request:
    """One model to package, with everything that decides whether a format works for it.

    Attributes
    ----------
    model : object
        The model.
    info : ModelInfo
        What :func:`describe_model` found out about it.
    sample_input : pandas.DataFrame, numpy.ndarray or None
        The sample (a tensor already turned into an array).
    init_kwargs : dict or None
        A PyTorch module's constructor arguments.
    trusted : bool or tuple of str
        The trust the package will be loaded with (pickle and joblib are always loaded
        trusted: they cannot be loaded otherwise).
    key : str or None
        SHA-256 of all the above and of the location of PMML's Java, or ``None`` if the model
        cannot be pickled to hash it.
    """

    model: Any
    info: ModelInfo
    sample_input: Any
    init_kwargs: dict[str, Any] | None
    trusted: bool | tuple[str, ...]
    key: str | None
    _references: dict[bool, np.ndarray] = field(default_factory=dict, repr=False)

    def reference(self, proba: bool) -> np.ndarray:
        """The model's own predictions (or probabilities) on ``sample_input``, computed once.

        They come from a copy of the model: predicting can change a model's state (a k-d
        tree counts its distance calls), and with it the key of a later save.
        """
        if proba not in self._references:
            model = copy.deepcopy(self.model)
            if self.info.kind == "torch":
                model = TorchPredictor(model, self.info.task, self.info.classes)
            X = self.sample_input
            self._references[proba] = np.asarray(
                model.predict_proba(X) if proba else model.predict(X)
            )
        return self._references[proba]

    @classmethod
    def of(
        cls,
        model: Any,
        sample_input: Any,
        init_kwargs: dict[str, Any] | None,
        trusted: Any,
    ) -> Request:
        """Describe a model and its options (raises what :func:`describe_model` raises)."""
        sample_input = as_model_input(sample_input)
        trusted = check_trusted(trusted)
        info = describe_model(model, sample_input, init_kwargs)
        # Java's location too: the one thing outside the model a format's outcome needs.
        key = _content_key((model, sample_input, init_kwargs, trusted, _java_home()))
        return cls(model, info, sample_input, init_kwargs, trusted, key)


@dataclass(frozen=True)
class _Outcome:
    error: type[UnsupportedFormatError] | None  # None: the format works
    reason: str
    artifact: bytes | None  # the checked artifact, if small enough to keep


_OUTCOMES: OrderedDict[tuple[str, str], _Outcome] = OrderedDict()
_OUTCOMES_LOCK = threading.Lock()


class _HashWriter:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)


def _java_home() -> Path | None:
    """PMML's Java, or None where it is not installed."""
    try:
        return java_home()
    except JavaNotFoundError:
        return None


def _content_key(content: Any) -> str | None:
    writer = _HashWriter()
    try:
        pickle.dump(content, writer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # unpicklable (a lambda, say): do not remember, always check anew
        return None
    return writer.digest.hexdigest()


def _remember(request: Request, name: str, outcome: _Outcome) -> None:
    if request.key is None:
        return
    with _OUTCOMES_LOCK:
        _OUTCOMES[(request.key, name)] = outcome
        _OUTCOMES.move_to_end((request.key, name))
        while len(_OUTCOMES) > _REMEMBERED:
            _OUTCOMES.popitem(last=False)


def _write(request: Request, folder: Path, name: str, metadata: dict, artifact: bytes | None):
    fmt = get_format(name, request.info.kind)
    file = folder / fmt.artifact
    if artifact is None:
        try:
            fmt.save(request.model, file, request.info, request.sample_input)
        except UnsupportedFormatError:
            raise
        except Exception as exc:  # a library failing on this model: the format does not fit
            raise UnsupportedFormatError(
                f"{fmt.name} cannot write this model: {type(exc).__name__}: {exc}"
            ) from exc
    else:
        file.write_bytes(artifact)
    info = request.info
    write_manifest(
        folder,
        {
            "manifest_version": MANIFEST_VERSION,
            "format": fmt.name,
            "created_at": utc_now(),
            "model_kind": info.kind,
            "model_class": info.model_class,
            "task": info.task,
            "classes": info.classes,
            "has_predict_proba": info.has_predict_proba,
            "hyperparameters": info.hyperparameters,
            "architecture": (
                {"class": info.model_class, "init_kwargs": info.hyperparameters}
                if info.kind == "torch"
                else None
            ),
            "input_schema": input_schema(request.sample_input),
            "library_versions": library_versions(),
            "metadata": metadata,
            "artifacts": {
                fmt.artifact: {"sha256": sha256_file(file), "size_bytes": file.stat().st_size}
            },
        },
    )


def _mismatch(expected: np.ndarray, actual: np.ndarray, tolerance: float) -> str | None:
    """Why ``actual`` does not reproduce ``expected``, or None if it does."""
    if expected.shape != actual.shape:
        return f"it returns shape {actual.shape} where the model returns {expected.shape}"
    if expected.dtype.kind not in "fiu" or actual.dtype.kind not in "fiu":
        differ = np.flatnonzero(expected.astype(str) != actual.astype(str))
        if differ.size:
            row = differ[0]
            return (
                f"row {row}: it predicts {actual[row]!r} where the model predicts {expected[row]!r}"
            )
        return None
    expected, actual = expected.astype(float), actual.astype(float)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    difference = float(np.max(np.abs(expected - actual), initial=0.0))
    if not difference <= tolerance * scale:  # also refuses NaN
        return (
            f"its output differs from the model's by up to {difference:.3g} "
            f"(the format's tolerance is {tolerance:g} relative)"
        )
    return None


def _check(request: Request, folder: Path, name: str) -> None:
    """Load the staged package as a server would and compare its predictions."""
    fmt = FORMATS[name]
    trusted = True if fmt.runs_code_on_load else request.trusted
    try:
        loaded = load_model(folder, trusted=trusted)
    except UnsafeContentError as exc:
        raise UnsupportedFormatError(
            f"the package would not load with trusted={trusted!r}: {exc} (To save it "
            "anyway, pass that trust to save_model too; every loader of the package, a server "
            "too, must then pass it.)"
        ) from exc
    except Exception as exc:  # whatever fails here would fail in the server too
        raise UnsupportedFormatError(
            f"the saved package does not load: {type(exc).__name__}: {exc}"
        ) from exc
    X = request.sample_input
    if X is None:
        return
    checks = [False] + ([True] if request.info.has_predict_proba else [])
    for proba in checks:
        try:
            actual = np.asarray(loaded.predict_proba(X) if proba else loaded.predict(X))
        except Exception as exc:
            raise UnsupportedFormatError(
                f"the loaded package cannot predict on sample_input: {type(exc).__name__}: {exc}"
            ) from exc
        exact_labels = request.info.task == "classification" and not proba
        problem = _mismatch(
            request.reference(proba), actual, 0.0 if exact_labels else fmt.tolerance
        )
        if problem:
            what = "probabilities" if proba else "predictions"
            raise UnsupportedFormatError(
                f"the loaded package does not reproduce the model's {what} on sample_input: "
                f"{problem}."
            )


def _trial(request: Request, name: str, folder: Path, metadata: dict, reuse: bool) -> None:
    """Write and check a package in ``folder``; raise UnsupportedFormatError if it fails."""
    known = _OUTCOMES.get((request.key, name)) if reuse and request.key else None
    if known is not None and known.error is not None:
        raise known.error(known.reason)
    if known is not None and known.artifact is not None:
        _write(request, folder, name, metadata, known.artifact)
        return
    try:
        _write(request, folder, name, metadata, None)
        _check(request, folder, name)
    except UnsupportedFormatError as exc:
        _remember(request, name, _Outcome(type(exc), str(exc), None))
        raise
    artifact = folder / FORMATS[name].artifact
    kept = artifact.read_bytes() if artifact.stat().st_size <= _REUSED_BYTES else None
    _remember(request, name, _Outcome(None, "", kept))


def trial_outcome(request: Request, name: str) -> UnsupportedFormatError | None:
    """Return why a format cannot store the model, or None if it can (checked for real).

    Parameters
    ----------
    request : Request
        The model and its options.
    name : str
        A format name.

    Returns
    -------
    UnsupportedFormatError or None
    """
    try:
        get_format(name, request.info.kind)
        with tempfile.TemporaryDirectory(prefix="prodml-format-check-") as folder:
            _trial(request, name, Path(folder), {}, reuse=True)
    except UnsupportedFormatError as exc:
        return exc
    return None


def working_formats(request: Request) -> list[str]:
    """Return the formats that store the model so that it loads and predicts alike."""
    return [name for name in formats_for(request.info.kind) if trial_outcome(request, name) is None]


def _check_target(path: Path) -> None:
    if (path / MANIFEST_NAME).is_file():
        read_manifest(path)  # an unreadable manifest is refused here, before any work
        return
    if path.is_file() or (path.exists() and any(path.iterdir())):
        raise FileExistsError(
            f"{path} exists, is not empty and is not a model package; "
            "choose a new folder so that nothing in it is overwritten."
        )


def _keep_reference(path: Path, staging: Path) -> None:
    """Carry the reference of the package at ``path``, if any, into the staged package."""
    if not (path / MANIFEST_NAME).is_file():
        return
    old = read_manifest(path)["artifacts"]
    kept = [name for name in REFERENCE_FILES if name in old and (path / name).is_file()]
    if not kept:
        return
    manifest = read_manifest(staging)
    for name in kept:
        shutil.copy2(path / name, staging / name)
        manifest["artifacts"][name] = old[name]
    write_manifest(staging, manifest)


def _install(staging: Path, path: Path) -> None:
    """Move a checked package into ``path``, replacing the package there if any."""
    old = read_manifest(path)["artifacts"] if (path / MANIFEST_NAME).is_file() else {}
    path.mkdir(parents=True, exist_ok=True)
    new = [file.name for file in staging.iterdir() if file.name != MANIFEST_NAME]
    for name in [*new, MANIFEST_NAME]:
        shutil.move(staging / name, path / name)
    for name in old:
        # Only plain file names: a manifest cannot make us delete outside the package.
        if name not in new and Path(name).name == name:
            (path / name).unlink(missing_ok=True)


def stage(
    request: Request,
    path: Path,
    name: str,
    metadata: dict[str, Any],
    *,
    reuse: bool,
    reference: Any = None,
) -> Path:
    """Write a checked package at ``path``, or raise before writing anything there.

    Parameters
    ----------
    request : Request
        The model and its options.
    path : pathlib.Path
        The package folder.
    name : str
        The format.
    metadata : dict
        The user's metadata.
    reuse : bool
        Whether an artifact already checked for this model may be written again instead of
        converting the model anew (``compare_formats`` measures the conversion, so it does
        not reuse).
    reference : pandas.DataFrame, default=None
        A reference sample, scored by the checked package and stored with it (see
        :func:`~.reference.save_reference`). Without one, the reference of the package at
        ``path``, if any, is kept.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    UnsupportedFormatError
        If the format cannot store the model; the message says why and lists the formats
        that can. Nothing is written then.
    FileExistsError
        If ``path`` is a non-empty folder that is not a model package.
    """
    get_format(name)  # an unknown name is refused without trying the others
    _check_target(path)
    with tempfile.TemporaryDirectory(prefix="prodml-package-") as folder:
        try:
            _trial(request, name, Path(folder), metadata, reuse)
        except UnsupportedFormatError as exc:
            others = [other for other in working_formats(request) if other != name]
            raise type(exc)(
                f"Cannot save this {request.info.model_class.split(':')[-1]} as {name!r}: "
                f"{exc} Nothing was written. Formats that work for this model: "
                f"{others or 'none'}."
            ) from exc
        if reference is None:
            _keep_reference(path, Path(folder))
        else:
            trusted = True if FORMATS[name].runs_code_on_load else request.trusted
            save_reference(folder, reference, trusted=trusted)
        _install(Path(folder), path)
    return path
