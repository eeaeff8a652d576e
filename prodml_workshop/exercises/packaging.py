"""Questions of ``01_packaging.ipynb``: a safe package, its manifest, formats, tampering."""

from __future__ import annotations

import copy
import functools
import json
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises.answers import files_digest
from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    Question,
    QuestionSet,
    ThoughtQuestion,
    assert_close,
)
from prodml_workshop.packaging import (
    FORMATS,
    PackagingError,
    load_model,
    read_manifest,
    save_model,
)
from prodml_workshop.packaging.checksums import flip_byte
from prodml_workshop.penguin_model import NUMERIC, penguin_pipeline

__all__ = ["bind", "fresh_penguins", "make_mystery_package", "penguin_model"]

# How far a loaded package's probabilities may be from the model's: ONNX computes in float32.
_PARITY_ATOL = 1e-4


@functools.lru_cache(maxsize=1)
def _fitted_pipeline() -> Any:
    penguins = load_penguins()
    return penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"])


def penguin_model() -> Any:
    """Return the exercises' model: the lecture's species pipeline, fitted on every penguin.

    Returns
    -------
    sklearn.pipeline.Pipeline
        A fresh copy at each call, so that changing it does not change the checks' reference.
    """
    return copy.deepcopy(_fitted_pipeline())


def fresh_penguins(n: int = 40, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Make up penguins the model has never seen: jittered real rows, with holes.

    Parameters
    ----------
    n : int, default=40
        Number of rows.
    rng : numpy.random.Generator, default=None
        Source of randomness; a new unseeded one by default (new rows at every call).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows with the columns of ``PENGUIN_FEATURES``; about 10% of the numeric values
        and of ``sex`` are missing.
    """
    rng = np.random.default_rng() if rng is None else rng
    penguins = load_penguins()[PENGUIN_FEATURES]
    rows = penguins.sample(n, replace=True, random_state=rng).reset_index(drop=True)
    spread = penguins[NUMERIC].std()
    rows[NUMERIC] = rows[NUMERIC] + rng.normal(size=(n, len(NUMERIC))) * 0.1 * spread.to_numpy()
    for column in [*NUMERIC, "sex"]:
        rows.loc[rng.random(n) < 0.1, column] = np.nan
    return rows


def make_mystery_package(path: str | Path) -> Path:
    """Write the package "a colleague sent you" for question 2.

    A classifier of species from five columns (no ``sex``), saved with skops; its manifest says
    it was saved on another machine, under other library versions.

    Parameters
    ----------
    path : str or pathlib.Path
        The package folder (replaced if it is already a package).

    Returns
    -------
    pathlib.Path
        The package folder.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    penguins = load_penguins()
    columns = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    model = Pipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        ("num", make_pipeline(SimpleImputer(), StandardScaler()), columns[1:]),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["island"]),
                    ]
                ),
            ),
            ("classify", LogisticRegression(C=0.5, max_iter=1000)),
        ]
    ).fit(penguins[columns], penguins["species"])
    path = save_model(
        model,
        path,
        format="skops",
        sample_input=penguins[columns].head(),
        metadata={"author": "a colleague", "data": "palmerpenguins 2007-2009"},
    )
    manifest_file = path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["created_at"] = "2025-06-02T09:41:17+00:00"
    manifest["library_versions"].update(
        {"python": "3.11.4", "scikit-learn": "1.8.0", "numpy": "2.3.1", "skops": "0.13.0"}
    )
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def _load_quietly(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model(path)


class SafePackage(Question):
    """Save the model in a format that cannot run code; it must load and predict the same."""

    variables = ("safe_package",)
    hints = (
        "`save_model(model, folder, format=...)` returns the folder: assign it to `safe_package`.",
        "Formats that cannot run code when loaded: look at `FORMATS[name].runs_code_on_load`. "
        "For a scikit-learn pipeline: 'skops', 'onnx' or 'pmml'.",
        "ONNX types its inputs from a sample: pass `sample_input=X.head()`.",
    )

    def _check(self, safe_package: Any) -> None:
        path = Path(safe_package)
        if not path.is_dir():
            raise Incorrect(
                f"there is no folder at {str(path)!r}: put the folder save_model wrote "
                "(its return value) in `safe_package`."
            )
        try:
            manifest = read_manifest(path)
        except PackagingError as err:
            raise Incorrect(f"{path} is not a model package: {err}") from None
        name = manifest["format"]
        if name not in FORMATS:
            raise Incorrect(f"the manifest names an unknown format, {name!r}.")
        if FORMATS[name].runs_code_on_load:
            raise Incorrect(
                f"the package is saved as {name!r}, which can run code when loaded: nobody "
                "should load it unless they trust you, and load_model refuses it without "
                "trusted=True. Choose a format that cannot run code."
            )
        try:
            loaded = _load_quietly(path)
        except Exception as err:
            raise Incorrect(
                f"load_model({str(path)!r}) failed with {type(err).__name__}: {err}"
            ) from None
        rows = fresh_penguins()
        reference = _fitted_pipeline()
        if not hasattr(loaded, "predict_proba"):
            raise Incorrect("the loaded package has no predict_proba: did you save `model`?")
        try:
            actual = loaded.predict_proba(rows)
        except Exception as err:
            raise Incorrect(
                f"the loaded package cannot predict on penguins with the columns "
                f"{PENGUIN_FEATURES} ({type(err).__name__}: {err}); did you save `model`?"
            ) from None
        expected = reference.predict_proba(rows)
        if np.shape(actual) != expected.shape:
            raise Incorrect(
                f"on {len(rows)} new penguins the package gives probabilities of shape "
                f"{np.shape(actual)}, `model` gives {expected.shape}: did you save `model`?"
            )
        gap = float(np.max(np.abs(np.asarray(actual, dtype=float) - expected)))
        if gap > _PARITY_ATOL:
            raise Incorrect(
                f"on {len(rows)} new penguins its probabilities differ from `model`'s by up to "
                f"{gap:.3g}: save `model` itself, unchanged."
            )


class ManifestFacts(Question):
    """Read the scikit-learn version and the number of input columns from a manifest."""

    variables = ("saved_sklearn_version", "n_input_columns")
    hints = (
        "`read_manifest(mystery_package)` returns the manifest as a dict; print it.",
        "One section of the manifest records the versions it was saved with, another describes "
        "the input the model expects: read them, do not guess from what is installed here.",
    )

    def _check(self, saved_sklearn_version: Any, n_input_columns: Any) -> None:
        package = self.namespace.get("mystery_package")
        if package is None:
            raise Incorrect("`mystery_package` is not defined: run the notebook's first cell.")
        manifest = read_manifest(package)
        expected_version = manifest["library_versions"]["scikit-learn"]
        if not isinstance(saved_sklearn_version, str):
            raise Incorrect(
                "`saved_sklearn_version` should be a string such as '1.2.3', "
                f"got {type(saved_sklearn_version).__name__}."
            )
        if saved_sklearn_version.strip() != expected_version:
            import sklearn

            if saved_sklearn_version.strip() == sklearn.__version__:
                raise Incorrect(
                    f"{saved_sklearn_version!r} is the scikit-learn installed here, not the one "
                    "the package was saved with: read the manifest."
                )
            raise Incorrect(
                f"`saved_sklearn_version` is {saved_sklearn_version!r}, but the manifest says "
                "otherwise: look under library_versions."
            )
        assert_close(
            n_input_columns,
            len(manifest["input_schema"]["columns"]),
            what="`n_input_columns`",
            reveal=False,
        )


def _who_reads(fmt: Any) -> str:
    return ", ".join(fmt.languages)


class FormatChoice(Question):
    """Pick a format that fits each situation; any format that fits is accepted."""

    variables = ("format_for_strangers", "format_for_pytorch_weights", "format_for_java_service")
    hints = (
        "Rule out first every format whose `FORMATS[name].runs_code_on_load` is True.",
        "Then the kind of model: `FORMATS[name].model_kinds` ('sklearn' or 'torch').",
        "For the Java service, look at `FORMATS[name].languages`.",
    )
    # variable: (model kind, who loads it, the language that must read it)
    _SITUATIONS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "format_for_strangers": ("sklearn", "people who download it", "Python"),
        "format_for_pytorch_weights": ("torch", "the other team", "Python"),
        "format_for_java_service": ("sklearn", "the Java service", "Java"),
    }

    @staticmethod
    def _why_not(name: str, kind: str, who: str, language: str) -> str | None:
        if name not in FORMATS:
            return f"is not a format of save_model; choose one of {sorted(FORMATS)}"
        fmt = FORMATS[name]
        if fmt.runs_code_on_load:
            return (
                "can run code when loaded (it is pickle underneath): "
                f"{who} would have to trust you completely"
            )
        if kind not in fmt.model_kinds:
            stored = " and ".join(sorted(fmt.model_kinds))
            what = "tensors only" if stored == "torch" else "a scikit-learn model"
            return f"does not store this kind of model ({kind}); it holds {what}"
        if language in fmt.languages:
            return None
        for reader in fmt.languages:  # e.g. "Python (through a JVM)"
            if reader.startswith(f"{language} ("):
                how = reader.removeprefix(f"{language} (").removesuffix(")")
                return (
                    f"is read in {language} only {how}: {who} may not have one "
                    "(a Java runtime of ~100 MB beside their Python)"
                )
        return f"has no {language} reader (it is read from {_who_reads(fmt)})"

    def _check(self, **answers: Any) -> None:
        for variable, (kind, who, language) in self._SITUATIONS.items():
            answer = answers[variable]
            if not isinstance(answer, str):
                raise Incorrect(f"`{variable}` should be a format name (a string).")
            reason = self._why_not(answer.strip().lower(), kind, who, language)
            if reason:
                raise Incorrect(f"`{variable}` = {answer!r} {reason}.")


class IsIntact(FunctionQuestion):
    """Tell whether a package's artifacts are all there and unchanged."""

    variables = ("is_intact",)
    hints = (
        "The manifest lists every artifact with its SHA-256: "
        "`read_manifest(path)['artifacts']` maps a file name to {'sha256': ..., ...}.",
        "`hashlib.sha256(file.read_bytes()).hexdigest()` is a file's SHA-256; a missing file "
        "is not intact either.",
        "Another way: `load_model(path)` checks the same before loading, and raises a "
        "`PackagingError` (ChecksumMismatchError, MissingArtifactError) when it fails.",
    )

    def __init__(self, namespace: dict, label: str, solution: str = "") -> None:
        super().__init__(namespace, label, solution)
        self._truth: dict[str, tuple[bool, str]] = {}
        self._current = ""

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # another byte, and another order, at every check
        model = _fitted_pipeline()
        sample = load_penguins()[PENGUIN_FEATURES].head()
        with tempfile.TemporaryDirectory(prefix="prodml-is-intact-") as tmp:
            tmp = Path(tmp)
            made = []
            for fmt in ("skops", "onnx"):
                original = save_model(model, tmp / fmt, format=fmt, sample_input=sample)
                artifact = FORMATS[fmt].artifact
                made.append((original, True, "is intact: every artifact matches its checksum"))
                changed = shutil.copytree(original, tmp / f"{fmt}-changed")
                size = (changed / artifact).stat().st_size
                position = flip_byte(changed / artifact, int(rng.integers(0, size)))
                made.append((changed, False, f"has byte {position} of {artifact} changed"))
            missing = shutil.copytree(tmp / "skops", tmp / "skops-missing")
            (missing / "model.skops").unlink()
            made.append((missing, False, "lacks its artifact model.skops"))
            self._truth.clear()
            for number, i in enumerate(rng.permutation(len(made)), start=1):
                path, intact, description = made[i]
                package = path.rename(tmp / f"package_{number}")
                self._truth[str(package)] = (intact, f"{package.name} {description}")
                yield (package,)

    def reference(self, path: Path) -> bool:
        self._current = str(path)
        self._files = files_digest(path)  # before the student's function runs
        return self._truth[self._current][0]

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if files_digest(self._current) != self._files:
            raise Incorrect(
                f"{what} changed the package's files (wrote, added or deleted one): a check "
                "only reads the package it is given."
            )
        if not isinstance(actual, bool | np.bool_):
            raise Incorrect(f"{what} returned {actual!r}; it should return True or False.")
        if bool(actual) != expected:
            description = self._truth[self._current][1]
            raise Incorrect(f"is_intact returned {bool(actual)}, but {description}.")


class ChecksumsAreNotSignatures(ThoughtQuestion):
    """Why do checksums in the manifest not stop a malicious model?"""

    variables: ClassVar[tuple[str, ...]] = ("checksums_are_not_enough",)


_QUESTIONS = QuestionSet(
    "01_packaging",
    [SafePackage, ManifestFacts, FormatChoice, IsIntact, ChecksumsAreNotSignatures],
)
bind = _QUESTIONS.bind
