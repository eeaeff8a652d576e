"""Prediction logs with an incident in them, for ``05_production`` q5 (diagnose an incident).

A log reads like :func:`~prodml_workshop.serving.read_log` of a service that runs the rollout
practices: one row per prediction, with the ``role`` of the model that made it (``served``
answered the client, ``shadow`` only scored the request), its ``model_version`` and the
``quality`` column (the features out of range or unseen, comma-separated, ``""`` when clean).
:func:`incident_log` writes one of two incidents after the moment complaints began:

* ``"data"``: a feed starts sending out-of-range values; the served version does not change;
* ``"model"``: a new version starts answering (a full rollout or a canary); the data is clean.

Each log also holds the traps a quick diagnosis falls into: a shadow version that appears only
after the complaints, a healthy promotion before them, old quality flags from a feed fixed long
ago, and flags that name several features at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "incident_log"]

#: The weather features the logged requests carry.
FEATURES = ("precipitation", "temp_max", "temp_min", "wind")
_LABELS = ("drizzle", "fog", "rain", "snow", "sun")


def _version(rng: np.random.Generator) -> str:
    # Hash-like, as the service's: their alphabetical order says nothing about their age.
    return f"skops-{rng.bytes(4).hex()}"


def _requests(rng: np.random.Generator, start: pd.Timestamp, n: int) -> pd.DataFrame:
    minutes = np.sort(rng.uniform(0, 60 * 24, n))
    return pd.DataFrame(
        {
            "timestamp": start + pd.to_timedelta(minutes, unit="min"),
            "request_id": [rng.bytes(8).hex() for _ in range(n)],
            "quality": "",
        }
    )


def _flags(rng: np.random.Generator, n: int, culprit: str) -> list[str]:
    """Flags in which ``culprit`` is the most flagged feature, but never the most common text."""
    others = [str(f) for f in rng.permutation([f for f in FEATURES if f != culprit])]
    n_pair = round(0.28 * n)  # culprit in 56 % of the rows; the other text alone in 44 %
    flags = [f"{culprit},{others[0]}"] * n_pair + [f"{others[1]},{culprit}"] * n_pair
    flags += [others[2]] * (n - 2 * n_pair)
    return [str(f) for f in rng.permutation(flags)]


def incident_log(
    kind: str, rng: np.random.Generator | None = None, *, canary: bool = False
) -> tuple[pd.DataFrame, pd.Timestamp, tuple[str, str]]:
    """Write a prediction log holding an incident, and say what caused it.

    Parameters
    ----------
    kind : {"data", "model"}
        The cause: a feature out of range from the complaints on, or a new served version.
    rng : numpy.random.Generator, default=None
        Source of randomness; a new unseeded one by default.
    canary : bool, default=False
        For ``"model"``: the new version answers part of the traffic (a canary) instead of
        all of it.

    Returns
    -------
    log : pandas.DataFrame
        Columns ``timestamp``, ``request_id``, ``role``, ``model_version``, ``quality``,
        ``outputs``, oldest first (a served and a shadow row share a request id).
    since : pandas.Timestamp
        When the complaints began.
    cause : tuple of str
        ``("data", feature)`` or ``("model", version)``.

    Examples
    --------
    >>> log, since, cause = incident_log("data", np.random.default_rng(0))
    >>> cause
    ('data', 'temp_min')
    >>> sorted(log["role"].unique())
    ['served', 'shadow']
    """
    if kind not in ("data", "model"):
        raise ValueError(f"kind must be 'data' or 'model', not {kind!r}.")
    rng = np.random.default_rng() if rng is None else rng
    start = pd.Timestamp("2026-03-02", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 300)))
    old, promoted, new, shadow = (_version(rng) for _ in range(4))
    days = []
    for day in range(6):  # day 3 is the first day of complaints
        requests = _requests(rng, start + pd.Timedelta(days=day), int(rng.integers(25, 45)))
        requests["served_by"] = old if day < 1 else promoted
        if day == 0:  # an old feed problem, fixed the same day
            flagged = rng.random(len(requests)) < 0.5
            requests.loc[flagged, "quality"] = str(rng.choice(FEATURES))
        days.append(requests)
    log = pd.concat(days, ignore_index=True)
    since = start + pd.Timedelta(days=3)
    after = log["timestamp"] >= since
    culprit = str(rng.choice(FEATURES))
    if kind == "data":
        flagged = after & (rng.random(len(log)) < 0.7)
        log.loc[flagged, "quality"] = _flags(rng, int(flagged.sum()), culprit)
        cause = ("data", culprit)
    else:
        moved = after & ((rng.random(len(log)) < 0.3) if canary else True)
        moved[after.idxmax()] = True  # the complaints begin with the new version's first answer
        log.loc[moved, "served_by"] = new
        cause = ("model", new)
    served = log.assign(role="served", model_version=log["served_by"])
    # The shadow starts two hours after the complaints, and after their first request: a
    # version that appeared last, but answered nobody.
    first = log.loc[after, "timestamp"].min()
    shadowed = log[(log["timestamp"] >= since + pd.Timedelta(hours=2)) & (log["timestamp"] > first)]
    shadowed = shadowed.assign(role="shadow", model_version=shadow)
    rows = pd.concat([served, shadowed]).sort_values(["timestamp", "role"], kind="stable")
    rows["outputs"] = rng.choice(_LABELS, size=len(rows))
    columns = ["timestamp", "request_id", "role", "model_version", "quality", "outputs"]
    return rows[columns].reset_index(drop=True), since, cause


def describe_cause(cause: tuple[str, Any]) -> str:
    """Say a cause in words, for a check's message."""
    kind, name = cause
    return f"a data problem in {name}" if kind == "data" else f"the new served version {name}"
