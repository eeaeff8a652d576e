"""The session map of the workshop: which notebook teaches what, and for how long."""

from __future__ import annotations

import pandas as pd

__all__ = ["SESSIONS", "session_map"]

SESSIONS: list[tuple[str, str, int]] = [
    ("00_setup.ipynb", "Set-up check and the map of the day", 10),
    ("01_packaging.ipynb", "Packaging: serialization formats, what they keep, what they risk", 40),
    ("02_serving.ipynb", "Serving: a BentoML service, validation, a prediction log", 45),
    ("03_scaling.ipynb", "Scaling: batching, workers, load tests, Dask", 40),
    ("04_monitoring.ipynb", "Monitoring: data drift, technical drift, reports", 40),
    ("05_production.ipynb", "Capstone: put a model into production, and keep it there safely", 35),
]
"""(notebook, topic, minutes) in teaching order; the README's session map shows the same rows."""


def session_map() -> pd.DataFrame:
    """Return the session map as a table with a running clock.

    Returns
    -------
    pandas.DataFrame
        Columns ``notebook``, ``topic``, ``minutes`` and ``starts at`` (minutes from the start).

    Examples
    --------
    >>> int(session_map()["minutes"].sum())
    210
    """
    table = pd.DataFrame(SESSIONS, columns=["notebook", "topic", "minutes"])
    table["starts at"] = table["minutes"].cumsum().shift(fill_value=0)
    return table
