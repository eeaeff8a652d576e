"""This machine's cores and load: portable calls, and fallbacks where Linux's are missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from prodml_workshop.scaling.machine import cpu_cores, describe_machine, load_average

_linux_affinity = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2,
    reason="needs os.sched_setaffinity (Linux) and two cores",
)


def _cores_on_one_core(prepare: str = "") -> int:
    """cpu_cores() in a fresh process pinned to core 0, after running ``prepare`` there."""
    code = (
        "import os\n"
        "os.sched_setaffinity(0, {0})\n"
        f"{prepare}\n"
        "from prodml_workshop.scaling.machine import cpu_cores\n"
        "print(cpu_cores())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout)


@_linux_affinity
def test_cpu_cores_counts_only_the_cores_this_process_may_use():
    assert _cores_on_one_core() == 1  # os.cpu_count() still says 2 or more


@_linux_affinity
def test_cpu_cores_uses_the_affinity_when_process_cpu_count_is_missing():
    # Python 3.11 and 3.12 have no os.process_cpu_count: Linux's affinity answers.
    prepare = "if hasattr(os, 'process_cpu_count'): del os.process_cpu_count"
    assert _cores_on_one_core(prepare) == 1


@_linux_affinity
def test_cpu_cores_falls_back_to_every_core_without_linux_calls():
    # macOS before Python 3.13: neither call exists, os.cpu_count() counts the machine's cores.
    prepare = (
        "if hasattr(os, 'process_cpu_count'): del os.process_cpu_count\ndel os.sched_getaffinity"
    )
    assert _cores_on_one_core(prepare) == os.cpu_count()


def test_cpu_cores_without_linux_calls_is_os_cpu_count(monkeypatch):
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    assert cpu_cores() == os.cpu_count()
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "undetermined", says its documentation
    assert cpu_cores() == 1


@pytest.mark.skipif(not hasattr(os, "getloadavg"), reason="this system has no os.getloadavg")
def test_load_average_is_the_systems_one_minute_load():
    load = load_average()
    assert load is not None and load >= 0
    assert abs(load - os.getloadavg()[0]) < 1  # read a moment apart


def test_a_system_without_load_average_says_so(monkeypatch):
    monkeypatch.delattr(os, "getloadavg", raising=False)  # Windows
    assert load_average() is None
    sentence = describe_machine()
    assert sentence == (
        f"{cpu_cores()} CPU core{'s' if cpu_cores() > 1 else ''} for this notebook; this system "
        "reports no load average, so whether other programs are using the CPU is not shown here"
    )


@pytest.mark.skipif(not hasattr(os, "getloadavg"), reason="this system has no os.getloadavg")
def test_an_unobtainable_load_average_is_none(monkeypatch):
    def unobtainable():
        raise OSError("Load averages are unobtainable")

    monkeypatch.setattr(os, "getloadavg", unobtainable)
    assert load_average() is None
    assert "reports no load average" in describe_machine()


def test_describe_machine_names_the_cores_and_the_load(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.734, 0.5, 0.25))
    assert describe_machine() == (
        f"{cpu_cores()} CPU core{'s' if cpu_cores() > 1 else ''} for this notebook; "
        "load average 0.73 (above ~0.5, something else is using the CPU)"
    )
