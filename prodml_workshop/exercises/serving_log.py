"""Question 4 of ``02_serving.ipynb``: does a model version meet its latency objective?

The check writes prediction logs with the service's own :class:`~prodml_workshop.serving.
PredictionLog` at every check: two or three model versions, requests of 1 to 20 penguins (one
log row per penguin, the request's latency on each; requests to ``/predict`` and
``/predict_proba`` alike), big requests slower. For each log it chooses the objective so that the
common wrong methods — percentiles over prediction rows, the mean (or the median), the maximum,
all versions pooled, ``/predict`` requests alone — give another verdict than the right one; and
in one log a version's 95th percentile sits exactly on the objective (it meets it: only *above*
breaks it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.exercises.core import FunctionQuestion, Incorrect, assert_type
from prodml_workshop.exercises.packaging import fresh_penguins
from prodml_workshop.serving import PredictionLog, read_log, to_records

__all__ = ["SloQuestion", "slo_breaches", "write_slo_log"]

_SPECIES = ("Adelie", "Chinstrap", "Gentoo")
_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


# Request sizes of one version's traffic: mostly single penguins, a few big requests (under 5 %
# of the requests, but a third of the rows), which are the slowest.
_SIZES = [1] * 30 + [2] * 10 + [3] * 6 + [5] * 4 + [20] * 2


def write_slo_log(
    path: str | Path, rng: np.random.Generator, versions: dict[str, tuple[float, float]]
) -> Path:
    """Write a prediction log whose requests take longer the more penguins they carry.

    Parameters
    ----------
    path : str or pathlib.Path
        The SQLite file to create.
    rng : numpy.random.Generator
        Source of randomness.
    versions : dict
        Model version -> (milliseconds per request, milliseconds per penguin); each version
        answers 52 requests of 1 to 20 penguins.

    Returns
    -------
    pathlib.Path
        The log, to read with :func:`~prodml_workshop.serving.read_log`.
    """
    plan = [(v, i, size) for v in versions for i, size in enumerate(_SIZES)]
    plan = [plan[k] for k in rng.permutation(len(plan))]
    penguins = to_records(fresh_penguins(sum(size for *_, size in plan), rng))
    log = PredictionLog(path)
    try:
        start = 0
        for version, i, size in plan:
            fixed, per_row = versions[version]
            records, start = penguins[start : start + size], start + size
            entries = [(f"{version}-{i}", r, str(rng.choice(_SPECIES))) for r in records]
            endpoint = "predict" if rng.random() < 0.7 else "predict_proba"
            latency = (fixed + per_row * size) * float(rng.uniform(0.85, 1.2))
            log.append(endpoint, version, entries, latency_ms=latency)
    finally:
        log.close()
    return Path(path)


def _per_request(log: pd.DataFrame) -> pd.DataFrame:
    return log.drop_duplicates("request_id")


def _p95(values: pd.Series, method: str = "linear") -> float:
    return float(np.percentile(values.to_numpy(dtype=float), 95, method=method))


def slo_breaches(log: pd.DataFrame, slo_ms: float) -> set[str]:
    """The reference answer: versions whose 95th-percentile request latency exceeds ``slo_ms``.

    Examples
    --------
    >>> log = pd.DataFrame({"request_id": ["a", "a", "b"], "model_version": ["v1"] * 3,
    ...                     "latency_ms": [30.0, 30.0, 10.0]})
    >>> slo_breaches(log, 25.0), slo_breaches(log, 30.0)
    ({'v1'}, set())
    """
    requests = _per_request(log)
    return {
        str(version)
        for version, latency in requests.groupby("model_version")["latency_ms"]
        if _p95(latency) > slo_ms
    }


def _wrong_methods(log: pd.DataFrame, slo_ms: float) -> list[tuple[str, str, set[str]]]:
    """Each common wrong method: the case built for it, what to tell the student, its answer."""

    def by(frame: pd.DataFrame, stat: Callable[[pd.Series], float]) -> set[str]:
        grouped = frame.groupby("model_version")["latency_ms"]
        return {str(v) for v, lat in grouped if stat(lat) > slo_ms}

    requests = _per_request(log)
    pooled = _p95(requests["latency_ms"]) > slo_ms
    at_or_above = {
        str(v) for v, lat in requests.groupby("model_version")["latency_ms"] if _p95(lat) >= slo_ms
    }
    typical = (
        "a typical request (the mean or the median): the objective is on the slowest 5 % of "
        "requests"
    )
    return [
        (
            "on",
            "`>=`: a 95th percentile exactly at `slo_ms` meets the objective, only above breaks it",
            at_or_above,
        ),
        (
            "rows",
            "percentiles over log rows: a request of 20 penguins is one wait, not 20",
            by(log, _p95),
        ),
        ("mean", typical, by(requests, np.mean)),
        ("mean", typical, by(requests, np.median)),
        (
            "endpoint",
            "`/predict` alone: the same version answers `/predict_proba`, its requests count too",
            by(requests[requests["endpoint"] == "predict"], _p95),
        ),
        ("max", "the maximum: 5 % of requests may take longer", by(requests, np.max)),
        (
            "pooled",
            "all versions pooled: judge each version on its own requests",
            set(requests["model_version"]) if pooled else set(),
        ),
    ]


def _between(low: float, high: float, rng: np.random.Generator) -> float | None:
    """A value well inside ``(low, high)``, or None when the two are too close to separate."""
    if high - low < 0.03 * high:
        return None
    return float(rng.uniform(low + 0.25 * (high - low), high - 0.25 * (high - low)))


def _objective(log: pd.DataFrame, mistake: str, rng: np.random.Generator) -> float | None:
    """An objective on which ``mistake`` gives another verdict than the right method."""
    requests = _per_request(log)
    by_version = dict(iter(requests.groupby("model_version")["latency_ms"]))
    right = {v: [_p95(lat, m) for m in _METHODS] for v, lat in by_version.items()}
    fastest = min(right, key=lambda v: max(right[v]))
    if mistake == "rows":  # right: meets; over rows: breaks
        rows = log[log["model_version"] == fastest]["latency_ms"]
        return _between(max(right[fastest]), _p95(rows), rng)
    if mistake == "mean":  # right: breaks; the mean: meets
        return _between(float(by_version[fastest].mean()), min(right[fastest]), rng)
    if mistake == "max":  # right: meets; the maximum: breaks
        return _between(max(right[fastest]), float(by_version[fastest].max()), rng)
    if mistake == "endpoint":  # /predict alone gives the other verdict, for some version
        for version, latency in by_version.items():
            alone = latency[requests.loc[latency.index, "endpoint"] == "predict"]
            if alone.empty:
                continue
            p95, low, high = _p95(alone), min(right[version]), max(right[version])
            slo = _between(high, p95, rng) if p95 > high else _between(p95, low, rng)
            if slo is not None and not low <= slo <= high:
                return slo
        return None
    # pooled: the fastest version meets, all versions together break
    return _between(max(right[fastest]), _p95(requests["latency_ms"]), rng)


def _on_the_objective(
    log: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, float, str] | None:
    """The log with one version's 95th percentile exactly on the objective, by any definition.

    The requests ranked 47th to 51st of the version's 52 (every usual definition of the 95th
    percentile, from numpy's ``lower`` to ``statistics.quantiles``, falls among them) get the
    same latency, which becomes the objective. None if that would reorder its requests.
    """
    requests = _per_request(log)
    version = str(rng.choice(sorted(requests["model_version"].unique())))
    latency = requests.loc[requests["model_version"] == version, "latency_ms"].sort_values()
    n = len(latency)
    slo = round(float(latency.iloc[n - 4]), 1)
    if not latency.iloc[n - 7] < slo < latency.iloc[n - 1]:
        return None
    plateau = set(requests.loc[latency.index[n - 6 : n - 1], "request_id"])
    log = log.copy()
    log.loc[log["request_id"].isin(plateau), "latency_ms"] = slo
    return log, slo, version


def _same_verdict_by_any_percentile(
    log: pd.DataFrame, slo_ms: float, *, except_version: str | None = None
) -> bool:
    """Whether every usual percentile definition gives each version the same verdict."""
    for version, latency in _per_request(log).groupby("model_version")["latency_ms"]:
        if version == except_version:
            continue
        values = [_p95(latency, m) for m in _METHODS]
        if 0.98 * min(values) <= slo_ms <= 1.02 * max(values):
            return False
    return True


def slo_cases(rng: np.random.Generator) -> Iterator[tuple[str, pd.DataFrame, float]]:
    """One log and objective per common wrong method, on which it gives the wrong verdict.

    Each case is ``(mistake, log, slo_ms)``; the last (``"on"``) has a version whose 95th
    percentile is exactly the objective: it meets it.

    Examples
    --------
    >>> [mistake for mistake, *_ in slo_cases(np.random.default_rng(0))]
    ['rows', 'mean', 'max', 'pooled', 'endpoint', 'on']
    """
    with tempfile.TemporaryDirectory(prefix="prodml-02-q4-") as tmp:
        for mistake in ("rows", "mean", "max", "pooled", "endpoint", "on"):
            for attempt in range(20):
                versions = {
                    f"skops-{rng.bytes(4).hex()}": (
                        float(rng.uniform(5, 30)), float(rng.uniform(1, 4)) * (1 + k),
                    )
                    for k in range(int(rng.integers(2, 4)))
                }  # fmt: skip
                path = Path(tmp) / f"{mistake}-{attempt}.sqlite"
                log = read_log(write_slo_log(path, rng, versions))
                if mistake == "on":
                    case = _on_the_objective(log, rng)
                    if case is not None and _same_verdict_by_any_percentile(
                        case[0], case[1], except_version=case[2]
                    ):
                        yield mistake, *case[:2]
                        break
                    continue
                slo = _objective(log, mistake, rng)
                if slo is not None and _same_verdict_by_any_percentile(log, slo):
                    yield mistake, log, slo
                    break


class SloQuestion(FunctionQuestion):
    """Which model versions break the objective: 95 % of requests answered within ``slo_ms``."""

    variables = ("versions_breaking_slo",)
    hints = (
        "The objective is about requests: a request of 20 penguins is one wait, not 20. The "
        "log has one row per prediction, with its request's latency on each.",
        "Keep one row per `request_id`, then look at each `model_version` on its own.",
        "The 95th percentile, `Series.quantile(0.95)`, says how long the slowest 5 % wait.",
    )

    def cases(self) -> Iterable[tuple]:
        for mistake, log, slo_ms in slo_cases(np.random.default_rng()):
            self._built_for = mistake  # for the message: the case's own mistake is named first
            yield log, slo_ms

    def reference(self, log: pd.DataFrame, slo_ms: float) -> set[str]:
        self._case = (log, slo_ms)  # for the message
        return slo_breaches(log, slo_ms)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        assert_type(actual, "set", what=what)
        actual = {str(v) for v in actual}
        if actual == expected:
            return
        methods = sorted(_wrong_methods(*self._case), key=lambda m: m[0] != self._built_for)
        for _, mistake, answer in methods:
            if answer == actual:
                raise Incorrect(f"{what} gives the verdict of {mistake}.")
        wrong = sorted(actual ^ expected)[0]
        verdict = "breaks" if wrong in expected else "meets"
        raise Incorrect(f"{what}: version {wrong} {verdict} the objective; yours says otherwise.")
