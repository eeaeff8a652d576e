"""This machine as a notebook sees it: the CPU cores it may use, and how busy they are.

Every number the scaling session measures depends on both, so the session prints them first.
Python's portable calls come first; a Linux- or Unix-only call is used only where it exists,
and what a system does not report is said, not guessed.

Examples
--------
>>> cpu_cores() >= 1
True
>>> describe_machine().startswith(f"{cpu_cores()} CPU core")
True
"""

from __future__ import annotations

import os

__all__ = ["cpu_cores", "describe_machine", "load_average"]

# A 1-minute load average above this, with the notebook idle, means other programs are using
# the CPU: this run's timings are slower than on an idle machine.
_BUSY_LOAD = 0.5


def cpu_cores() -> int:
    """Return the number of CPU cores this process may run on.

    ``os.process_cpu_count()`` (Python 3.13 and later) where it exists, else
    ``len(os.sched_getaffinity(0))`` (Linux), both of which count only the cores this
    process is allowed on (``taskset``, a container's cpuset); else ``os.cpu_count()``, every
    core of the machine (macOS and Windows before Python 3.13). None of them counts a CPU
    *quota* (a container limited to "1.5 CPUs" of 8 cores still reports 8).

    Returns
    -------
    int
        At least 1 (1 also when the system does not say).

    Examples
    --------
    >>> 1 <= cpu_cores() <= (os.cpu_count() or 1)
    True
    """
    if hasattr(os, "process_cpu_count"):
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return count or 1


def load_average() -> float | None:
    """Return the 1-minute load average, or None where the system does not report one.

    The load average is the number of processes running or waiting to run, averaged over the
    last minute: on 2 cores, 2 means both are busy. Linux and macOS report it
    (``os.getloadavg``); Windows does not (``psutil.getloadavg`` emulates it there, but only
    from its first call on, with zeros for the first 5 seconds: no use for one reading).

    Returns
    -------
    float or None
        The 1-minute load average; None without ``os.getloadavg``, or when it fails.

    Examples
    --------
    >>> load = load_average()
    >>> load is None or load >= 0
    True
    """
    if not hasattr(os, "getloadavg"):
        return None
    try:
        return os.getloadavg()[0]
    except OSError:  # "Load averages are unobtainable"
        return None


def describe_machine() -> str:
    """Say in one sentence how many cores this notebook has and how busy the machine is.

    Returns
    -------
    str
        E.g. ``"2 CPU cores for this notebook; load average 0.12 (above ~0.5, something else
        is using the CPU)"``; where there is no load average, a sentence saying so.

    Examples
    --------
    >>> print(describe_machine())  # doctest: +SKIP
    2 CPU cores for this notebook; load average 0.12 (above ~0.5, something else is using the CPU)
    """
    cores = cpu_cores()
    load = load_average()
    if load is None:
        busy = (
            "this system reports no load average, so whether other programs are using the "
            "CPU is not shown here"
        )
    else:
        busy = f"load average {load:.2f} (above ~{_BUSY_LOAD}, something else is using the CPU)"
    return f"{cores} CPU core{'s' if cores > 1 else ''} for this notebook; {busy}"
