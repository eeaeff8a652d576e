"""The watchdog stops a server's whole process tree, with Linux's subreaper and without it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

import prodml_workshop

pytestmark = pytest.mark.slow  # four Python processes per test, one of which lives a second

# The watchdog as the course runs it (a script), after removing its Linux-only part: on
# "prctl fails" the real prctl call is made with an option the kernel refuses (EINVAL), on
# "not linux" the watchdog takes the path it takes on macOS.
_SCRIPT = Path(prodml_workshop.__file__).with_name("serving") / "watchdog.py"
_WATCHDOG = textwrap.dedent(f"""
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("watchdog", {str(_SCRIPT)!r})
    watchdog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(watchdog)
    mode = sys.argv.pop(1)
    if mode == "prctl fails":
        watchdog._PR_SET_CHILD_SUBREAPER = -1
    elif mode == "not linux":
        sys.platform = "darwin"
    sys.exit(watchdog.main(sys.argv[1:]))
""")

# A server whose worker runs in a session of its own (as BentoML's do) and is started by a
# middle process that exits a second later: the worker is orphaned while the server runs.
_MIDDLE = textwrap.dedent("""
    import os, subprocess, sys, time
    worker = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    print(os.getpid(), worker.pid, flush=True)
    time.sleep(1)  # the watchdog looks at the tree every 0.2 s
""")
_SERVER = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {_MIDDLE!r}])\n"
_SERVER += "time.sleep(600)"


def _read_line(stream, timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert line and line[0], "the server printed nothing"
    return line[0]


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(
            "subreaper",
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="only Linux has subreapers"
            ),
        ),
        "prctl fails",
        "not linux",
    ],
)
def test_watchdog_stops_an_orphaned_worker(mode, assert_stopped):
    server = [sys.executable, "-c", _SERVER]
    guard = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, mode, str(os.getpid()), "5", "--", *server],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        middle_pid, worker_pid = map(int, _read_line(guard.stdout, timeout=30).split())
        worker = psutil.Process(worker_pid)
        deadline = time.monotonic() + 20
        while worker.ppid() == middle_pid and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.ppid() != middle_pid, "the middle process did not exit"
        # Orphaned: adopted by the watchdog only where it is a subreaper.
        assert (worker.ppid() == guard.pid) == (mode == "subreaper")

        guard.send_signal(signal.SIGTERM)
        # The server's exit code: stopped by SIGTERM (-15, which the shell sees as 241).
        assert guard.wait(timeout=30) == -signal.SIGTERM % 256
        assert_stopped([worker], timeout=5)
    finally:
        if guard.poll() is None:
            guard.kill()
