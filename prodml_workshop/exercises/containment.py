"""Keep a check inside its bounds: a time limit, and no server left running after it.

How the time limit works, and why: a check runs the student's code *in* the notebook's kernel,
because that code reads the notebook's globals. A thread cannot be killed, so a function that
never returns would keep running (and holding its servers) after a thread-based timeout; a
subprocess would lose the student's globals. The kernel runs every cell in its main thread, so
:func:`time_limit` uses ``SIGALRM`` (``signal.setitimer``): when the limit passes, the signal
handler raises :class:`CheckTimeout` inside the running code. It derives from
``BaseException``, so a student's ``except Exception`` does not swallow it; it unwinds every
``with`` block on its way (servers started with ``with serve(...)`` stop there), and the alarm
fires again every 30 s in case a bare ``except:`` swallowed it. The signal reaches Python
between bytecodes and interrupts blocking calls (``time.sleep``, sockets); a long computation
inside one C call stops when that call returns. Outside the main thread, or where ``SIGALRM``
does not exist (Windows), a check runs without a limit: the grader's ``--timeout`` per cell
is the backstop there.

:func:`stop_new_servers` then stops any server that the check started and left running (a
child process of the kernel that listens on a port, or a server's watchdog).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

import psutil

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "CheckTimeout",
    "child_pids",
    "limit_available",
    "stop_new_servers",
    "time_limit",
]

DEFAULT_TIME_LIMIT = 60.0
_REFIRE_S = 30.0  # longer than a server takes to stop, so a timeout never cuts a clean-up short


class CheckTimeout(BaseException):
    """The check did not return within its time limit (raised by the ``SIGALRM`` handler)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not return within {seconds:g} s")
        self.seconds = seconds


def limit_available() -> bool:
    """Whether :func:`time_limit` can enforce a limit here (main thread, ``SIGALRM`` exists)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the code of the ``with`` block after ``seconds``.

    Nests: an outer limit keeps running and fires when it is due. Without a main thread or
    ``SIGALRM``, or with ``seconds=None``, the block runs without a limit.

    Parameters
    ----------
    seconds : float or None
        The limit.

    Raises
    ------
    CheckTimeout
        From inside the block, when the limit passes.

    Examples
    --------
    >>> import time
    >>> try:
    ...     with time_limit(0.2):
    ...         time.sleep(5)
    ... except CheckTimeout as err:
    ...     print(err)
    did not return within 0.2 s
    """
    if seconds is None or not limit_available():
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise CheckTimeout(seconds)

    start = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, fire)
    outer_left, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REFIRE_S)
    if outer_left and outer_left < seconds:  # the outer limit comes first: keep its time
        signal.setitimer(signal.ITIMER_REAL, outer_left, _REFIRE_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_left:
            left = max(outer_left - (time.monotonic() - start), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def child_pids() -> set[int]:
    """The process ids of this process's children, to compare before and after a check."""
    return {p.pid for p in psutil.Process().children()}


def _is_server(process: psutil.Process) -> bool:
    try:
        if any("watchdog.py" in part for part in process.cmdline()):
            return True
        tree = [process, *process.children(recursive=True)]
        return any(
            c.status == psutil.CONN_LISTEN for p in tree for c in p.net_connections(kind="inet")
        )
    except psutil.Error:
        return False


def stop_new_servers(before: set[int], *, grace: float = 20.0) -> list[int]:
    """Stop the servers started since ``before`` (from :func:`child_pids`) and still running.

    A server is a child process listening on a port (itself or its children), or a server's
    watchdog (:class:`~prodml_workshop.serving.WatchedServer`), which stops the server's whole
    tree on SIGTERM. Other new children (a worker pool) are left alone.

    Parameters
    ----------
    before : set of int
        The children that existed before the check.
    grace : float, default=20.0
        Seconds they have to stop after SIGTERM before they are killed.

    Returns
    -------
    list of int
        The process ids stopped.

    Examples
    --------
    >>> import subprocess, sys
    >>> before = child_pids()
    >>> server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
    ...                            "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    >>> import time; time.sleep(2)
    >>> stop_new_servers(before) == [server.pid]
    True
    >>> server.poll() is not None
    True
    """
    new = [p for p in psutil.Process().children() if p.pid not in before]
    servers = [p for p in new if _is_server(p)]
    tree = []
    for process in servers:
        with contextlib.suppress(psutil.Error):
            watchdog = any("watchdog.py" in part for part in process.cmdline())
            tree += [process] if watchdog else [process, *process.children(recursive=True)]
    for process in tree:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(tree, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in servers]
