"""Run a server command and stop its whole process tree when told to or when the caller dies.

Usage (what :func:`~prodml_workshop.serving.serve` runs, as a script, in a new session)::

    python watchdog.py PARENT_PID GRACE_SECONDS -- bentoml serve ...

A Jupyter kernel that is restarted or killed (SIGKILL) cannot clean up after itself, and
killing a process group is not enough here: BentoML's process manager (circus) starts every
worker in a session of its own, and a worker outlives a killed ``bentoml serve``. So this small
process sits between the caller and the server and:

* on Linux, makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so workers
  orphaned by a dying server become its children instead of init's;
* remembers every descendant it has seen, looking every 0.2 s: on macOS, or where prctl is
  refused, orphans go to init instead, and these are the ones it stops (a process started and
  orphaned between two looks would escape; BentoML's workers live far longer);
* polls its parent: when the parent's pid changes (the caller died, whatever the signal), or
  on SIGTERM/SIGINT/SIGHUP, or when the server exits, it sends SIGTERM to the server, waits
  up to ``GRACE_SECONDS`` for the tree to stop, SIGKILLs whatever is left, then exits with
  the server's exit code.
* when the caller died, also removes the folder named by ``PRODML_WATCHDOG_CLEANUP`` (the
  server's log and BentoML home), which the caller can no longer remove itself.

It imports nothing from the workshop package, so it starts in a few milliseconds. It needs
POSIX signals and sessions (Linux, macOS); on Windows the course runs in WSL 2.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time

import psutil

__all__ = ["main", "stop_group"]

_POLL_S = 0.2
_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Adopt this process's orphaned descendants (Linux); elsewhere, or if refused, do nothing."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _stop_tree(server: subprocess.Popen, known: set[psutil.Process], grace: float) -> None:
    deadline = time.monotonic() + grace
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Orphaned workers are this process's children (subreaper) or among those remembered.
    left = {p for p in known | set(psutil.Process().children(recursive=True)) if p.is_running()}
    for process in left:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(left, timeout=max(0.0, deadline - time.monotonic()))
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    if server.poll() is None:
        server.kill()
        server.wait()


def stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop a process started in a session of its own, and its process group, from the caller.

    The caller's side of the watchdog: SIGTERM to the group (the watchdog then stops its
    server's tree), and SIGKILL if it is still running after ``grace`` seconds. Safe to call
    on a process that has already exited.

    Parameters
    ----------
    process : subprocess.Popen
        A process started with ``start_new_session=True`` (its pid is its group's id).
    grace : float, default=5.0
        Seconds to wait after each signal.

    Examples
    --------
    >>> process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    >>> stop_group(process)
    >>> process.returncode == -signal.SIGTERM
    True
    """
    if process.poll() is not None:
        return
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str]) -> int:
    """Run ``argv``'s command under watch; return its exit code.

    Parameters
    ----------
    argv : list of str
        ``[PARENT_PID, GRACE_SECONDS, "--", command...]``.

    Returns
    -------
    int
        The server's exit code (negative: the signal that stopped it).
    """
    parent, grace, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: watchdog.py PARENT_PID GRACE_SECONDS -- COMMAND...")
    parent_pid, grace_s = int(parent), float(grace)
    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, request_stop)
    _become_subreaper()
    server = subprocess.Popen(command)
    server_process = psutil.Process(server.pid)
    known: set[psutil.Process] = set()
    while not stop_requested and server.poll() is None and os.getppid() == parent_pid:
        try:
            known.update(server_process.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
        time.sleep(_POLL_S)
    _stop_tree(server, known, grace_s)
    cleanup = os.environ.get("PRODML_WATCHDOG_CLEANUP")
    if cleanup and os.getppid() != parent_pid:
        shutil.rmtree(cleanup, ignore_errors=True)
    return server.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
