"""Memory for the kernels: the cgroup-aware available memory, and make_room on a real server.

The make_room tests start `make lab` (JupyterLab, with a token) on a folder of their own, open
notebook sessions through its REST API, and call make_room inside one of those kernels, as a
notebook's first cell does; only the memory figure it compares with is made up, inside that
kernel.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
import psutil
import pytest
import requests
from jupyter_client import BlockingKernelClient
from memory_cgroup import memory_cgroup

import prodml_workshop.kernels as kernels
from prodml_workshop.kernels import available_memory, make_room
from prodml_workshop.serving.ports import free_port

TOKEN = "make-room-test-token"
MB = 2**20


def test_available_memory_is_positive_and_at_most_what_the_machine_has():
    assert 0 < available_memory() <= psutil.virtual_memory().total


def test_make_room_outside_a_jupyter_server_does_nothing_and_says_nothing(capsys):
    make_room(need_mb=10**7)
    assert capsys.readouterr().out == ""


def test_available_memory_sees_the_limit_of_the_process_own_cgroup():
    limit_mb = 400
    with memory_cgroup(limit_mb) as cgroup:
        # the child joins a cgroup below the mount point, whose top shows no such limit
        code = textwrap.dedent(f"""
            import os
            open({str(cgroup.procs)!r}, "w").write(str(os.getpid()))
            from prodml_workshop.kernels import available_memory
            print(available_memory())
        """)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
    available = int(out.stdout) / MB
    assert limit_mb - 150 < available <= limit_mb  # a small Python uses the rest


# ---- make_room on a real JupyterLab ------------------------------------------------------------


@pytest.fixture(params=[TOKEN, ""], ids=["token", "no token"])
def lab(make_lab, tmp_path, request):
    """`make lab` serving ``tmp_path``, with a token or none."""
    runtime = tmp_path / "runtime"
    for name in ("old", "busy", "recent", "this"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / f"{name}.ipynb")
    env = {
        "JUPYTER_RUNTIME_DIR": runtime,
        "JUPYTERLAB_SETTINGS_DIR": tmp_path / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": tmp_path / "workspaces",
    }
    args = f"--no-browser --allow-root --IdentityProvider.token={request.param}"
    # without a token, a request other than GET needs XSRF's double-submitted cookie
    headers = {"Cookie": "_xsrf=test", "X-XSRFToken": "test"}
    if request.param:
        headers["Authorization"] = f"token {request.param}"
    with make_lab(tmp_path / "lab.log", args, env, LAB_DIR=tmp_path) as url:
        yield RunningLab(url, runtime, headers)


class RunningLab(NamedTuple):
    url: str
    runtime: Path  #: its runtime folder: the kernels' connection files
    headers: dict[str, str]  #: what a request to its REST API sends


def _open(lab: RunningLab, path: str) -> str:
    """Open a notebook session as JupyterLab does; return its kernel id once the kernel idles."""
    body = {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
    session = requests.post(f"{lab.url}/api/sessions", json=body, headers=lab.headers, timeout=60)
    session.raise_for_status()
    kernel_id = session.json()["kernel"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # a request, as JupyterLab's first; the server may miss the status it causes while it
        # connects to the kernel, so ask again until the server has seen it idle
        _client(lab, kernel_id).stop_channels()
        kernel = requests.get(f"{lab.url}/api/kernels/{kernel_id}", headers=lab.headers, timeout=10)
        if kernel.json()["execution_state"] == "idle":
            return kernel_id
        time.sleep(0.5)
    raise AssertionError(f"the kernel of {path} did not become idle in 60 s")


def _client(lab: RunningLab, kernel_id: str) -> BlockingKernelClient:
    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=30)
    return client


def _run(lab: RunningLab, kernel_id: str, code: str) -> str:
    """Execute ``code`` in the kernel, as a cell; return what it printed (fail on an error)."""
    client = _client(lab, kernel_id)
    out: list[str] = []

    def keep_printed(message: dict) -> None:
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])

    try:
        reply = client.execute_interactive(code, timeout=120, output_hook=keep_printed)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def _open_paths(lab: RunningLab) -> set[str]:
    sessions = requests.get(f"{lab.url}/api/sessions", headers=lab.headers, timeout=10).json()
    return {session["path"] for session in sessions}


def _kernel_pid(kernel_id: str) -> int:
    for process in psutil.process_iter(["cmdline"]):
        if f"kernel-{kernel_id}.json" in " ".join(process.info["cmdline"] or []):
            return process.pid
    raise AssertionError(f"no process for kernel {kernel_id}")


@pytest.mark.server
@pytest.mark.slow
def test_make_room_stops_the_least_recently_used_idle_kernel_of_another_notebook(lab):
    old = _open(lab, "old.ipynb")
    busy = _open(lab, "busy.ipynb")
    _open(lab, "recent.ipynb")
    this = _open(lab, "this.ipynb")
    client = _client(lab, busy)
    client.execute("import time; time.sleep(300)")  # busy while make_room looks (and older)
    time.sleep(1)
    # memory is short until the old kernel's process has ended: then there is plenty
    printed = _run(
        lab,
        this,
        textwrap.dedent(f"""
            import psutil
            import prodml_workshop.kernels as kernels
            old = psutil.Process({_kernel_pid(old)})

            def made_up_available_memory():
                try:
                    ended = old.status() == psutil.STATUS_ZOMBIE
                except psutil.NoSuchProcess:
                    ended = True
                return (3000 if ended else 500) * 2**20

            kernels.available_memory = made_up_available_memory
            kernels.make_room(need_mb=1000, min_idle_seconds=0)
        """),
    )
    client.stop_channels()
    assert _open_paths(lab) == {"busy.ipynb", "recent.ipynb", "this.ipynb"}
    assert "Stopped the kernel of old.ipynb (idle for" in printed
    assert printed.count("Stopped the kernel of") == 1
    assert "500 MB available, this notebook needs about 1,000 MB" in printed
    assert "Now 3,000 MB available." in printed
    kernel = requests.get(f"{lab.url}/api/kernels/{busy}", headers=lab.headers, timeout=10).json()
    assert kernel["execution_state"] == "busy"


@pytest.mark.server
@pytest.mark.slow
def test_make_room_stops_nothing_when_memory_suffices_and_says_what_it_cannot_free(lab):
    _open(lab, "old.ipynb")
    this = _open(lab, "this.ipynb")
    time.sleep(1)
    printed = _run(lab, this, "from prodml_workshop.kernels import make_room\nmake_room(need_mb=1)")
    assert printed.startswith("Memory: ") and "no other kernel stopped" in printed
    assert _open_paths(lab) == {"old.ipynb", "this.ipynb"}

    # not idle for long enough: kept, and the notebook is told memory is still short
    printed = _run(
        lab,
        this,
        "import prodml_workshop.kernels as k\n"
        "k.available_memory = lambda: 100 * 2**20\n"
        "k.make_room(need_mb=1000, min_idle_seconds=3600)",
    )
    assert "Stopped" not in printed
    assert "Still only 100 MB available" in printed
    assert _open_paths(lab) == {"old.ipynb", "this.ipynb"}


def test_make_room_reports_a_server_it_cannot_reach_instead_of_raising(monkeypatch, capsys):
    nobody = {"url": f"http://127.0.0.1:{free_port()}/", "token": "x", "pid": os.getpid()}
    monkeypatch.setattr(kernels, "_own_kernel_id", lambda: "4d5a7a57-b2a6-4ac0-9b6e-50d1b4f3e2aa")
    monkeypatch.setattr(kernels, "_server_info", lambda: nobody)
    monkeypatch.setattr(kernels, "available_memory", lambda: 100 * MB)
    make_room(need_mb=1000)
    printed = capsys.readouterr().out
    assert "could not be asked about the other notebooks' kernels" in printed
    assert "Running panel" in printed


def test_the_server_is_the_one_that_started_this_process_not_one_further_up(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    parent = psutil.Process().parent()
    grandparent = parent.parent()
    for process, url in (
        (grandparent, "JupyterLab whose terminal started pytest"),
        (parent, "mine"),
    ):
        info = {"pid": process.pid, "url": url}
        (tmp_path / f"jpserver-{process.pid}.json").write_text(json.dumps(info))
    assert kernels._server_info()["url"] == "mine"
    (tmp_path / f"jpserver-{parent.pid}.json").unlink()
    assert kernels._server_info() is None  # nbval's kernel, in a JupyterLab terminal's pytest


def test_make_room_outside_a_kernel_does_nothing_even_under_a_jupyter_server(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    parent = os.getppid()  # as if pytest ran in JupyterLab's terminal: a server up the tree
    (tmp_path / f"jpserver-{parent}.json").write_text(json.dumps({"pid": parent, "url": "x"}))
    monkeypatch.setattr(kernels, "available_memory", lambda: 0)
    make_room(need_mb=1000)
    assert capsys.readouterr().out == ""


# ---- the notebooks call it ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in ("notebooks", "solutions", "exercises")
    for path in (ROOT / folder).glob("[0-9][0-9]_*.ipynb")
)
BUDGET_MB = 1500  #: a notebook's memory budget (benchmarks/notebook_budget.py)


def _measured_pss_peaks() -> dict[str, float]:
    """Each notebook's peak PSS sum, alone, from benchmarks/notebook_budget.md's first table."""
    text = (ROOT / "benchmarks" / "notebook_budget.md").read_text().split("\n## ")[0]
    rows = re.findall(r"^\| `([^`]+)` \| [\d.]+ \| \d+ \| (\d+) \|", text, re.MULTILINE)
    return {notebook: float(pss) for notebook, pss in rows}


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_each_notebook_first_makes_room_for_its_measured_peak(path):
    cells = nbformat.read(ROOT / path, as_version=4).cells
    first_code = next(cell for cell in cells if cell.cell_type == "code")
    call = re.fullmatch(
        r"from prodml_workshop\.kernels import make_room\n\nmake_room\(need_mb=(\d+)\)  # .*",
        first_code.source,
    )
    assert call, f"{path}: its first code cell is not make_room's:\n{first_code.source}"
    measured = _measured_pss_peaks()[path.replace("exercises/", "solutions/")]
    assert measured <= int(call[1]) <= BUDGET_MB, f"{path}: measured peak {measured:.0f} MB"
