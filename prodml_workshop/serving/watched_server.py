"""A server command run under a watchdog, with its log: it always stops.

The base of every server the course starts from a notebook (see :mod:`.server_launcher`): the
command runs in a new session under :mod:`.watchdog`, which stops its whole process tree when
the server is stopped, when the interpreter exits, or when the kernel is killed or restarted.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["ServerStartError", "WatchedServer"]

_WATCHDOG = Path(__file__).with_name("watchdog.py")
_LOG_TAIL_CHARS = 6000


class ServerStartError(RuntimeError):
    """The server exited, or did not become ready in time; the message ends with its log."""


class WatchedServer:
    """A server command run under the watchdog, with its log; it always stops.

    The base of every server the course starts from a notebook: the model service
    (:class:`ModelServer`), the bare app of the scaling session and a student's own service
    file. The command runs in a new session under :mod:`.watchdog`, with its output in a log
    file of a temporary folder that also holds its BentoML home (so two servers' ``/metrics``
    stay apart); :meth:`stop`, the end of a ``with`` block, the interpreter's exit or the
    death of this process stop the whole process tree and remove the folder.

    Parameters
    ----------
    command : list of str
        The server's command line; it must listen on ``host:port`` and answer ``GET /readyz``.
    host : str
        The interface it listens on.
    port : int
        The port it listens on.
    env : dict of str to str, default=None
        Environment variables added to this process's environment.
    grace : float, default=10.0
        Seconds the server has to stop after SIGTERM before it is killed.
    cwd : str or pathlib.Path, default=None
        Its working folder; this process's when ``None``.

    Attributes
    ----------
    url : str
        E.g. ``"http://127.0.0.1:50123"``.
    port : int
        The port it listens on.
    """

    def __init__(
        self,
        command: list[str],
        *,
        host: str,
        port: int,
        env: dict[str, str] | None = None,
        grace: float = 10.0,
        cwd: str | Path | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://{host}:{port}"
        self._grace = grace
        self._final_log: str | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="prodml-serve-"))
        self._log_file = self._folder / "server.log"
        environment = {
            **os.environ,
            "BENTOML_DO_NOT_TRACK": "true",
            # BentoML keeps its Prometheus files under its home and wipes them when a server
            # starts: a home per server keeps two servers' /metrics apart.
            "BENTOML_HOME": str(self._folder / "bentoml"),
            "PRODML_WATCHDOG_CLEANUP": str(self._folder),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        watched = [sys.executable, "-I", str(_WATCHDOG), str(os.getpid()), str(grace), "--"]
        with self._log_file.open("wb") as log:
            self._process = subprocess.Popen(
                watched + command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )
        atexit.register(self.stop)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"{type(self).__name__}(url={self.url!r}, {state})"

    def __enter__(self) -> WatchedServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self._process.poll() is None

    def logs(self) -> str:
        """Return what the server has written to stdout and stderr so far."""
        if self._final_log is not None:
            return self._final_log
        return self._log_file.read_text(errors="replace")

    def wait_until_ready(self, timeout: float) -> None:
        """Wait until ``GET /readyz`` answers 200; stop the server and raise if it does not.

        Parameters
        ----------
        timeout : float
            Seconds to wait.

        Raises
        ------
        ServerStartError
            If the server exits first or is not ready in time; the message ends with its log.
        """
        import requests

        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.running:
                    raise ServerStartError(
                        f"The server exited with code {self._process.returncode} before it was "
                        f"ready; its log says why:\n{self._log_tail()}"
                    )
                try:
                    if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                time.sleep(0.2)
            raise ServerStartError(
                f"The server was not ready after {timeout:g} s (GET {self.url}/readyz). Pass a "
                f"larger timeout= if the machine is slow; its log so far:\n{self._log_tail()}"
            )
        except BaseException:
            self.stop()
            raise

    def _log_tail(self) -> str:
        text = self.logs()
        return text if len(text) <= _LOG_TAIL_CHARS else "...\n" + text[-_LOG_TAIL_CHARS:]

    def stop(self) -> None:
        """Stop the server and all its workers; safe to call more than once.

        SIGTERM first, so that the server finishes its requests and shuts its workers down;
        whatever is still running after the grace period is killed.
        """
        if self._final_log is not None:
            return
        atexit.unregister(self.stop)
        if self.running:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=self._grace + 10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._final_log = self._log_file.read_text(errors="replace")
        shutil.rmtree(self._folder, ignore_errors=True)
