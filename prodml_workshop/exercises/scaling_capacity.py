"""Question 4 of ``03_scaling.ipynb``: a replica's capacity, read from a load test.

The check makes up load-test stages at every check, as :func:`~prodml_workshop.scaling.load_test`
returns them, with the two ways a load test misleads: past saturation the median latency stays
fine while the 95th percentile soars, and an overloaded server that sheds load answers fast
errors, so its stage shows the best throughput and a low latency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.exercises.core import FunctionQuestion, Incorrect, assert_type

__all__ = ["Capacity", "capacity_reference", "made_up_load_test"]


def made_up_load_test(rng: np.random.Generator | None = None, *, dip: bool = False) -> pd.DataFrame:
    """Return load-test stages as :func:`~prodml_workshop.scaling.load_test` gives them.

    Throughput climbs with the users until the server saturates; past it, requests queue (the
    p95 latency soars while the median looks fine) and, at the top, the server sheds load with
    fast errors (failures, with a low latency).

    Parameters
    ----------
    rng : numpy.random.Generator, default=None
        Source of randomness; a new unseeded one by default.
    dip : bool, default=False
        Whether throughput falls past saturation (contention: locks, context switches)
        instead of still creeping up.

    Returns
    -------
    pandas.DataFrame
        Columns ``users``, ``rps``, ``p50_ms``, ``p95_ms``, ``failures``; stages in a random
        order; latencies in whole milliseconds.

    Examples
    --------
    >>> list(made_up_load_test(np.random.default_rng(0)).columns)
    ['users', 'rps', 'p50_ms', 'p95_ms', 'failures']
    """
    rng = np.random.default_rng() if rng is None else rng
    users = np.array([1, 2, 4, 8, 16, 32, 64, 128])
    service_ms = float(rng.uniform(4, 40))
    capacity = float(rng.integers(3, 6))  # concurrent requests served at once
    # Throughput still creeps up past saturation (or dips), and latency climbs at every stage.
    creep = 1 + 0.03 * np.log2(users)
    rps = 1000 / service_ms * np.minimum(users, capacity) * creep
    if dip:
        rps = rps * np.where(users > capacity, (capacity / users) ** 0.15, 1.0)
    queue = np.maximum(users / capacity, 1)
    p50 = np.round(service_ms * (1 + 0.3 * (queue - 1)) * creep) + np.arange(len(users))
    p95 = np.round(service_ms * 1.6 * queue**1.5 * creep) + 2 * np.arange(len(users))
    failures = np.zeros(len(users), dtype=int)
    # The top stage: overloaded, the server refuses fast; its throughput looks the best.
    rps[-1], p50[-1], p95[-1] = rps.max() * 1.4, 2.0, np.round(service_ms * 1.5)
    failures[-1] = int(rng.integers(200, 2000))
    stages = pd.DataFrame(
        {"users": users, "rps": rps.round(1), "p50_ms": p50, "p95_ms": p95, "failures": failures}
    )
    return stages.sample(frac=1, random_state=rng).reset_index(drop=True)


def capacity_reference(stats: pd.DataFrame, slo_ms: float) -> float | None:
    """The highest ``rps`` of a stage with no failure and ``p95_ms <= slo_ms``, else None."""
    ok = stats[(stats["failures"] == 0) & (stats["p95_ms"] <= slo_ms)]
    return None if ok.empty else float(ok["rps"].max())


class Capacity(FunctionQuestion):
    """How many requests per second one replica serves within the latency objective."""

    variables = ("capacity_rps",)
    hints = (
        "A stage counts only if its requests met the objective: look at the tail latency "
        "(`p95_ms`), not the median.",
        "Overloaded servers refuse fast: a stage with failures has a fine-looking latency and "
        "the best throughput, but its users got errors.",
        "Among the stages that count, the highest `rps`; `None` if no stage counts. The stages "
        "are in no particular order.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # new load tests at every check
        stats = made_up_load_test(rng)
        clean = stats[stats["failures"] == 0].sort_values("users")
        # The objective is exactly a stage's p95 (it counts), below the next stage's p95 but
        # above that stage's median: the median, a strict `<` or the top rps each answer wrong.
        at = int(rng.integers(len(clean) - 5, len(clean) - 2))
        good, rest = clean.index[: at + 1], stats.index.difference(clean.index[: at + 1])
        # Among the stages that count, the best one neither first nor last in the table.
        order = [good[at - 1], good[at], *rng.permutation(good[: at - 1]), *rng.permutation(rest)]
        yield stats.loc[order].reset_index(drop=True), float(clean["p95_ms"].iloc[at])
        yield stats, float(stats["p95_ms"].min() - 1)  # no stage is good enough
        # Throughput dips past saturation while the p95 still meets the objective: the stage
        # with the most users that meets it is not the one with the highest rps.
        stats = made_up_load_test(rng, dip=True)
        clean = stats[stats["failures"] == 0].sort_values("users")
        peak = int(np.argmax(clean["rps"].to_numpy()))
        yield stats, float(clean["p95_ms"].iloc[peak + int(rng.integers(1, 3))])
        for _ in range(2):
            stats = made_up_load_test(rng)
            yield stats, float(rng.uniform(stats["p95_ms"].min(), stats["p95_ms"].max()))

    def reference(self, stats: pd.DataFrame, slo_ms: float) -> float | None:
        self._case = (stats, slo_ms)  # for the message
        return capacity_reference(stats, slo_ms)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if expected is None or actual is None:
            if actual is not expected:
                raise Incorrect(
                    f"{what} returned {actual!r}: "
                    + ("no stage meets the objective without failures." if expected is None
                       else "some stages meet the objective.")
                )  # fmt: skip
            return
        assert_type(actual, "number", what=what)
        stats, slo_ms = self._case
        row = stats[np.isclose(stats["rps"], float(actual))]
        if row.empty:
            raise Incorrect(f"{what} returned {actual!r}, which is not the rps of a stage.")
        if math.isclose(float(actual), expected):
            return
        stage = row.iloc[0]
        if stage["failures"] > 0:
            raise Incorrect(f"{what} counted the stage with {stage['failures']} failed requests.")
        if stage["p95_ms"] > slo_ms:
            raise Incorrect(
                f"{what} counted a stage whose p95 latency is above the objective"
                + (" (its median is within: the objective is on the p95)."
                   if stage["p50_ms"] <= slo_ms else ".")
            )  # fmt: skip
        good = stats[(stats["failures"] == 0) & (stats["p95_ms"] <= slo_ms)]
        if stage["users"] == good["users"].max():
            raise Incorrect(
                f"{what} took the stage with the most users among those that meet the "
                "objective, but throughput can fall as users grow (contention): take the "
                "highest rps."
            )
        raise Incorrect(f"{what} is not the highest rps among the stages that meet the objective.")
