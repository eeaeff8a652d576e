"""A switch of versions seen from a client: which version answers, second by second.

:func:`measure_switchover` keeps sending a request to the service while an action runs (a
deployment, a rollback), and notes, for each answer, the version that gave it (the
``X-Model-Version`` header) or that none came. The :class:`Switchover` says how long the old
version still answered after the call began, when the new one first answered, and how long
there was no answer in between.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Switchover", "measure_switchover"]


@dataclass(frozen=True)
class Switchover:
    """The answers a client got while the service switched versions.

    Attributes
    ----------
    answers : pandas.DataFrame
        One row per request: ``seconds`` (since the call began; negative before it),
        ``request_id`` and ``model_version`` (None when no answer came).
    call_seconds : float
        How long the call took.
    old, new : str or None
        The version answering just before the call, and at the end.

    Examples
    --------
    >>> answers = pd.DataFrame({"seconds": [-0.1, 0.2, 0.5, 0.9],
    ...                         "request_id": ["p-0", "p-1", "p-2", "p-3"],
    ...                         "model_version": ["a", "a", None, "b"]})
    >>> switch = Switchover(answers, call_seconds=1.0, old="a", new="b")
    >>> switch.old_after_call, switch.first_new, switch.without_answer
    (0.2, 0.9, 0.7)
    """

    answers: pd.DataFrame
    call_seconds: float
    old: str | None
    new: str | None

    def _after(self) -> pd.DataFrame:
        return self.answers[self.answers["seconds"] >= 0]

    @property
    def old_after_call(self) -> float:
        """Seconds after the call began of the old version's last answer (0 if none)."""
        after = self._after()
        seconds = after.loc[after["model_version"] == self.old, "seconds"]
        return float(seconds.max()) if len(seconds) else 0.0

    @property
    def first_new(self) -> float:
        """Seconds after the call began of the new version's first answer (NaN if none)."""
        after = self._after()
        return float(after.loc[after["model_version"] == self.new, "seconds"].min())

    @property
    def without_answer(self) -> float:
        """Seconds between the old version's last answer and the new one's first."""
        return round(self.first_new - self.old_after_call, 6)

    def __str__(self) -> str:
        return (
            f"{self.old} answered until {self.old_after_call:.2f} s after the call, no answer "
            f"for {self.without_answer:.2f} s, {self.new} from {self.first_new:.2f} s (the call "
            f"took {self.call_seconds:.2f} s)"
        )


def measure_switchover(
    url: str,
    action: Callable[[], Any],
    *,
    record: dict[str, Any],
    interval: float = 0.02,
    settle: float = 0.5,
    timeout: float = 2.0,
    prefix: str = "probe",
) -> tuple[Any, Switchover]:
    """Run an action while a client keeps asking the service; return its result and what was seen.

    Parameters
    ----------
    url : str
        The service's base URL (it keeps its URL across the switch, see
        :func:`~.deployment.deploy`).
    action : callable
        What switches the version, e.g. ``lambda: rollback(registry, log_db=log_db)``.
    record : dict
        One valid record, sent as ``POST /predict`` every ``interval`` seconds.
    interval : float, default=0.02
        Seconds between requests.
    settle : float, default=0.5
        Seconds of requests before the call and after it returns.
    timeout : float, default=2.0
        Seconds to wait for each answer; a request without answer counts as none.
    prefix : str, default="probe"
        The request ids are ``<prefix>-0``, ``<prefix>-1``...: find them in the log.

    Returns
    -------
    (object, Switchover)
        What ``action`` returned, and the answers.

    Examples
    --------
    >>> server, switch = measure_switchover(
    ...     server.url, lambda: rollback(registry, log_db=log_db), record=record
    ... )  # doctest: +SKIP
    >>> print(switch)  # doctest: +SKIP
    """
    import requests

    answers: list[tuple[float, str, str | None]] = []
    stop = threading.Event()

    def probe() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                request_id = f"{prefix}-{len(answers)}"
                try:
                    response = session.post(
                        f"{url}/predict",
                        json={"records": [record]},
                        headers={"X-Request-ID": request_id},
                        timeout=timeout,
                    )
                    version = response.headers.get("X-Model-Version") if response.ok else None
                except requests.RequestException:
                    version = None
                answers.append((time.monotonic(), request_id, version))
                time.sleep(interval)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    try:
        time.sleep(settle)
        called = time.monotonic()
        result = action()
        returned = time.monotonic()
        time.sleep(settle)
    finally:
        stop.set()
        thread.join()
    table = pd.DataFrame(answers, columns=["seconds", "request_id", "model_version"])
    table["seconds"] = (table["seconds"] - called).round(6)
    before = table.loc[(table["seconds"] < 0) & table["model_version"].notna(), "model_version"]
    after = table["model_version"].dropna()
    switch = Switchover(
        table,
        call_seconds=returned - called,
        old=before.iloc[-1] if len(before) else None,
        new=after.iloc[-1] if len(after) else None,
    )
    return result, switch
