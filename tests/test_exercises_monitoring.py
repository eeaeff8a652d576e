"""The monitoring questions against right answers, wrong answers and blanks."""

from __future__ import annotations

import numpy as np
import pytest
from question_checks import QuestionChecks

from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import monitoring as ex
from prodml_workshop.monitoring import detect_data_drift, psi
from prodml_workshop.packaging import environment_differences, library_versions


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
    assert detect_data_drift(reference, current).drifted_columns == ["temperature"]


def _quick_picks(reference, current):
    """What the methods the notebook warns against would name."""
    moved = (current.mean() - reference.mean()).abs()
    return {
        "mean, raw units": moved.idxmax(),
        "mean, in standard deviations": (moved / reference.std()).idxmax(),
        "spread": (current.std() / reference.std() - 1).abs().idxmax(),
        "median": ((current.median() - reference.median()).abs() / reference.std()).idxmax(),
        "range": ((current.max() - current.min()) / (reference.max() - reference.min()) - 1)
        .abs()
        .idxmax(),
    }


def test_drift_case_misleads_every_quick_method():
    picks = _quick_picks(*ex.drift_case())
    assert "temperature" not in picks.values(), picks
    for pick in set(picks.values()):
        result = _question(2, drifted_column=pick).evaluate()
        assert result.status is Status.FAIL and "did not drift" in result.message


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


def test_q1_refuses_a_psi_as_text_and_never_shows_the_expected_value():
    result = _question(1, my_psi=lambda r, c, bins=10: str(_psi(r, c, bins))).evaluate()
    assert result.status is Status.FAIL and "should be a number" in result.message
    result = _question(1, my_psi=lambda r, c, bins=10: 1.5 * _psi(r, c, bins) + 0.01).evaluate()
    assert result.status is Status.FAIL and "too high" in result.message
    assert "expected" not in result.message


def test_q1_refuses_an_answer_that_sorts_its_input_in_place():
    def sorts(reference, current, bins=10):
        reference.sort()
        return _psi(reference, current, bins)

    assert _question(1, my_psi=sorts).evaluate().status is Status.FAIL


def test_q1_blank_and_stub_are_not_attempted():
    assert _question(1, my_psi=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    assert _question(1, my_psi=_not_implemented).evaluate().status is Status.NOT_ATTEMPTED


# --- q2: the drifted column ---------------------------------------------------------------


@pytest.mark.parametrize("answer", ["temperature", " temperature "])
def test_q2_accepts_the_drifted_column(answer):
    assert _question(2, drifted_column=answer).evaluate().status is Status.PASS


@pytest.mark.parametrize("answer", [["temperature"], ("temperature",), {"temperature"}])
def test_q2_refuses_a_list_holding_the_name(answer):
    result = _question(2, drifted_column=answer).evaluate()
    assert result.status is Status.FAIL and "one column name (a string)" in result.message


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


# q4's edge cases (patch-only Python and library changes, a library not installed) are in
# every check; the random older versions come on top. A wrong answer fails on those edge cases,
# so a few runs show it fails every time.
RUNS = 10
REFUSAL_RUNS = 3


_checks = QuestionChecks(ex, runs=RUNS)
_question, _always = _checks.question, _checks.always


def _changed_with_metadata(manifest):
    import platform
    from importlib import metadata

    changed = set()
    for name, version in manifest["library_versions"].items():
        if name == "python":
            installed = platform.python_version()
        else:
            try:
                installed = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed = None
        if installed != version:
            changed.add(name)
    return changed


@pytest.mark.parametrize(
    "answer",
    [
        _changed,
        lambda manifest: {
            d["library"] for d in environment_differences(manifest["library_versions"])
        },
        lambda manifest: frozenset(_changed(manifest)),
    ],
)
def test_q4_accepts_a_comparison_with_the_installed_versions(answer):
    _always(Status.PASS, 4, changed_libraries=answer)


@pytest.mark.slow
def test_q4_accepts_reading_the_installed_versions_another_way():
    # importlib.metadata may spell a version differently from library_versions(): only the
    # libraries of this environment decide, so check it gives the same set here first.
    base = ex.weather_manifest()
    if _changed_with_metadata(base):
        pytest.skip("importlib.metadata and library_versions() disagree in this environment")
    _always(Status.PASS, 4, changed_libraries=_changed_with_metadata)


def _skips_python(manifest):
    return _changed(manifest) - {"python"}


def _installed_only(manifest):
    installed = library_versions()
    return {
        n for n, v in manifest["library_versions"].items() if n in installed and installed[n] != v
    }


def _major_minor(manifest):
    installed = library_versions()

    def short(version):
        return ".".join(str(version).split(".")[:2]) if version else None

    return {
        n for n, v in manifest["library_versions"].items() if short(installed.get(n)) != short(v)
    }


def _in_place(manifest):
    changed = _changed(manifest)
    manifest["library_versions"].clear()
    return changed


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_skips_python, "missed python"),
        (_installed_only, "installed none"),
        (_major_minor, "missed"),
        (lambda manifest: sorted(_changed(manifest)), "should be a set"),
        (lambda manifest: set(manifest["library_versions"]), "installed version"),
        (_in_place, "in place"),
    ],
)
def test_q4_refuses_the_common_shortcuts_every_time(answer, says):
    _always(Status.FAIL, 4, REFUSAL_RUNS, changed_libraries=answer)
    result = _question(4, changed_libraries=answer).evaluate()
    assert says in result.message and len(result.message) < 300, result.message


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
    assert _question(5, large_sample_alarm=answer).evaluate().status is Status.REVIEW
    assert _question(5, large_sample_alarm=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
