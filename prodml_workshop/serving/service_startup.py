"""Server side: which model the service serves, and the check that it can, at start-up.

``bentoml serve`` imports the service module twice over: once in its main process, which
then starts the worker processes, and once in each worker, which loads the model in the
service's ``__init__``. A model that fails to load in a worker only makes BentoML restart the
worker again and again ("Application startup failed") while the server never gets ready. So
the main process checks first that the package loads (:func:`check_servable`, in a child
process, so that the main process does not hold a copy of the model and its libraries): a
package that cannot be served ends ``bentoml serve`` (and ``bentoml build``) at once, with
exit code 1 and one line naming the reason, e.g.::

    prodml-workshop: cannot serve /data/rf: UnsafeContentError: model.skops holds types ...

The same goes for the service's other settings (:func:`served_rollout`): an unknown
``PRODML_QUALITY``, a canary without its share, or a second model (shadow or canary) that
cannot be served or does not take the served model's features ends it with one line too.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bentoml

from prodml_workshop.packaging import REFERENCE_PROFILE, load_model, read_manifest

from .default_model import model_dir_from_env
from .model_store import bento_model_tag, model_tag, store_package
from .rollout import Rollout, RolloutConfigError, rollout_from_env
from .validation import features

__all__ = [
    "NotServableError",
    "ServedModel",
    "check_servable",
    "served_model",
    "served_rollout",
]


class NotServableError(ValueError):
    """A model package that the service cannot serve; the message says why, in one line.

    A ``ValueError``, as the package passed is what is wrong (a bad argument).
    """


@dataclass(frozen=True)
class ServedModel:
    """The model package the service serves, from BentoML's model store.

    Attributes
    ----------
    tag : str
        Its tag in the model store, e.g. ``"penguins:skops-3f2a9c1b7d04"``.
    path : pathlib.Path
        The package's folder in the store.
    manifest : dict
        Its manifest.
    """

    tag: str
    path: Path
    manifest: dict[str, Any]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _try_load(package: str) -> str | None:
    try:
        load_model(package)
    except Exception as exc:
        traceback.print_exc()  # into the server's log, above the one-line reason
        return f"{type(exc).__name__}: {_one_line(str(exc))}"
    return None


def check_servable(package: str | Path) -> None:
    """Load a model package in a child process, to check that the service can serve it.

    Parameters
    ----------
    package : str or pathlib.Path
        A model package.

    Raises
    ------
    NotServableError
        If :func:`~prodml_workshop.packaging.load_model` fails on it (the child's traceback
        is printed to stderr), or the child process dies. The message is one line:
        ``"cannot serve <package>: <error type>: <message>"``.

    Examples
    --------
    >>> check_servable("models/rf-pickle")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    NotServableError: cannot serve models/rf-pickle: UntrustedFormatError: This package was ...
    """
    # fork starts at once and shares the libraries already imported; macOS and Windows
    # cannot fork safely and start a fresh interpreter instead.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
        try:
            reason = pool.submit(_try_load, str(package)).result()
        except BrokenProcessPool:
            reason = "the process loading it died (out of memory, or a crash in a library)"
    if reason is not None:
        raise NotServableError(f"cannot serve {package}: {reason}")


def _stored(package: Path) -> ServedModel:
    if bentoml.server_context.worker_index is None:  # the workers start after this
        check_servable(package)
        tag = store_package(package)
    else:  # and find the package stored
        tag = model_tag(package)
    path = Path(bentoml.models.get(tag).path)
    return ServedModel(tag, path, read_manifest(path))


def _resolve(bento_tag: str | None) -> ServedModel:
    if bento_tag is None:
        return _stored(model_dir_from_env())
    if bentoml.server_context.worker_index is None:
        check_servable(bentoml.models.get(bento_tag).path)
    path = Path(bentoml.models.get(bento_tag).path)
    return ServedModel(bento_tag, path, read_manifest(path))


def served_model() -> ServedModel:
    """Find the model to serve, put it in BentoML's model store and check that it loads.

    Run when the service module is imported. The model is, in this order:

    1. the Bento's model, when this code runs from a Bento (``bentoml serve <bento tag>``);
       a Bento always serves the model it was built with, whatever ``PRODML_MODEL_DIR``;
    2. the package named by ``PRODML_MODEL_DIR``, copied into the model store;
    3. the default penguin model (:func:`~.default_model.default_model_dir`), likewise.

    In ``bentoml serve``'s main process and in ``bentoml build`` the package is first loaded
    once in a child process (:func:`check_servable`); the workers skip that check.

    Returns
    -------
    ServedModel
        Its tag, its folder in the model store and its manifest.

    Raises
    ------
    SystemExit
        With code 1, if the model cannot be found or served; its message is one line,
        ``"prodml-workshop: cannot serve <package>: <error type>: <message>"``, after the
        traceback of the error.

    Examples
    --------
    >>> served_model().tag  # doctest: +SKIP
    'penguins-skops-sklearn1.9.0:skops-3f2a9c1b7d04'
    """
    target = "the model"
    try:
        bento_tag = bento_model_tag()
        target = bento_tag or os.environ.get("PRODML_MODEL_DIR") or "the default model"
        return _resolve(bento_tag)
    except NotServableError as exc:
        reason = str(exc)
    except Exception as exc:
        traceback.print_exc()
        reason = f"cannot serve {target}: {type(exc).__name__}: {_one_line(str(exc))}"
    raise SystemExit(f"prodml-workshop: {reason}")


def _signature(manifest: dict[str, Any]) -> dict[str, Any]:
    classes = manifest.get("classes") or []
    return {
        "features": features(manifest),
        "task": manifest.get("task"),
        "predict_proba": bool(manifest.get("has_predict_proba")),
        "label type": type(classes[0]).__name__ if classes else None,
    }


def _check_compatible(second: ServedModel, served: ServedModel, role: str, package: Path) -> None:
    mine, theirs = _signature(second.manifest), _signature(served.manifest)
    differ = [key for key in theirs if mine[key] != theirs[key] and theirs[key]]
    if differ:
        key = differ[0]
        raise NotServableError(
            f"cannot serve {package} as the {role} of {served.tag}: {key} {mine[key]!r} "
            f"instead of {theirs[key]!r}; a {role} must take the same requests and answer in "
            "the same terms as the served model. Train it on the same features and labels."
        )


def _check_profile(model: ServedModel, role: str) -> None:
    if REFERENCE_PROFILE not in model.manifest["artifacts"]:
        raise NotServableError(
            f"PRODML_QUALITY=refuse, but {role} ({model.tag}) has no reference profile to check "
            "records against, so it would refuse nothing. Store one with "
            "save_reference(package, X_train), or serve with PRODML_QUALITY=log."
        )


def served_rollout(served: ServedModel) -> tuple[Rollout, ServedModel | None]:
    """Read the data-quality policy and the second model, and store and check the model.

    Run when the service module is imported, after :func:`served_model`. The second
    package (``PRODML_SHADOW_DIR`` or ``PRODML_CANARY_DIR``, see :mod:`.rollout`) is put in
    BentoML's model store like the served one and, in the main process, loaded once in a
    child process; it must have the served model's features, task and label type (and
    ``predict_proba`` when the served model has it). With ``PRODML_QUALITY=refuse`` the
    models that answer must have a reference profile.

    Parameters
    ----------
    served : ServedModel
        The served model, from :func:`served_model`.

    Returns
    -------
    (Rollout, ServedModel or None)
        The settings, and the second model if there is one.

    Raises
    ------
    SystemExit
        With code 1 and one line, ``"prodml-workshop: <reason>"``, if a setting is not
        valid, the refusing policy has no profile to check against, or the second model
        cannot be served beside the served one.

    Examples
    --------
    >>> rollout, second = served_rollout(served_model())  # doctest: +SKIP
    >>> rollout.mode, second.tag  # doctest: +SKIP
    ('shadow', 'weather-v2:skops-5e1d0c2b9a77')
    """
    try:
        rollout = rollout_from_env()
        if rollout.quality == "refuse":
            _check_profile(served, "the served model")
        if rollout.second_dir is None:
            return rollout, None
        package = rollout.second_dir.expanduser().resolve()
        if not (package / "manifest.json").is_file():
            raise NotServableError(
                f"cannot serve {package} as the {rollout.mode}: it is not a model package (no "
                f"manifest.json). Set PRODML_{rollout.mode.upper()}_DIR to a folder written "
                "by save_model."
            )
        second = _stored(package)
        _check_compatible(second, served, rollout.mode, package)
        if rollout.quality == "refuse" and rollout.mode == "canary":
            _check_profile(second, "the canary")
        return rollout, second
    except (RolloutConfigError, NotServableError) as exc:
        reason = str(exc)
    except Exception as exc:
        traceback.print_exc()
        reason = f"cannot serve the second model: {type(exc).__name__}: {_one_line(str(exc))}"
    raise SystemExit(f"prodml-workshop: {reason}")
