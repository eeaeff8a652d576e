"""The HistGradientBoosting fix: the converter's bug is still there, and the fixed graph matches."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from prodml_workshop.packaging import load_model, save_model


def _features(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["wind speed", "gust (m/s)", "pressure"])
    X[rng.random(X.shape) < 0.1] = np.nan  # missing values take the branch learned at fit
    return X


def test_skl2onnx_still_writes_a_bool_for_histogram_boosting():
    """When this fails, skl2onnx writes integers itself: delete skl2onnx_fixes and this test."""
    from skl2onnx import to_onnx

    X = _features().to_numpy(dtype=np.float32)
    model = HistGradientBoostingRegressor(max_iter=3).fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="Unable to create node") as raised:
        to_onnx(model, X[:1])
    assert "Expected an int, got a boolean" in str(raised.value.__cause__)


@pytest.mark.parametrize(
    ("model", "target"),
    [
        (HistGradientBoostingClassifier(max_iter=20), "multiclass"),
        (HistGradientBoostingRegressor(max_iter=20), "regression"),
    ],
)
def test_histogram_boosting_round_trips_through_onnx_with_missing_values(model, target, tmp_path):
    X = _features()
    filled = X.fillna(0)
    y = filled["wind speed"] + filled["pressure"]
    if target == "multiclass":
        y = np.digitize(y, [-0.5, 0.5])  # three classes
    model.fit(X, y)
    save_model(model, tmp_path / "hgb", format="onnx", sample_input=X.head(20))
    loaded = load_model(tmp_path / "hgb")
    missing_rows = X.isna().any(axis=1)
    assert missing_rows.sum() > 50  # the comparison covers the missing-value branches
    if target == "multiclass":
        assert (loaded.predict(X) == model.predict(X)).all()
        np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)
    else:
        np.testing.assert_allclose(loaded.predict(X), model.predict(X), atol=1e-5)


def test_the_fix_is_undone_after_the_conversion(tmp_path):
    from skl2onnx.common import tree_ensemble

    original = tree_ensemble.add_node
    X = _features()
    model = HistGradientBoostingRegressor(max_iter=3).fit(X.fillna(0), X["pressure"].fillna(0))
    save_model(model, tmp_path / "hgb", format="onnx", sample_input=X.head(5).fillna(0))
    assert tree_ensemble.add_node is original
