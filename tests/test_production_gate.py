"""The promotion gate, on models the course does not use: a regressor and a multi-class tree."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.monitoring import save_reference
from prodml_workshop.packaging import read_manifest, save_model
from prodml_workshop.production import GateDecision, promotion_gate
from prodml_workshop.serving import model_version

FEATURES = ["soil moisture (%)", "hours of sun"]


def _rows(n, seed, low=0.0, high=10.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(low, high, (n, 2)), columns=FEATURES)
    return X.assign(growth=3 * X[FEATURES[0]] - X[FEATURES[1]] + rng.normal(0, 0.5, n))


def _regressor(folder, training):
    model = RandomForestRegressor(n_estimators=20, random_state=0)
    model.fit(training[FEATURES], training["growth"])
    package = save_model(model, folder, format="skops", sample_input=training[FEATURES].head())
    save_reference(package, training[FEATURES])
    return package


@pytest.fixture(scope="module")
def regressors(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "good": _regressor(root / "good" / "growth", _rows(300, 0)),
        "few": _regressor(root / "few" / "growth", _rows(12, 1)),
        "narrow": _regressor(root / "narrow" / "growth", _rows(300, 2, high=5.0)),
    }


def test_a_better_challenger_with_a_sound_reference_is_promoted(regressors):
    window = _rows(60, 9)
    decision = promotion_gate(
        regressors["good"], regressors["few"], window,
        features=FEATURES, target="growth", metric=r2_score,
    )  # fmt: skip
    assert decision.promote and decision.reasons == []
    assert decision.challenger == model_version(read_manifest(regressors["good"]))
    assert decision.champion == model_version(read_manifest(regressors["few"]))
    checks = decision.checks
    assert checks.index.tolist() == [
        "score", "technical drift", "reference size", "reference coverage"
    ]  # fmt: skip
    assert checks.loc["score", "challenger"] > checks.loc["score", "champion or limit"] > 0
    assert checks.loc["reference size", "challenger"] == 300
    assert checks.loc["reference coverage", "challenger"] == 0.0
    assert str(decision).startswith("PROMOTE") and "r2_score" in str(decision)


def test_a_challenger_trained_on_a_few_rows_is_refused_with_the_numbers(regressors):
    decision = promotion_gate(
        regressors["few"], regressors["good"], _rows(60, 9),
        features=FEATURES, target="growth", metric=r2_score,
    )  # fmt: skip
    assert not decision.promote
    failed = [reason.split(":")[0] for reason in decision.reasons]
    assert failed[:2] == ["score", "reference size"]
    assert "12 reference rows, at least 100 needed" in str(decision)
    lenient = promotion_gate(
        regressors["few"], regressors["good"], _rows(60, 9), features=FEATURES,
        target="growth", metric=r2_score, tolerance=10.0, min_reference_rows=10, max_flagged=1.0,
    )  # fmt: skip
    assert lenient.promote  # every limit is a parameter


def test_a_window_outside_the_challengers_reference_fails_its_coverage(regressors):
    decision = promotion_gate(
        regressors["narrow"], None, _rows(40, 9, low=5.0, high=10.0),
        features=FEATURES, target="growth", metric=r2_score,
    )  # fmt: skip
    assert decision.champion is None and decision.checks.loc["score", "passed"]
    assert [r.split(":")[0] for r in decision.reasons] == ["reference coverage"]
    assert decision.checks.loc["reference coverage", "challenger"] > 0.5


def test_a_challenger_without_reference_fails_technical_drift_and_reference_checks(
    regressors, tmp_path
):
    bare = shutil.copytree(regressors["good"], tmp_path / "bare" / "growth")
    manifest = read_manifest(bare)  # as if saved without a reference
    for name in ("reference.parquet", "reference.json", "reference_profile.json"):
        (bare / name).unlink()
        del manifest["artifacts"][name]
    (bare / "manifest.json").write_text(json.dumps(manifest))
    decision = promotion_gate(
        bare, None, _rows(20, 9), features=FEATURES, target="growth", metric=r2_score
    )
    failed = [r.split(":")[0] for r in decision.reasons]
    assert failed == ["technical drift", "reference size", "reference coverage"]
    assert "run save_reference" in decision.checks.loc["technical drift", "detail"]
    with pytest.raises(ValueError, match="metric=r2_score for a regressor"):
        promotion_gate(bare, None, _rows(20, 9), features=FEATURES, target="growth")


def test_a_multiclass_challenger_is_scored_on_integer_labels(tmp_path):
    rows = _rows(400, 5)
    rows["band"] = np.digitize(rows["growth"], [0, 10, 20])  # four integer classes
    train, window = rows.iloc[:300], rows.iloc[300:]
    packages = []
    for depth in (1, 6):
        model = DecisionTreeClassifier(max_depth=depth, random_state=0)
        package = save_model(
            model.fit(train[FEATURES], train["band"]), tmp_path / f"d{depth}" / "band",
            format="skops", sample_input=train[FEATURES].head(),
        )  # fmt: skip
        save_reference(package, train[FEATURES])
        packages.append(package)
    shallow, deep = packages
    promoted = promotion_gate(deep, shallow, window, features=FEATURES, target="band")
    refused = promotion_gate(shallow, deep, window, features=FEATURES, target="band")
    assert promoted.promote and not refused.promote
    assert [r.split(":")[0] for r in refused.reasons] == ["score"]
    assert "accuracy_score" in refused.reasons[0]
    with pytest.raises(ValueError, match="lacks \\['band'\\]"):
        promotion_gate(deep, shallow, window.drop(columns="band"), features=FEATURES, target="band")
    assert isinstance(promoted, GateDecision)
