"""Shared fixtures: the course's model fitted and saved, stopped servers, a `make lab`, logs.

The fitted model and its packages are made once per session and shared: use them read-only
(copy a package with ``shutil.copytree`` before changing it; a package that changed fails the
session at its end).
"""

import contextlib
import functools
import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import postgres_server
import psutil
import pytest
import requests
from postgres_server import postgres_cluster

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import save_model
from prodml_workshop.penguin_model import penguin_pipeline
from prodml_workshop.props.scaling.local_postgres import LocalPostgres
from prodml_workshop.serving.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture
def penguin_inputs() -> pd.DataFrame:
    """The course model's inputs: every penguin's ``PENGUIN_FEATURES``, missing values included.

    A fresh frame for each test, so a test may change it.
    """
    return load_penguins()[PENGUIN_FEATURES]


@pytest.fixture(scope="session")
def course_model() -> Any:
    """The course's penguin pipeline fitted on every penguin (read-only)."""
    penguins = load_penguins()
    return penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"])


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def course_packages(course_model, tmp_path_factory) -> Iterator[Callable[[str], Path]]:
    """Save the course model in a format, once per session: ``course_packages("onnx")``.

    The packages are shared by every test that asks for them, so they are read-only: at the
    end of the session, one whose files changed is an error.
    """
    folder = tmp_path_factory.mktemp("course-packages")
    sample = load_penguins()[PENGUIN_FEATURES].head()
    saved: dict[Path, dict[str, str]] = {}

    @functools.cache
    def package(fmt: str) -> Path:
        path = save_model(course_model, folder / fmt, format=fmt, sample_input=sample)
        saved[path] = _digest(path)
        return path

    yield package
    changed = [str(path) for path, digest in saved.items() if _digest(path) != digest]
    assert not changed, f"a test changed the shared packages {changed}: copy a package first"


@pytest.fixture(scope="session")
def course_package(course_packages) -> Path:
    """The course model saved as a skops package (read-only)."""
    return course_packages("skops")


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a new server would
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _describe(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return f"process {process.pid}"


@pytest.fixture(scope="session")
def assert_stopped() -> Callable[..., None]:
    """Check that a stopped server left nothing behind: no process alive, its port free.

    Call it as ``assert_stopped(processes, port)``: each process gets ``timeout`` seconds to
    end (one still alive then is killed, so it does not haunt the next test, and fails the
    check); the loopback ``port``, if given, must be free for a new server.
    """

    def check(
        processes: Iterable[psutil.Process] = (), port: int | None = None, timeout: float = 15
    ) -> None:
        _, alive = psutil.wait_procs(list(processes), timeout=timeout)
        survivors = [_describe(process) for process in alive]
        for process in alive:
            with contextlib.suppress(psutil.Error):  # it may have ended in the meantime
                process.kill()
        assert not survivors, survivors
        if port is not None:
            assert _port_is_free(port), f"port {port} is still taken"

    return check


def _bentoml_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it may end while we look
            if "bentoml" in " ".join(process.cmdline()):
                found.append(process)
    return found


@pytest.fixture(scope="session")
def bentoml_processes() -> Callable[[], list[psutil.Process]]:
    """Return a finder of the BentoML processes (servers, workers) this test process started."""
    return _bentoml_processes


@pytest.fixture
def no_bentoml_left(assert_stopped) -> Iterator[None]:
    """After the test, check that no BentoML process it started is still running."""
    yield
    assert_stopped(_bentoml_processes())


@contextlib.contextmanager
def _running_lab(
    log: Path,
    lab_args: str,
    env: dict[str, Any] | None = None,
    *,
    cgroup_procs: Path | None = None,
    **make_vars: Any,
) -> Iterator[str]:
    port = free_port()
    variables = [f"{name}={value}" for name, value in {"PORT": port, **make_vars}.items()]
    command = ["make", "lab", *variables, f"LAB_ARGS={lab_args} --ServerApp.port_retries=0"]
    if cgroup_procs is not None:  # the shell joins the cgroup, then becomes make
        command = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup_procs), *command]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **{name: str(value) for name, value in (env or {}).items()}},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"make lab ended:\n{log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no JupyterLab after 120 s:\n{log.read_text()}"
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/api/status", timeout=2).status_code < 500:
                    break
            time.sleep(0.5)
        yield url
    finally:
        family = []
        with contextlib.suppress(psutil.Error):  # make may have ended already
            family.append(psutil.Process(process.pid))
            family += family[0].children(recursive=True)  # JupyterLab and its kernels
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # JupyterLab shuts its kernels down
        _, alive = psutil.wait_procs(family, timeout=30)
        survivors = []
        for leftover in alive:
            with contextlib.suppress(psutil.Error):
                survivors.append(" ".join(leftover.cmdline())[:120])
                leftover.kill()
        assert not survivors, f"still running after JupyterLab stopped: {survivors}"
        assert _port_is_free(port), f"port {port} is still served"


@pytest.fixture(scope="session")
def make_lab() -> Callable[..., contextlib.AbstractContextManager[str]]:
    """Start `make lab` on a free port: ``with make_lab(log, lab_args, env, **make_vars) as url``.

    ``lab_args`` go to JupyterLab (``LAB_ARGS``), ``env`` to its environment, ``make_vars`` to
    make (e.g. ``LAB_DIR``); its output goes to ``log``. With ``cgroup_procs`` (a cgroup's
    ``cgroup.procs`` file), make, JupyterLab and its kernels run in that cgroup. The block waits
    for ``/api/status`` to answer; on leaving, it stops JupyterLab and its kernels, checking that
    none survives and the port is free.
    """
    return _running_lab


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Let only the tests marked ``system`` start PostgreSQL (see tests/postgres_server.py)."""
    postgres_server.RUNNING_A_SYSTEM_TEST = item.get_closest_marker("system") is not None


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL cluster of the session's own (see tests/postgres_server.py)."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.system])]
)
def log_db(request, tmp_path) -> Path | str:
    """A new prediction log's location on each backend: a SQLite file, a PostgreSQL database.

    The PostgreSQL URL holds the role's password, as a deployment's would. Its tests need
    PostgreSQL's server programs, so they are marked ``system`` (and ``slow``: a cluster to
    start): ``make test`` and ``make test-fast`` run the SQLite half, ``make test-system`` the
    PostgreSQL one.
    """
    if request.param == "sqlite":
        return tmp_path / "log.sqlite"
    return request.getfixturevalue("postgres").database()
