"""Questions of ``04_monitoring.ipynb``: PSI, a drifted column, kinds of drift, changed versions."""

from __future__ import annotations

import copy
import functools
import math
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    Question,
    QuestionSet,
    ThoughtQuestion,
    assert_type,
)
from prodml_workshop.exercises.monitoring_drift import DriftedColumn, drift_case
from prodml_workshop.monitoring.statistics import psi_from_shares
from prodml_workshop.packaging import environment_differences, read_manifest

__all__ = [
    "DRIFT_KINDS",
    "SCENARIOS",
    "bind",
    "drift_case",
    "psi_with_bins",
    "weather_manifest",
]

# The share given to an empty bin, so that the logarithm stays finite (Evidently's value).
_EMPTY_SHARE = 1e-4

#: The three kinds of drift the lecture tells apart.
DRIFT_KINDS = ("data", "concept", "technical")

#: Situations to classify in question 3: name -> (description, kind, why).
SCENARIOS: dict[str, tuple[str, str, str]] = {
    "campaign": (
        "A marketing campaign brings in many younger customers: the ages in the requests are "
        "lower than in the training data, and young and old customers buy the way they did.",
        "data",
        "the inputs' distribution moved (younger customers) while the relation between inputs "
        "and what they buy did not",
    ),
    "summer": (
        "A model trained on winter data now receives summer requests: every temperature it sees "
        "is higher than the ones it learned from.",
        "data",
        "only the distribution of an input moved; nothing says the weather now follows other rules",
    ),
    "fraud_tactics": (
        "Fraudsters change tactics: transactions look just like before, amounts and countries "
        "alike, but many that used to be legitimate are now fraud.",
        "concept",
        "the inputs look the same, but the right answer for the same inputs changed: the "
        "relation between inputs and target moved",
    ),
    "relabelled": (
        "The weather observers start calling light-rain days 'fog': the same measurements now "
        "come back with another label.",
        "concept",
        "the same inputs get another true label, so the relation between inputs and output "
        "changed, as in the lecture's Seattle data",
    ),
    "rebuilt_image": (
        "The serving image is rebuilt and picks up a newer scikit-learn: the model loads with "
        "a version warning and a few predictions on the stored reference sample change.",
        "technical",
        "neither the data nor the world changed: the libraries under the model did",
    ),
    "pandas_upgrade": (
        "A dependency upgrade brings pandas 3, and the monitoring job stops: evidently no "
        "longer imports.",
        "technical",
        "a dependency changed under the code, which is technical drift (see the pins in "
        "pyproject.toml)",
    ),
}

# The question 2 data: a fixed seed, so the notebook and the check see the same frames.
_CASE_SEED = 4
_CASE_DRIFTED = "wind"
_CASE_SHIFT_STD = 0.3


def psi_with_bins(reference: Any, current: Any, bins: int = 10) -> float:
    """Reference answer of q1: PSI over equal-width bins spanning both samples.

    Parameters
    ----------
    reference, current : array-like of numbers
        The two samples.
    bins : int, default=10
        Number of equal-width bins between the smallest and the largest value of both samples.

    Returns
    -------
    float
        ``sum((r - c) * ln(r / c))`` over the bins, an empty bin's share replaced by 0.0001.
        With ``bins`` the Sturges number of bins of both samples together this is
        :func:`prodml_workshop.monitoring.psi` (for fewer than 10 000 values with more than
        20 distinct reference values).

    Examples
    --------
    >>> round(psi_with_bins([1, 2, 3, 4], [1, 2, 3, 4], bins=2), 6)
    0.0
    """
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=bins)
    ref_shares = np.histogram(reference, edges)[0] / reference.size
    cur_shares = np.histogram(current, edges)[0] / current.size
    ref_shares = np.where(ref_shares == 0, _EMPTY_SHARE, ref_shares)
    cur_shares = np.where(cur_shares == 0, _EMPTY_SHARE, cur_shares)
    return psi_from_shares(ref_shares, cur_shares)


def _psi_reference_edges(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    # A common variant: bins from the reference's range only (current values outside fall out).
    edges = np.histogram_bin_edges(reference, bins=bins)
    ref_shares = np.histogram(reference, edges)[0] / reference.size
    cur_shares = np.histogram(current, edges)[0] / current.size
    ref_shares = np.where(ref_shares == 0, _EMPTY_SHARE, ref_shares)
    cur_shares = np.where(cur_shares == 0, _EMPTY_SHARE, cur_shares)
    return psi_from_shares(ref_shares, cur_shares)


@functools.lru_cache(maxsize=1)
def _manifest() -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from prodml_workshop.data import load_seattle_weather
    from prodml_workshop.packaging import save_model

    weather = load_seattle_weather()
    features = ["precipitation", "temp_max", "temp_min", "wind"]
    model = LogisticRegression(max_iter=1000).fit(weather[features], weather["weather"])
    with tempfile.TemporaryDirectory(prefix="prodml-monitoring-ex-") as tmp:
        # Any format records the same versions; ONNX saves without importing skops.
        package = save_model(
            model, Path(tmp) / "weather", format="onnx", sample_input=weather[features].head()
        )
        return read_manifest(package)


def weather_manifest() -> dict[str, Any]:
    """Return the manifest of a weather model package saved here and now (a fresh copy).

    Returns
    -------
    dict
        A manifest as :func:`~prodml_workshop.packaging.read_manifest` returns it; its
        ``library_versions`` are this environment's.

    Examples
    --------
    >>> sorted(weather_manifest()["library_versions"])[:3]  # doctest: +SKIP
    ['joblib', 'jpmml_evaluator', 'numpy']
    """
    return copy.deepcopy(_manifest())


def _next_patch(version: str) -> str:
    """The same version with its last number one higher: '3.11.7' -> '3.11.8'."""
    numbers = list(re.finditer(r"\d+", version))
    last = numbers[-1]
    return f"{version[: last.start()]}{int(last.group()) + 1}{version[last.end() :]}"


def _older(version: str, rng: np.random.Generator) -> str:
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    major, minor, patch = parts
    if minor > 0 and rng.random() < 0.6:
        return f"{major}.{minor - 1}.{int(rng.integers(0, 5))}"
    return f"{major}.{minor}.{patch + 1}"


class MyPsi(FunctionQuestion):
    """Write the population stability index over equal-width bins."""

    variables = ("my_psi",)
    hints = (
        "Edges: `np.histogram_bin_edges(np.concatenate([reference, current]), bins=bins)`; "
        "counts: `np.histogram(sample, edges)[0]`.",
        "Shares are counts divided by each sample's size; replace every share of 0 by 0.0001 "
        "with `np.where(shares == 0, 0.0001, shares)`.",
        "PSI is `np.sum((r - c) * np.log(r / c))` with the natural logarithm.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # fresh samples at every check
        n_ref, n_cur = int(rng.integers(200, 1500)), int(rng.integers(100, 1000))
        reference = rng.normal(0, 1, n_ref)
        yield (reference, rng.normal(0, 1, n_cur), 10)
        yield (reference, rng.normal(float(rng.uniform(0.3, 1.0)), 1.2, n_cur), 10)
        # Far apart: many bins are empty on one side.
        yield (reference, rng.normal(3.0, 0.5, n_cur), int(rng.integers(5, 15)))
        # The Sturges number of bins: the result is prodml_workshop.monitoring.psi's.
        current = rng.gamma(2.0, 1.0, n_cur)
        sturges = len(np.histogram_bin_edges(np.concatenate([reference, current]), "sturges")) - 1
        yield (rng.gamma(2.0, 1.2, n_ref), current, sturges)

    def reference(self, reference: Any, current: Any, bins: int) -> float:
        self._args = (np.asarray(reference), np.asarray(current), bins)
        return psi_with_bins(reference, current, bins)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        assert_type(actual, "number", what=what)
        value = float(actual)
        if math.isinf(value) or math.isnan(value):
            raise Incorrect(
                f"{what} returned {value}: a bin is empty in one sample, so its share is 0 and "
                "the logarithm is infinite. Replace shares of 0 by 0.0001 first."
            )
        if math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-12):
            return
        if math.isclose(value, expected / math.log(10), rel_tol=1e-6):
            raise Incorrect(f"{what} is {value:.6g}: use the natural logarithm, np.log.")
        reference, current, bins = self._args
        if math.isclose(value, _psi_reference_edges(reference, current, bins), rel_tol=1e-6):
            raise Incorrect(
                f"{what} is {value:.6g}: the bins must span both samples (edges from "
                "np.concatenate([reference, current])), not the reference alone."
            )
        side = "too high" if value > expected else "too low"
        raise Incorrect(
            f"{what} is {value:.6g}, {side}: check the edges, the shares (count / sample size) "
            "and the 0.0001 for empty bins."
        )


class DriftKinds(Question):
    """Tell data drift, concept drift and technical drift apart."""

    variables = ("drift_kinds",)
    hints = (
        "Data drift: the distribution of the inputs moves. Concept drift: for the same inputs, "
        "the right output changes. Technical drift: the code and libraries under the model "
        "change.",
        "Ask: did the inputs move? Would the same inputs now need another answer? Or did only "
        "the software change?",
    )

    def _check(self, drift_kinds: Any) -> None:
        if not isinstance(drift_kinds, dict):
            raise Incorrect(
                f"`drift_kinds` should be a dict of scenario name to kind, got "
                f"{type(drift_kinds).__name__}."
            )
        missing = [name for name in SCENARIOS if name not in drift_kinds]
        if missing:
            raise Incorrect(f"`drift_kinds` has no answer for {missing}.")
        wrong = []
        for name, (_, kind, why) in SCENARIOS.items():
            answer = drift_kinds[name]
            if not isinstance(answer, str):
                raise Incorrect(f"drift_kinds[{name!r}] should be one of {DRIFT_KINDS}.")
            given = answer.strip().lower().removesuffix(" drift")
            if given not in DRIFT_KINDS:
                raise Incorrect(
                    f"drift_kinds[{name!r}] is {answer!r}; use one of {list(DRIFT_KINDS)}."
                )
            if given != kind:
                wrong.append(f"{name!r} is not {given} drift: {why}")
        if wrong:
            raise Incorrect("; ".join(wrong) + ".")


class ChangedLibraries(FunctionQuestion):
    """Which libraries of a manifest differ from the installed ones?"""

    variables = ("changed_libraries",)
    hints = (
        "`manifest['library_versions']` maps each library (and 'python') to the version it was "
        "saved with.",
        "`library_versions()` from prodml_workshop.packaging gives the installed versions, "
        "with the same names, 'python' included.",
        "A library the manifest names but that is not installed here has changed too: "
        "`installed.get(name)` is None.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # other libraries and versions at every check
        base = weather_manifest()
        names = sorted(n for n in base["library_versions"] if n != "python")
        yield (base,)  # saved here and now: nothing changed

        def changed(**versions: str) -> dict[str, Any]:
            manifest = copy.deepcopy(base)
            manifest["library_versions"].update(versions)
            return manifest

        python = base["library_versions"]["python"]
        # Every time: Python differs in its patch only; a library differs in its patch only,
        # beside one that is not installed here at all.
        yield (changed(python=_next_patch(python)),)
        library = str(rng.choice(names))
        missing = str(rng.choice(["xgboost", "lightgbm", "catboost"]))
        yield (
            changed(
                **{library: _next_patch(base["library_versions"][library])}, **{missing: "2.1.0"}
            ),
        )
        for _ in range(2):  # and at random, older versions of a few libraries
            picked = rng.choice([*names, "python"], size=int(rng.integers(1, 4)), replace=False)
            older = {str(n): _older(base["library_versions"][str(n)], rng) for n in picked}
            yield (changed(**older),)

    def reference(self, manifest: dict[str, Any]) -> set[str]:
        self._versions = manifest["library_versions"]  # the checker's own copy, for the message
        return {d["library"] for d in environment_differences(self._versions)}

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        assert_type(actual, "set", what=what)
        actual = {str(name) for name in actual}
        changed = {d["library"]: d for d in environment_differences(self._versions)}
        missed, extra = expected - actual, actual - expected
        if missed:
            details = ", ".join(
                f"{name} (saved {changed[name]['saved']}, installed "
                f"{changed[name]['installed'] or 'none'})"
                for name in sorted(missed)[:3]
            )
            more = f" and {len(missed) - 3} more" if len(missed) > 3 else ""
            raise Incorrect(f"on a doctored manifest, changed_libraries missed {details}{more}.")
        if extra:
            details = ", ".join(
                f"{name} ({self._versions.get(name, 'not in the manifest')})"
                for name in sorted(extra)[:3]
            )
            more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
            raise Incorrect(
                f"changed_libraries returned {details}{more}, which the manifest records with "
                "the installed version, or does not record at all."
            )


class ThresholdTradeOff(ThoughtQuestion):
    """Why does KS flag a tiny shift on a large sample, and what would you monitor instead?"""

    variables: ClassVar[tuple[str, ...]] = ("large_sample_alarm",)


_QUESTIONS = QuestionSet(
    "04_monitoring", [MyPsi, DriftedColumn, DriftKinds, ChangedLibraries, ThresholdTradeOff]
)
bind = _QUESTIONS.bind
