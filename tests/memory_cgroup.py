"""A memory cgroup for a test: a memory limit like Binder's, its peak and its OOM kills.

``with memory_cgroup(limit_mb) as cgroup:`` makes a new cgroup (v2, or the v1 memory controller)
limited to ``limit_mb`` MiB, swap included; a process joins it by writing its pid to
``cgroup.procs`` (its children inherit it). On leaving, any process still in it is killed and the
cgroup removed. Making one needs root and a memory controller: without them the test is skipped
with the reason, except in CI (``CI`` set, as ``.ci/run`` does), where it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

V2 = Path("/sys/fs/cgroup")
V1 = Path("/sys/fs/cgroup/memory")
MB = 2**20


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _counter(text: str, name: str) -> int:
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return int(value)
    return 0


@dataclass(frozen=True)
class MemoryCgroup:
    """A memory cgroup this test made (see the module's docstring)."""

    folder: Path
    version: str  #: "v2" or "v1"

    @property
    def procs(self) -> Path:
        """Write a pid here to move that process (and its future children) into the cgroup."""
        return self.folder / "cgroup.procs"

    def usage_mb(self) -> float:
        """Memory in use now, page cache included."""
        name = "memory.usage_in_bytes" if self.version == "v1" else "memory.current"
        return int(_read(self.folder / name) or 0) / MB

    def peak_mb(self) -> float:
        """The highest memory use since the start or the last :meth:`reset_peak`, page cache
        included (v2 without memory.peak: now)."""
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        text = _read(self.folder / name) or _read(self.folder / "memory.current")
        return int(text or 0) / MB

    def reset_peak(self) -> None:
        """Start a new peak from the current use (v1; v2 on Linux 6.12 and later)."""
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        with contextlib.suppress(OSError):
            (self.folder / name).write_text("0")

    def oom_kills(self) -> int:
        """Processes the kernel killed for lack of memory in this cgroup so far."""
        if self.version == "v1":
            return _counter(_read(self.folder / "memory.oom_control"), "oom_kill")
        return _counter(_read(self.folder / "memory.events"), "oom_kill")

    def pids(self) -> list[int]:
        return [int(pid) for pid in _read(self.procs).split()]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run this test (root and a memory cgroup controller)")
    pytest.skip(reason)


@contextlib.contextmanager
def memory_cgroup(limit_mb: int, name: str = "prodml-test") -> Iterator[MemoryCgroup]:
    """Make a memory cgroup limited to ``limit_mb`` MiB; remove it (and kill what is left) after."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        _unavailable("making a memory cgroup needs root")
    if "memory" in _read(V2 / "cgroup.subtree_control").split():
        version, limit_files = "v2", ("memory.max", "memory.swap.max")
        folder = V2 / f"{name}-{os.getpid()}"
    elif (V1 / "cgroup.procs").exists():
        version, limit_files = "v1", ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
        folder = V1 / f"{name}-{os.getpid()}"
    else:
        _unavailable("no memory cgroup controller here (cgroup v2 with memory, or v1's memory)")
    try:
        folder.mkdir()
    except OSError as exc:
        _unavailable(f"cannot make a memory cgroup at {folder}: {exc}")
    limit = str(limit_mb * MB)
    (folder / limit_files[0]).write_text(limit)
    with contextlib.suppress(OSError):  # no swap accounting: nothing to limit there
        (folder / limit_files[1]).write_text(limit if version == "v1" else "0")
    cgroup = MemoryCgroup(folder, version)
    try:
        yield cgroup
    finally:
        for _ in range(100):
            for pid in cgroup.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                folder.rmdir()
                break
            time.sleep(0.1)
