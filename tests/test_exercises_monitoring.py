"""The monitoring questions against right answers, wrong answers and blanks."""

from __future__ import annotations

import numpy as np
import pytest

from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import monitoring as ex
from prodml_workshop.monitoring import detect_data_drift, psi
from prodml_workshop.packaging import library_versions


def _question(number: int, **answers):
    return ex.bind(dict(answers))[number - 1]


def _not_implemented(*args):
    raise NotImplementedError("your code here")


# --- The helpers ----------------------------------------------------------------------------


def test_psi_with_sturges_bins_is_the_monitoring_psi():
    rng = np.random.default_rng(3)
    reference, current = rng.normal(0, 1, 800), rng.normal(0.4, 1.3, 500)
    sturges = len(np.histogram_bin_edges(np.concatenate([reference, current]), "sturges")) - 1
    assert ex.psi_with_bins(reference, current, sturges) == pytest.approx(
        psi(reference, current), rel=1e-12
    )


def test_drift_case_is_fixed_and_has_exactly_one_drifted_column():
    reference, current = ex.drift_case()
    again = ex.drift_case()
    assert reference.equals(again[0]) and current.equals(again[1])
    assert detect_data_drift(reference, current).drifted_columns == ["wind"]


@pytest.mark.slow
def test_weather_manifest_records_this_environment():
    manifest = ex.weather_manifest()
    assert manifest["library_versions"] == library_versions()
    manifest["library_versions"]["numpy"] = "0.0"
    assert ex.weather_manifest()["library_versions"]["numpy"] != "0.0"


# --- q1: PSI ------------------------------------------------------------------------------


def _psi(reference, current, bins=10):
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=bins)
    r = np.histogram(reference, edges)[0] / len(reference)
    c = np.histogram(current, edges)[0] / len(current)
    r, c = np.where(r == 0, 1e-4, r), np.where(c == 0, 1e-4, c)
    return float(np.sum((r - c) * np.log(r / c)))


def test_q1_accepts_an_independent_psi():
    assert _question(1, my_psi=_psi).evaluate().status is Status.PASS


def test_q1_says_when_empty_bins_make_it_infinite():
    def unfilled(reference, current, bins=10):
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=bins)
        r = np.histogram(reference, edges)[0] / len(reference)
        c = np.histogram(current, edges)[0] / len(current)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum((r - c) * np.log(r / c)))

    result = _question(1, my_psi=unfilled).evaluate()
    assert result.status is Status.FAIL and "0.0001" in result.message


def test_q1_says_when_the_bins_cover_the_reference_only():
    def reference_edges(reference, current, bins=10):
        edges = np.histogram_bin_edges(reference, bins=bins)
        r = np.histogram(reference, edges)[0] / len(reference)
        c = np.histogram(current, edges)[0] / len(current)
        r, c = np.where(r == 0, 1e-4, r), np.where(c == 0, 1e-4, c)
        return float(np.sum((r - c) * np.log(r / c)))

    result = _question(1, my_psi=reference_edges).evaluate()
    assert result.status is Status.FAIL and "span both samples" in result.message


def test_q1_says_when_the_logarithm_is_decimal():
    result = _question(1, my_psi=lambda r, c, bins=10: _psi(r, c, bins) / np.log(10)).evaluate()
    assert result.status is Status.FAIL and "natural logarithm" in result.message


def test_q1_blank_and_stub_are_not_attempted():
    assert _question(1, my_psi=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    assert _question(1, my_psi=_not_implemented).evaluate().status is Status.NOT_ATTEMPTED


# --- q2: the drifted column ---------------------------------------------------------------


@pytest.mark.parametrize("answer", ["wind", " wind ", ["wind"]])
def test_q2_accepts_the_drifted_column(answer):
    assert _question(2, drifted_column=answer).evaluate().status is Status.PASS


def test_q2_explains_why_another_column_did_not_drift():
    result = _question(2, drifted_column="humidity").evaluate()
    assert result.status is Status.FAIL
    assert "'humidity' did not drift: its ks statistic" in result.message


def test_q2_refuses_an_unknown_column_or_a_non_string():
    result = _question(2, drifted_column="rain").evaluate()
    assert result.status is Status.FAIL and "not a column" in result.message
    result = _question(2, drifted_column=3).evaluate()
    assert result.status is Status.FAIL and "a column name" in result.message


def test_q2_blank_is_not_attempted():
    assert _question(2, drifted_column=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED


# --- q3: kinds of drift -------------------------------------------------------------------

RIGHT_KINDS = {name: kind for name, (_, kind, _) in ex.SCENARIOS.items()}


def test_q3_accepts_the_right_kinds_in_any_spelling():
    assert _question(3, drift_kinds=RIGHT_KINDS).evaluate().status is Status.PASS
    spelled = {name: f" {kind.title()} drift" for name, kind in RIGHT_KINDS.items()}
    assert _question(3, drift_kinds=spelled).evaluate().status is Status.PASS


def test_q3_gives_a_reason_for_each_wrong_answer():
    answers = {**RIGHT_KINDS, "relabelled": "data", "rebuilt_image": "concept"}
    result = _question(3, drift_kinds=answers).evaluate()
    assert result.status is Status.FAIL
    assert "'relabelled' is not data drift: the same inputs get another true label" in (
        result.message
    )
    assert "'rebuilt_image' is not concept drift" in result.message


def test_q3_refuses_missing_scenarios_and_unknown_kinds():
    partial = dict(list(RIGHT_KINDS.items())[:2])
    result = _question(3, drift_kinds=partial).evaluate()
    assert result.status is Status.FAIL and "no answer for" in result.message
    result = _question(3, drift_kinds={**RIGHT_KINDS, "summer": "seasonal"}).evaluate()
    assert result.status is Status.FAIL and "use one of" in result.message


def test_q3_blank_is_not_attempted():
    assert _question(3, drift_kinds=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED


# --- q4: changed libraries ----------------------------------------------------------------


def _changed(manifest):
    installed = library_versions()
    return {
        name
        for name, version in manifest["library_versions"].items()
        if installed.get(name) != version
    }


def test_q4_accepts_a_comparison_with_the_installed_versions():
    assert _question(4, changed_libraries=_changed).evaluate().status is Status.PASS


def test_q4_accepts_a_list_and_an_answer_that_edits_its_argument():
    def destructive(manifest):
        changed = sorted(_changed(manifest))
        manifest["library_versions"].clear()
        return changed

    assert _question(4, changed_libraries=destructive).evaluate().status is Status.PASS


def test_q4_says_which_library_was_missed():
    from importlib import metadata

    def without_python(manifest):
        versions = manifest["library_versions"]
        changed = set()
        for name, version in versions.items():
            if name == "python":
                continue
            try:
                installed = metadata.version(name)
            except metadata.PackageNotFoundError:
                continue  # forgets libraries that are not installed
            if installed != version:
                changed.add(name)
        return changed

    failures = [_question(4, changed_libraries=without_python).evaluate() for _ in range(8)]
    assert any(r.status is Status.FAIL and "missed" in r.message for r in failures)


def test_q4_refuses_unchanged_libraries():
    def everything(manifest):
        return set(manifest["library_versions"])

    result = _question(4, changed_libraries=everything).evaluate()
    assert result.status is Status.FAIL and "installed version" in result.message


def test_q4_blank_and_stub_are_not_attempted():
    assert _question(4, changed_libraries=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    q4 = _question(4, changed_libraries=_not_implemented)
    assert q4.evaluate().status is Status.NOT_ATTEMPTED


# --- q5: think about it -------------------------------------------------------------------


def test_q5_needs_a_sentence():
    assert _question(5, large_sample_alarm="p-values shrink").evaluate().status is (
        Status.NOT_ATTEMPTED
    )
    answer = "With 50 000 rows even a negligible shift is statistically significant."
    assert _question(5, large_sample_alarm=answer).evaluate().status is Status.PASS
    assert _question(5, large_sample_alarm=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
