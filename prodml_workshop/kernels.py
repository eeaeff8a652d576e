"""Memory for the notebooks' kernels: how much is left, and making room when it runs short.

Every notebook open in JupyterLab runs in its own kernel, and a kernel keeps its memory until it
is shut down, even when the student has moved on to the next notebook. Binder gives JupyterLab
and all its kernels 2 GiB together: a day's notebooks left open do not fit, and when memory runs
out the kernel's out-of-memory killer stops a process of its own choosing, perhaps the notebook
in use, in the middle of a cell. So each notebook starts with :func:`make_room`: when the memory
left is less than that notebook needs, it shuts down the idle kernels of the notebooks used
before (least recently used first), and says which, in the notebook the student is looking at.

:func:`available_memory` is what this process can still use: the machine's available memory,
or less when a memory cgroup (a container such as Binder's) limits it.

This module imports only the standard library, psutil and jupyter_core, so calling it costs a
kernel a few MB.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

__all__ = ["available_memory", "make_room"]

_MB = 2**20

#: Per cgroup version: its mount point, then the files holding the limit and the usage, and the
#: line of ``memory.stat`` counting page cache the kernel can drop (reclaimable, not in use).
_CGROUPS = {
    "v2": (Path("/sys/fs/cgroup"), "memory.max", "memory.current", "inactive_file"),
    "v1": (
        Path("/sys/fs/cgroup/memory"),
        "memory.limit_in_bytes",
        "memory.usage_in_bytes",
        "total_inactive_file",
    ),
}

_KERNEL_FILE = re.compile(r"kernel-([0-9a-fA-F-]{36})\.json")


def _cgroup_folders() -> list[tuple[str, Path]]:
    """This process's memory cgroup folders, its own first, then its ancestors (Linux only)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:  # not Linux: no cgroups
        return []
    folders = []
    for line in lines:
        _, controllers, own = line.split(":", 2)
        version = "v2" if not controllers else "v1" if "memory" in controllers.split(",") else None
        if version is None:
            continue
        mount = _CGROUPS[version][0]
        folder = mount / own.lstrip("/")
        if not folder.is_dir():  # a container sees its own cgroup at the mount point
            folder = mount
        while folder != mount and mount in folder.parents:
            folders.append((version, folder))
            folder = folder.parent
        folders.append((version, mount))
    return folders


def _cgroup_headroom(version: str, folder: Path) -> int | None:
    """Bytes the cgroup can still take before its limit (droppable page cache counted)."""
    _, limit_file, usage_file, cache_line = _CGROUPS[version]
    try:
        limit = (folder / limit_file).read_text().strip()
        usage = int((folder / usage_file).read_text())
        stat = (folder / "memory.stat").read_text().split()
    except (OSError, ValueError):
        return None
    if not limit.isdigit():  # "max": no limit here
        return None
    cache = dict(zip(stat[::2], stat[1::2], strict=False)).get(cache_line, "0")
    return int(limit) - usage + int(cache)


def available_memory() -> int:
    """Return the bytes this process can still use, container limits included.

    On Binder the machine reports far more memory than the container may use, so the memory
    cgroup's limit (v2 or v1; this process's own cgroup and every cgroup above it) wins when it
    leaves less than the machine has available. Page cache the cgroup can drop counts as
    available, as it does in the machine's figure.

    Returns
    -------
    int
        Bytes; on macOS and Windows, psutil's available memory.

    Examples
    --------
    >>> available_memory() > 0
    True
    """
    available = psutil.virtual_memory().available
    for version, folder in _cgroup_folders():
        headroom = _cgroup_headroom(version, folder)
        if headroom is not None:
            available = min(available, headroom)
    return available


@dataclass(frozen=True)
class _Kernel:
    """A notebook session's kernel, as the Jupyter server lists it."""

    session_id: str
    kernel_id: str
    path: str
    state: str
    last_activity: datetime


def _own_kernel_id() -> str | None:
    """The id of the kernel this code runs in (its connection file is ``kernel-<id>.json``)."""
    try:
        match = _KERNEL_FILE.search(" ".join(psutil.Process().cmdline()))
    except psutil.Error:
        return None
    return match.group(1) if match else None


def _server_info() -> dict[str, Any] | None:
    """The runtime file of the Jupyter server that started this process, if one did.

    Only a kernel the server started itself counts: its parent. A kernel that pytest (nbval)
    or nbclient started from a terminal inside JupyterLab has the server further up.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    parent = os.getppid()
    for path in Path(jupyter_runtime_dir()).glob("jpserver-*.json"):
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if info.get("pid") == parent:
            return info
    return None


def _request(server: dict[str, Any], method: str, endpoint: str) -> Any:
    """Call the server's REST API as a browser tab would; return the decoded JSON answer, if any.

    It sends the server's token (JupyterHub's, on Binder) and, for a server without one, the
    double-submitted XSRF cookie that a request other than GET needs.
    """
    url = server["url"].rstrip("/") + endpoint
    request = urllib.request.Request(url, method=method)
    token = server.get("token") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if token:
        request.add_header("Authorization", f"token {token}")
    xsrf = secrets.token_hex(16)
    request.add_header("Cookie", f"_xsrf={xsrf}")
    request.add_header("X-XSRFToken", xsrf)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


def _sessions(server: dict[str, Any]) -> list[_Kernel]:
    kernels = []
    for session in _request(server, "GET", "/api/sessions"):
        kernel = session.get("kernel") or {}
        if "id" not in kernel:
            continue
        kernels.append(
            _Kernel(
                session_id=session["id"],
                kernel_id=kernel["id"],
                path=session.get("path", "?"),
                state=kernel.get("execution_state", "unknown"),
                last_activity=datetime.fromisoformat(kernel["last_activity"]),
            )
        )
    return kernels


def _kernel_processes(server: dict[str, Any], kernel_id: str) -> list[psutil.Process]:
    """The kernel's process (a child of the server) and everything it started."""
    try:
        children = psutil.Process(server["pid"]).children()
    except psutil.Error:
        return []
    for child in children:
        try:
            if f"kernel-{kernel_id}.json" in " ".join(child.cmdline()):
                return [child, *child.children(recursive=True)]
        except psutil.Error:
            continue
    return []


def _private_bytes(processes: list[psutil.Process]) -> int:
    """Memory only these processes use (USS; RSS where USS cannot be read)."""
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().uss
        except psutil.AccessDenied:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def _since(moment: datetime) -> str:
    minutes = (datetime.now(UTC) - moment).total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else "less than a minute"


def make_room(
    need_mb: float, *, min_idle_seconds: float = 10.0, stop_timeout: float = 30.0
) -> None:
    """Stop the idle kernels of other notebooks if this notebook would not fit in memory.

    Call it in a notebook's first code cell. When :func:`available_memory` is less than
    ``need_mb``, it asks the Jupyter server this kernel runs under for its notebook sessions and
    shuts down the kernels of other notebooks that have been idle for ``min_idle_seconds``,
    least recently used first, until enough memory is free. It prints each kernel it stopped and
    why: the student sees it in the notebook in use, and the out-of-memory killer never has to
    choose. A busy kernel is never stopped, nor the one calling. The stopped notebooks keep their
    outputs; running them again starts a new kernel.

    With enough memory it stops nothing and prints one line. Outside a kernel that a Jupyter
    server started (a script; ``pytest --nbval-lax`` or nbclient, even from JupyterLab's
    terminal) there are no other notebooks to stop: it does nothing and prints nothing. It never
    raises: a server it cannot reach is reported in one line.

    Parameters
    ----------
    need_mb : float
        About the most memory this notebook uses at once, in MiB: its kernel and the servers it
        starts, as measured (``benchmarks/notebook_budget.md``), with a margin.
    min_idle_seconds : float, default=10.0
        A kernel with activity more recent than this is left alone, even if idle right now.
    stop_timeout : float, default=30.0
        Seconds to wait for a stopped kernel's processes to end before looking at memory again.

    Examples
    --------
    Outside a Jupyter server, nothing happens:

    >>> make_room(need_mb=1_000_000)
    """
    own = _own_kernel_id()
    if own is None:  # not a kernel: a script, a test, a console
        return
    try:
        server = _server_info()
    except Exception as exc:  # a broken runtime folder must not stop the notebook
        print(f"Could not look for the Jupyter server of this kernel ({exc}).")
        return
    if server is None:
        return
    need = need_mb * _MB
    available = available_memory()
    if available >= need:
        print(
            f"Memory: {available / _MB:,.0f} MB available, this notebook needs about "
            f"{need / _MB:,.0f} MB: no other kernel stopped."
        )
        return
    try:
        _stop_idle_kernels(server, own, need, available, min_idle_seconds, stop_timeout)
    except Exception as exc:  # the server is unreachable or answered something unexpected
        print(
            f"Memory is short ({available / _MB:,.0f} MB available, this notebook needs about "
            f"{need / _MB:,.0f} MB), and the Jupyter server could not be asked about the other "
            f"notebooks' kernels ({type(exc).__name__}: {exc}). Shut down the kernels of the "
            "notebooks you have finished (Running panel, on the left) before going on."
        )


def _stop_idle_kernels(
    server: dict[str, Any],
    own: str,
    need: float,
    available: int,
    min_idle_seconds: float,
    stop_timeout: float,
) -> None:
    now = datetime.now(UTC)
    candidates = sorted(
        (
            kernel
            for kernel in _sessions(server)
            if kernel.kernel_id != own
            and kernel.state == "idle"
            and (now - kernel.last_activity).total_seconds() >= min_idle_seconds
        ),
        key=lambda kernel: kernel.last_activity,
    )
    print(
        f"Memory is short: {available / _MB:,.0f} MB available, this notebook needs about "
        f"{need / _MB:,.0f} MB (each open notebook's kernel keeps its memory; Binder gives them "
        "2 GiB together)."
    )
    for kernel in candidates:
        if available >= need:
            break
        processes = _kernel_processes(server, kernel.kernel_id)
        private = _private_bytes(processes)
        idle = _since(kernel.last_activity)
        _request(server, "DELETE", f"/api/sessions/{kernel.session_id}")
        psutil.wait_procs(processes, timeout=stop_timeout)
        time.sleep(0.5)  # the memory of an ended process is returned a moment later
        available = available_memory()
        print(
            f"Stopped the kernel of {kernel.path} (idle for {idle}, {private / _MB:.0f} MB) to "
            "free memory for this notebook. Its outputs stay; to go back to it, run it again "
            "(JupyterLab asks for a kernel: Python 3)."
        )
    if available >= need:
        print(f"Now {available / _MB:,.0f} MB available.")
    else:
        print(
            f"Still only {available / _MB:,.0f} MB available, and no other notebook's kernel has "
            f"been idle for {min_idle_seconds:g} s: shut down the kernels you no longer need "
            "(Running panel, on the left), or this notebook's kernel may be stopped for lack of "
            "memory."
        )
