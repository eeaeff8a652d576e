"""A Dask cluster the way several machines run one, and a folder served over HTTP to it.

:func:`dask_cluster` starts ``dask scheduler`` and ``dask worker`` as separate processes, with
the command-line tools an administrator runs on each machine of a cluster (here all on this
one, on loopback). The workers share nothing with this process but the network: each runs
in a working folder of its own and knows the scheduler only by the address it published in
its scheduler file. A model package therefore reaches them through the cluster (see
:func:`~prodml_workshop.scaling.score_parquet`), and the data by URLs they can read: on a
real cluster object storage (``s3://``, ``gs://``, ``abfs://``: fsspec reads them all), here
:func:`serve_folder`, a small HTTP server on loopback.

Every process started is stopped when the ``with`` block ends, also by an exception or an
interrupted kernel, and runs under the serving session's watchdog
(:mod:`prodml_workshop.serving.watchdog`), which stops it if the kernel dies.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from prodml_workshop.serving.watchdog import stop_group

__all__ = ["FolderServer", "dask_cluster", "serve_folder"]


def _watched(command: list[str], log: Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    from prodml_workshop.serving import watchdog

    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-I", watchdog.__file__, str(os.getpid()), "5", "--", *command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
                     for log in sorted(folder.glob("*.log")))  # fmt: skip


@contextlib.contextmanager
def dask_cluster(
    n_workers: int = 2,
    *,
    memory_limit: str = "1GiB",
    dashboard: bool = True,
    timeout: float = 60.0,
    worker_prefix: Sequence[str] = (),
) -> Iterator[Any]:
    """Start ``dask scheduler`` and ``dask worker`` processes on loopback; stop them on exit.

    Parameters
    ----------
    n_workers : int, default=2
        ``dask worker`` processes, one thread each, without a nanny (a worker that dies is
        not restarted).
    memory_limit : str, default="1GiB"
        Memory per worker, a ceiling: Dask pauses a worker at 80% of it.
    dashboard : bool, default=True
        Serve the scheduler's dashboard (``client.dashboard_link``; needs ``bokeh``).
    timeout : float, default=60.0
        Seconds to wait for every worker to join.
    worker_prefix : sequence of str, default=()
        Words put before each worker's command: how a worker is started elsewhere, e.g.
        ``["ssh", "node1"]``, or ``["unshare", "-m", ...]`` to hide folders from it.

    Yields
    ------
    distributed.Client
        A client of the cluster, connected through the scheduler file.

    Raises
    ------
    TimeoutError
        If the workers do not all join in time; the message holds the processes' logs.

    Examples
    --------
    >>> with dask_cluster(2) as client:  # doctest: +SKIP
    ...     print(client.scheduler_info()["address"], len(client.nthreads()))
    tcp://127.0.0.1:40213 2
    """
    import dask
    from distributed import Client

    with tempfile.TemporaryDirectory(prefix="prodml-dask-") as folder:
        root = Path(folder)
        address_file = root / "scheduler.json"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # `python -m dask scheduler` is the `dask scheduler` command of this environment
        scheduler = [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                     "--port", "0", "--scheduler-file", str(address_file)]  # fmt: skip
        scheduler += ["--dashboard-address", "127.0.0.1:0"] if dashboard else ["--no-dashboard"]
        processes = [_watched(scheduler, root / "scheduler.log", root, env)]
        try:
            for i in range(n_workers):
                home = root / f"worker-{i}"
                home.mkdir()
                worker = [*worker_prefix, sys.executable, "-m", "dask", "worker",
                          "--scheduler-file", str(address_file), "--name", f"worker-{i}",
                          "--nthreads", "1", "--no-nanny", "--memory-limit", memory_limit,
                          "--local-directory", str(home)]  # fmt: skip
                processes.append(_watched(worker, root / f"worker-{i}.log", home, env))
            prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
            config = {}
            if prefix:  # on JupyterHub/Binder the dashboard is reached through its proxy
                config["distributed.dashboard.link"] = f"{prefix.rstrip('/')}/proxy/{{port}}/status"
            with (
                dask.config.set(config),
                Client(scheduler_file=str(address_file), timeout=timeout) as client,
            ):
                try:
                    client.wait_for_workers(n_workers, timeout=timeout)
                except TimeoutError:
                    raise TimeoutError(
                        f"{len(client.nthreads())} of {n_workers} Dask workers joined within "
                        f"{timeout:g} s; the processes' logs:\n{_logs(root)}"
                    ) from None
                yield client
        finally:
            for process in reversed(processes):  # workers first, then the scheduler
                stop_group(process)


@dataclass
class FolderServer:
    """A folder served over HTTP by :func:`serve_folder`.

    Attributes
    ----------
    url : str
        The folder's URL, e.g. ``"http://127.0.0.1:50126/"``.
    folder : pathlib.Path
        The folder served.
    requests : collections.Counter
        ``GET`` requests answered, by path (``"/part-00000.parquet"``: count).
    """

    url: str
    folder: Path
    requests: Counter[str] = field(default_factory=Counter)

    def urls(self, pattern: str = "*") -> list[str]:
        """Return the URLs of the files of the folder that match ``pattern``, sorted by name.

        Parameters
        ----------
        pattern : str, default="*"
            A glob pattern, e.g. ``"*.parquet"``.

        Returns
        -------
        list of str
            One URL per file.
        """
        return [self.url + p.name for p in sorted(self.folder.glob(pattern)) if p.is_file()]


@contextlib.contextmanager
def serve_folder(folder: str | Path, *, host: str = "127.0.0.1") -> Iterator[FolderServer]:
    """Serve a folder's files over HTTP from a thread of this process, until the block ends.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder; only its files are served (``GET``), read-only.
    host : str, default="127.0.0.1"
        The interface to listen on (loopback: only this machine can read the files).

    Yields
    ------
    FolderServer
        Its URL, the URLs of its files, and a count of the requests answered.

    Raises
    ------
    NotADirectoryError
        If ``folder`` is not a folder.

    Examples
    --------
    >>> import tempfile, urllib.request
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "hello.txt").write_text("hi")
    ...     with serve_folder(folder) as served:
    ...         text = urllib.request.urlopen(served.urls()[0]).read()
    >>> text, dict(served.requests)
    (b'hi', {'/hello.txt': 1})
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder: pass the folder holding the files.")
    counts: Counter[str] = Counter()

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # the standard library's name
            counts[self.path] += 1
            super().do_GET()

        def log_message(self, *_: Any) -> None:  # no line on stderr per request
            pass

    httpd = ThreadingHTTPServer((host, 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield FolderServer(f"http://{host}:{httpd.server_address[1]}/", root, counts)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
