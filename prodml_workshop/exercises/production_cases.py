"""Inputs and reference answers of the ``05_production`` checks.

Every generator yields, at every check, the edge cases that tell the common wrong answers from
the right one, then random cases on top. The reference answers are written from the rules the
notebook states, independently of any student's code. The examples the notebook shows are made
here too (:func:`penguin_profile`, :func:`promotion_example`), like the inputs of the checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import feature_profile

__all__ = [
    "canary_share_cases",
    "canary_share_reference",
    "diagnose_reference",
    "feedback_window",
    "make_window",
    "penguin_profile",
    "promote_reference",
    "promotion_cases",
    "promotion_example",
    "quality_cases",
]

_Case = tuple[Any, ...]


# --- q1: quality --------------------------------------------------------------------------------


def penguin_profile() -> dict[str, Any]:
    """Return the reference profile of the penguin features, as ``save_reference`` stores it.

    Returns
    -------
    dict
        ``{"margin": 0.1, "n_rows": ..., "features": {name: {"kind": ..., ...}}}``.

    Examples
    --------
    >>> penguin_profile()["features"]["island"]["categories"]
    ['Biscoe', 'Dream', 'Torgersen']
    """
    return feature_profile(load_penguins()[PENGUIN_FEATURES])


def _penguin_case(rng: np.random.Generator) -> _Case:
    penguins = load_penguins()[PENGUIN_FEATURES]
    profile = feature_profile(penguins)
    features, margin = profile["features"], profile["margin"]
    rows = penguins.dropna().sample(10, random_state=rng).reset_index(drop=True)
    width = {n: f["max"] - f["min"] for n, f in features.items() if f["kind"] == "numeric"}
    bill, flipper, mass = "bill_length_mm", "flipper_length_mm", "body_mass_g"
    # Inside the widened range only: an answer without the margin flags it.
    rows.loc[0, bill] = features[bill]["max"] + 0.5 * margin * width[bill]
    # Outside it, on the low side.
    rows.loc[1, flipper] = features[flipper]["min"] - 1.5 * margin * width[flipper]
    rows.loc[2, [mass, "sex"]] = [np.nan, None]  # missing, as in the reference: no issue
    rows.loc[5, "island"] = None  # never missing in the reference: an issue
    rows.loc[3, "island"] = "Anvers"  # a category the model never saw
    rows.loc[4, mass] = rows.loc[4, mass] * 100
    rows.loc[4, "sex"] = "unknown"
    rows.insert(0, "request_id", [rng.bytes(4).hex() for _ in range(len(rows))])  # not a feature
    order = rng.permutation(len(rows))
    return rows.iloc[order].reset_index(drop=True), profile


def _exact_case() -> _Case:
    # Round numbers, so that every way of writing the bounds gives the same floats.
    reference = pd.DataFrame(
        {"wind speed": [0.0, 10.0, 4.5, 2.0], "sensor": ["a", "b", "a", None], "firmware": [3] * 4}
    )
    profile = feature_profile(reference, margin=0.25)
    frame = pd.DataFrame(
        {
            "firmware": [3, 3, 4, 3, 3, 3, 3],
            "wind speed": [-2.5, 12.5, 5.0, 12.75, -2.75, np.nan, 0.0],
            "sensor": ["a", "c", "b", None, "a", "b", "A"],
        }
    )
    return frame, profile


def _weather(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "temp max": rng.normal(15, 7, n).round(1),
            "pressure": rng.normal(1015, 8, n).round(1),
            "station": rng.choice(["north", "south", "harbour"], n),
        }
    )


def _weather_case(rng: np.random.Generator, margin: float) -> _Case:
    reference = _weather(rng, 200)
    profile = feature_profile(reference, margin=margin)
    frame = _weather(rng, int(rng.integers(8, 20)))
    spec = profile["features"]["temp max"]
    slack = margin * (spec["max"] - spec["min"])
    frame.loc[0, "temp max"] = spec["max"] + slack + 0.5  # out, just past the margin
    frame.loc[1, "temp max"] = spec["min"] - slack - 0.5
    frame.loc[2, "pressure"] = profile["features"]["pressure"]["max"]  # the edge itself: in
    frame.loc[3, "temp max"] = frame.loc[3, "temp max"] * 9 / 5 + 32 + 60  # °F and then some
    frame.loc[4, "station"] = "airport"
    frame.loc[5, ["temp max", "station"]] = [np.nan, None]
    if margin > 0:  # past the reference's range, within the margin: in
        frame.loc[6, "pressure"] = profile["features"]["pressure"]["min"] - 0.4 * margin * (
            profile["features"]["pressure"]["max"] - profile["features"]["pressure"]["min"]
        )
    return frame.sample(frac=1, random_state=rng).reset_index(drop=True), profile


def quality_cases(rng: np.random.Generator) -> Iterator[_Case]:
    """Frames and profiles for q1: the edge cases, then random weather stations.

    Examples
    --------
    >>> len(list(quality_cases(np.random.default_rng(0))))
    6
    """
    yield _penguin_case(rng)
    yield _exact_case()
    yield _weather_case(rng, 0.0)
    yield _weather_case(rng, 0.25)
    yield _weather_case(rng, float(rng.uniform(0.02, 0.3)))
    frame, profile = _weather_case(rng, 0.1)
    yield frame.head(0), profile


# --- q3: canary share ---------------------------------------------------------------------------


def canary_share_reference(
    requests_per_hour: float,
    hours: float,
    min_requests: int,
    hours_to_detect: float,
    error_budget: int,
) -> float | None:
    """The smallest share giving ``min_requests`` in ``hours``, if the budget allows it.

    Examples
    --------
    >>> canary_share_reference(1000, 4, 400, 2, 200)
    0.1
    >>> canary_share_reference(1000, 4, 400, 2, 199) is None
    True
    """
    share = min_requests / (requests_per_hour * hours)
    if share > 1 + 1e-12:
        return None
    failures = share * requests_per_hour * hours_to_detect
    if failures > error_budget * (1 + 1e-9):
        return None
    return share


def canary_share_cases(rng: np.random.Generator) -> Iterator[_Case]:
    """Arguments for q3: the boundaries, the traps, then random plans.

    Each tuple is ``(requests_per_hour, hours, min_requests, hours_to_detect, error_budget)``.
    """
    yield (1000, 4, 400, 2, 200)  # the budget exactly met: allowed
    yield (250, 4, 1000, 0.5, 10_000)  # exactly all the traffic: share 1
    yield (100, 2, 500, 1, 10_000)  # more than all the traffic: impossible
    yield (2000, 6, 600, 1, 20)  # the budget broken: refuse
    yield (5000, 2, 1000, 0.25, 1000)  # safe up to 0.8, but 0.1 is enough
    yield (600, 10, 600, 0.5, 40)  # within budget at detection, not over all 10 hours
    for _ in range(4):
        rate, hours = float(rng.integers(50, 20_000)), float(rng.integers(1, 48))
        need = int(rng.integers(50, 2000))
        yield (rate, hours, need, float(rng.uniform(0.1, hours)), int(rng.integers(10, 3000)))


# --- q4: promotion gate -------------------------------------------------------------------------

_WEATHER = ("rain", "sun", "fog", "drizzle")


def feedback_window(
    rng: np.random.Generator, labels: list[str], champion_right: list[bool],
    challenger_right: list[bool | None],
) -> pd.DataFrame:  # fmt: skip
    """A feedback window: the true ``label`` and both models' predictions, one row a request.

    ``challenger_right[i]`` is None where the challenger did not score the request (it went in
    shadow later); labels given as None are requests not labelled yet.
    """

    def predict(label: str | None, right: bool | None) -> str | None:
        if right is None:
            return None
        if label is None:
            return str(rng.choice(_WEATHER))
        return label if right else str(rng.choice([w for w in _WEATHER if w != label]))

    return pd.DataFrame(
        {
            "request_id": [rng.bytes(4).hex() for _ in labels],
            "label": labels,
            "champion": [predict(lab, r) for lab, r in zip(labels, champion_right, strict=True)],
            "challenger": [
                predict(lab, r) for lab, r in zip(labels, challenger_right, strict=True)
            ],
        }
    )


def promote_reference(
    feedback: pd.DataFrame, technical_ok: bool, quality_ok: bool, min_rows: int
) -> bool:
    """The gate: both checks pass, enough common rows, challenger at least as accurate.

    Examples
    --------
    >>> window = pd.DataFrame({"label": ["a", "b", None], "champion": ["a", "a", "a"],
    ...                        "challenger": ["a", "b", None]})
    >>> promote_reference(window, True, True, 2), promote_reference(window, True, False, 2)
    (True, False)
    """
    judged = feedback.dropna(subset=["label", "champion", "challenger"])
    if not (technical_ok and quality_ok) or len(judged) < min_rows:
        return False
    champion = int((judged["champion"] == judged["label"]).sum())
    return int((judged["challenger"] == judged["label"]).sum()) >= champion


def make_window(
    rng: np.random.Generator, common: tuple[int, int, int], champion_only: tuple[int, int],
    unlabelled: int,
) -> pd.DataFrame:  # fmt: skip
    """A shuffled feedback window with the given numbers of right answers.

    ``common`` is (rows, champion right, challenger right) on the rows both models scored and
    that have a label; ``champion_only`` is (rows, champion right) where the challenger did not
    score; ``unlabelled`` rows have no label yet.
    """
    n, champ_ok, chall_ok = common
    m, only_ok = champion_only
    labels = [str(rng.choice(_WEATHER)) for _ in range(n + m)] + [None] * unlabelled
    champion = [i < champ_ok for i in range(n)] + [i < only_ok for i in range(m)]
    challenger: list[bool | None] = [i >= n - chall_ok for i in range(n)] + [None] * m
    champion += [bool(rng.random() < 0.5) for _ in range(unlabelled)]
    challenger += [bool(rng.random() < 0.5) for _ in range(unlabelled)]
    window = feedback_window(rng, labels, champion, challenger)
    return window.sample(frac=1, random_state=rng).reset_index(drop=True)


def promotion_example(seed: int = 5) -> pd.DataFrame:
    """Return a feedback window like those q4's check makes up.

    Parameters
    ----------
    seed : int, default=5
        The same window for the same seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``request_id``, ``label``, ``champion``, ``challenger``; ``None`` where a
        label has not come yet or the challenger did not score the request.

    Examples
    --------
    >>> list(promotion_example().columns)
    ['request_id', 'label', 'champion', 'challenger']
    """
    rng = np.random.default_rng(seed)
    return make_window(rng, (48, 36, 38), (20, 9), 12)


def promotion_cases(rng: np.random.Generator) -> Iterator[_Case]:
    """Arguments for q4, ``(feedback, technical_ok, quality_ok, min_rows)``: traps first.

    Examples
    --------
    >>> [promote_reference(*case) for case in promotion_cases(np.random.default_rng(0))][:8]
    [True, False, True, False, True, False, False, False]
    """
    yield make_window(rng, (40, 30, 30), (0, 0), 10), True, True, 30  # a tie: promote
    # The champion was wrong where only it scored: on its own rows it looks worse than it is.
    yield make_window(rng, (40, 34, 32), (40, 5), 5), True, True, 30
    # Rows the challenger did not score are not its errors.
    yield make_window(rng, (40, 30, 33), (30, 30), 5), True, True, 30
    # Plenty of rows, few of them judged by both: no evidence.
    yield make_window(rng, (20, 10, 15), (50, 25), 40), True, True, 30
    yield make_window(rng, (30, 20, 22), (5, 2), 5), True, True, 30  # exactly enough rows
    yield make_window(rng, (60, 40, 55), (0, 0), 5), False, True, 30  # technical drift
    yield make_window(rng, (60, 40, 55), (0, 0), 5), True, False, 30  # data quality
    yield make_window(rng, (60, 45, 44), (10, 2), 5), True, True, 30  # one worse: refuse
    for _ in range(3):
        n = int(rng.integers(20, 120))
        champ, chall = int(rng.integers(n // 2, n + 1)), int(rng.integers(n // 2, n + 1))
        m = int(rng.integers(0, 40))
        yield (
            make_window(rng, (n, champ, chall), (m, int(rng.integers(0, m + 1))), 10),
            bool(rng.random() < 0.8), bool(rng.random() < 0.8), int(rng.integers(20, 60)),
        )  # fmt: skip


# --- q5: diagnosis ------------------------------------------------------------------------------


def diagnose_reference(log: pd.DataFrame, since: pd.Timestamp) -> tuple[str, str]:
    """The runbook: flags on what clients got since ``since`` -> the feed; else the new version.

    Examples
    --------
    >>> from prodml_workshop.exercises.incident_log import incident_log
    >>> log, since, cause = incident_log("model", np.random.default_rng(0))
    >>> diagnose_reference(log, since) == cause
    True
    """
    served = log[log["role"] == "served"]
    after = served[served["timestamp"] >= since]
    flagged = Counter(
        name for text in after["quality"] for name in str(text).split(",") if name.strip()
    )
    if flagged:
        return "data", flagged.most_common(1)[0][0]
    before = set(served.loc[served["timestamp"] < since, "model_version"])
    new = [v for v in after["model_version"].unique() if v not in before]
    return "model", str(new[0])
