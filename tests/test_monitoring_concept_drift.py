"""Concept drift: performance per window and sequential change detectors."""

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.monitoring import (
    DriftInputError,
    PageHinkley,
    detect_change,
    performance_by_window,
)

CHANGE = 1000


def _mistakes(seed, before=0.1, after=0.4, n=2000):
    """0/1 mistakes whose rate jumps from ``before`` to ``after`` at CHANGE."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.random(CHANGE) < before, rng.random(n - CHANGE) < after]).astype(int)


def test_detector_reports_the_change_after_it_happens_with_a_short_delay():
    position = detect_change(_mistakes(seed=0), PageHinkley())
    assert position is not None
    delay = position - CHANGE
    assert 0 <= delay <= 250


def test_detector_never_alarms_before_the_change_over_several_seeds():
    delays = []
    for seed in range(10):
        position = detect_change(_mistakes(seed), PageHinkley())
        assert position is not None and position >= CHANGE, f"seed {seed}: alarm at {position}"
        delays.append(position - CHANGE)
    assert np.median(delays) <= 200


def test_detector_stays_quiet_on_a_stream_without_change():
    for seed in range(10):
        assert detect_change(_mistakes(seed, after=0.1), PageHinkley()) is None


def test_page_hinkley_detects_a_rise_of_absolute_errors():
    rng = np.random.default_rng(5)
    errors = np.abs(np.concatenate([rng.normal(0, 1, 800), rng.normal(0, 2.5, 400)]))
    position = detect_change(errors, PageHinkley(threshold=30))
    assert 800 <= position <= 900


def test_detector_starts_afresh_after_an_alarm():
    detector = PageHinkley(threshold=5, min_samples=5)
    alarms = [detector.update(x) for x in [0] * 10 + [3] * 10]
    assert alarms.index(True) == 11
    assert detector.n < 10  # reset at the alarm, counting again since


def test_detect_change_uses_page_hinkley_by_default():
    stream = _mistakes(seed=1)
    assert detect_change(stream) == detect_change(stream, PageHinkley())


@pytest.fixture
def feedback():
    times = pd.date_range("2024-01-01", periods=6, freq="12h")  # three days, two rows a day
    return pd.DataFrame(
        {
            "time": times,
            "label": ["a", "b", "a", "a", "b", "b"],
            "predicted": ["a", "b", "a", "b", "a", "a"],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "estimate": [1.0, 2.5, 3.0, 3.0, 5.0, 8.0],
        }
    )


def test_accuracy_per_window_counts_matches_per_day(feedback):
    scores = performance_by_window(feedback, "time", "label", "predicted", freq="D")
    assert scores["accuracy"].tolist() == [1.0, 0.5, 0.0]
    assert scores["n"].tolist() == [2, 2, 2]
    assert scores.index[0] == pd.Timestamp("2024-01-01")


def test_mae_per_window_is_chosen_for_float_targets(feedback):
    scores = performance_by_window(feedback, "time", "value", "estimate", freq="D")
    assert scores.columns.tolist() == ["n", "mae"]
    assert scores["mae"].tolist() == pytest.approx([0.25, 0.5, 1.0])


def test_empty_windows_are_kept_with_no_rows(feedback):
    gap = feedback.drop(index=[2, 3])
    scores = performance_by_window(gap, "time", "label", "predicted", freq="D")
    assert scores["n"].tolist() == [2, 0, 2]
    assert np.isnan(scores["accuracy"].iloc[1])


def test_performance_by_window_refuses_bad_input(feedback):
    with pytest.raises(DriftInputError, match=r"lacks the columns \['truth'\]"):
        performance_by_window(feedback, "time", "truth", "predicted")
    with pytest.raises(DriftInputError, match="feedback is empty"):
        performance_by_window(feedback.iloc[:0], "time", "label", "predicted")
    with pytest.raises(DriftInputError, match="metric='mae' needs numbers"):
        performance_by_window(feedback, "time", "label", "predicted", metric="mae")
    with pytest.raises(ValueError, match="metric must be"):
        performance_by_window(feedback, "time", "label", "predicted", metric="f1")
