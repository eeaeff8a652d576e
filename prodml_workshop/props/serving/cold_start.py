"""Cold and warm: how long a call takes when everything must start, and when it is running.

A served model behaves like a *function as a service*, but most model servers are not
serverless: they keep a process with the model loaded, so that a request pays only for the
prediction (*warm*). A platform that scales to zero stops that process when idle, and the next
request pays for starting it again (*cold*: start the server, import the libraries, load the
model, answer). :func:`time_call` times one call, :func:`time_calls` repeats one, and
:func:`cold_start_cost` says what a cold start costs against a warm call.

Examples
--------
>>> import time
>>> answer, seconds = time_call(lambda: sum(range(1000)))
>>> answer, seconds < 1
(499500, True)
>>> cold_start_cost(cold_s=6.0, warm_s=np.array([0.004, 0.005, 0.006]))
{'cold_s': 6.0, 'warm_median_ms': 5.0, 'warm_p99_ms': 5.98, 'ratio': 1200.0}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["cold_start_cost", "time_call", "time_calls"]

T = TypeVar("T")


def time_call(call: Callable[[], T]) -> tuple[T, float]:
    """Call ``call()`` once and return its result with the wall-clock seconds it took.

    Parameters
    ----------
    call : callable taking no argument
        What to time, e.g. ``lambda: requests.post(url, json=body)``.

    Returns
    -------
    result : object
        What ``call()`` returned.
    seconds : float
        Its duration (``time.perf_counter``).

    Examples
    --------
    >>> _, seconds = time_call(lambda: time.sleep(0.01))
    >>> seconds >= 0.01
    True
    """
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def time_calls(call: Callable[[], Any], repeat: int) -> np.ndarray:
    """Call ``call()`` ``repeat`` times in a row and return each call's seconds.

    Parameters
    ----------
    call : callable taking no argument
        What to time.
    repeat : int
        How many calls; at least 1.

    Returns
    -------
    numpy.ndarray of shape (repeat,)
        The duration of each call, in order.

    Raises
    ------
    ValueError
        If ``repeat`` is below 1.

    Examples
    --------
    >>> time_calls(lambda: None, repeat=3).shape
    (3,)
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}: time at least one call.")
    return np.array([time_call(call)[1] for _ in range(repeat)])


def cold_start_cost(cold_s: float, warm_s: np.ndarray) -> dict[str, float]:
    """Compare a cold start with warm calls.

    Parameters
    ----------
    cold_s : float
        Seconds from starting the server to its first answer.
    warm_s : numpy.ndarray
        Seconds of each warm call (see :func:`time_calls`).

    Returns
    -------
    dict
        ``cold_s``, ``warm_median_ms``, ``warm_p99_ms`` and ``ratio`` (the cold start in
        median warm calls): what the first request after an idle period pays when the
        platform scales to zero.

    Raises
    ------
    ValueError
        If ``warm_s`` is empty.

    Examples
    --------
    >>> cold_start_cost(2.0, np.array([0.01]))["ratio"]
    200.0
    """
    warm_s = np.asarray(warm_s, dtype=float)
    if warm_s.size == 0:
        raise ValueError("warm_s is empty: time a few warm calls with time_calls first.")
    median = float(np.median(warm_s))
    return {
        "cold_s": round(float(cold_s), 3),
        "warm_median_ms": round(median * 1e3, 3),
        "warm_p99_ms": round(float(np.percentile(warm_s, 99)) * 1e3, 3),
        "ratio": round(float(cold_s) / median, 1),
    }
