"""The set-up check: pins read from installed metadata, Java, memory, a free port."""

import psutil

from prodml_workshop.setup_check import available_memory, check_environment


def test_check_environment_passes_in_the_pinned_environment():
    report = check_environment()
    assert list(report.columns) == ["item", "found", "wanted", "ok"]
    items = set(report["item"])
    assert {"python", "scikit-learn", "torch", "pandas", "java (for PMML)", "free memory"} <= items
    assert report["ok"].all(), report[~report["ok"]]


def test_check_environment_flags_a_version_that_misses_its_pin(tmp_path, monkeypatch):
    dist = tmp_path / "pinned_course-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pinned-course\nVersion: 1.0\n"
        "Requires-Dist: scikit-learn==1.9.1\nRequires-Dist: not-installed-anywhere==1.0\n"
        'Requires-Dist: pytest; extra == "dev"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    report = check_environment("pinned-course").set_index("item")
    assert report.loc["scikit-learn", "found"] == "1.9.0"
    assert not report.loc["scikit-learn", "ok"]
    assert report.loc["not-installed-anywhere", "found"] == "missing"
    assert "pytest" not in report.index  # extras are not part of the student's environment


def test_available_memory_is_positive_and_at_most_what_the_machine_has():
    assert 0 < available_memory() <= psutil.virtual_memory().total
