"""A standard another program reads: ONNX scored in another process, float32 against float64."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.props.packaging.interchange import (
    onnx_feeds,
    onnx_precision,
    score_onnx_elsewhere,
)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    n = 120
    X = pd.DataFrame(
        {
            "leaf width": rng.normal(5, 1, n),
            "stem length": rng.normal(10, 2, n),
            "soil type": rng.choice(["clay", "sand", "loam"], n).astype(object),
        }
    )
    X.loc[::7, "soil type"] = np.nan
    y = np.where(X["leaf width"] > 5.3, "tall", np.where(X["stem length"] > 10, "bushy", "small"))
    return X, y


@pytest.mark.slow  # a second Python process
def test_score_onnx_elsewhere_scores_a_regressor_on_numpy_without_its_libraries(tmp_path):
    from skl2onnx import to_onnx  # here, not at collection: the only test that needs it

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
    graph = tmp_path / "forest.onnx"
    graph.write_bytes(to_onnx(model, X[:1]).SerializeToString())

    result = score_onnx_elsewhere(graph, {"X": X})

    np.testing.assert_allclose(result.outputs[0].ravel(), model.predict(X), rtol=1e-4, atol=1e-4)
    assert result.imported == []  # neither scikit-learn nor pandas nor this package
    assert result.onnxruntime_version


@pytest.mark.slow  # a second Python process
def test_onnx_feeds_feed_a_package_with_spaces_text_and_missing_values(tmp_path, frame):
    X, y = frame
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), ["leaf width", "stem length"]),
            (
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                ["soil type"],
            ),
        ),
        LogisticRegression(max_iter=500),
    ).fit(X, y)
    package = save_model(model, tmp_path / "plants", format="onnx", sample_input=X.head())

    result = score_onnx_elsewhere(package / "model.onnx", onnx_feeds(package, X))

    assert result.outputs[0].tolist() == load_model(package).predict(X).tolist()
    np.testing.assert_allclose(result.outputs[1], model.predict_proba(X), atol=1e-5)


def test_onnx_feeds_refuses_a_package_of_another_format(tmp_path, frame):
    X, y = frame
    numeric = X[["leaf width", "stem length"]]
    package = save_model(
        LogisticRegression().fit(numeric, y),
        tmp_path / "skops",
        format="skops",
        sample_input=numeric.head(),
    )
    with pytest.raises(ValueError, match=r"'skops' package.*format='onnx'"):
        onnx_feeds(package, numeric)


@pytest.mark.slow  # a second Python process
def test_score_onnx_elsewhere_reports_a_missing_or_broken_graph(tmp_path):
    with pytest.raises(FileNotFoundError, match="No ONNX file"):
        score_onnx_elsewhere(tmp_path / "absent.onnx", {})
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a graph")
    with pytest.raises(RuntimeError, match="scoring process failed"):
        score_onnx_elsewhere(broken, {"X": np.zeros((1, 1), dtype=np.float32)})


def test_onnx_precision_multiclass_float64_is_exact_float32_is_not():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    y = rng.integers(0, 3, 150)
    table = onnx_precision(LogisticRegression().fit(X, y), X)

    assert table.loc["float64", "max_abs_diff"] < 1e-12
    assert 1e-12 < table.loc["float32", "max_abs_diff"] < 1e-4
    assert table["same_labels"].all() and (table["error"] == "").all()


def test_onnx_precision_says_why_the_runtime_refuses_float64(frame):
    X, y = frame
    numeric = X[["leaf width", "stem length"]]
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(numeric, y)
    table = onnx_precision(model, numeric)

    assert table.loc["float32", "error"] == ""
    assert "Imputer" in table.loc["float64", "error"]
    assert np.isnan(table.loc["float64", "max_abs_diff"])
