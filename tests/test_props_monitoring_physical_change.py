"""Concept drift from a physical change (salt: inputs stay put), data drift from a calibration."""

from __future__ import annotations

import pytest
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.monitoring import detect_data_drift
from prodml_workshop.props.monitoring.physical_change import freezing_point, road_readings


def test_freezing_point_follows_the_ideal_law_and_refuses_negative_salt():
    assert freezing_point(0.0) == 0.0
    assert freezing_point(2.0) == pytest.approx(-7.44)
    with pytest.raises(ValueError, match="0 or more"):
        freezing_point(-1.0)


def test_salt_changes_the_answers_not_the_inputs():
    fresh = road_readings(2000, seed=0)
    salted = road_readings(2000, salt_mol_per_kg=1.5, seed=1)
    model = DecisionTreeClassifier(max_depth=3).fit(fresh[["surface_temp_c"]], fresh["icy"])

    assert model.score(fresh[["surface_temp_c"]], fresh["icy"]) > 0.95
    assert model.score(salted[["surface_temp_c"]], salted["icy"]) < 0.85
    assert not detect_data_drift(
        fresh[["surface_temp_c"]], salted[["surface_temp_c"]]
    ).dataset_drift


def test_road_readings_are_reproducible_per_seed():
    assert road_readings(10, seed=3).equals(road_readings(10, seed=3))
    assert not road_readings(10, seed=3).equals(road_readings(10, seed=4))


def test_a_sensor_offset_moves_the_readings_not_the_ice():
    before = road_readings(2000, seed=0)
    offset = road_readings(2000, sensor_offset_c=1.5, seed=0)
    assert (offset["icy"] == before["icy"]).all()
    assert (offset["surface_temp_c"] - before["surface_temp_c"]).round(9).eq(1.5).all()
    other_winter = road_readings(2000, sensor_offset_c=1.5, seed=1)
    assert detect_data_drift(
        before[["surface_temp_c"]], other_winter[["surface_temp_c"]]
    ).dataset_drift
