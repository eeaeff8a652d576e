"""The model zoo: every family the course promises, in every format, round-trips or is refused.

scikit-learn families (linear models, SVMs, k-nearest neighbours, naive Bayes, MLPs, trees and
the tree ensembles) are fitted bare on an all-numeric DataFrame whose column names have spaces,
bare on a numpy array, in a pipeline with a scaler, and in a pipeline with a ColumnTransformer
on a DataFrame with a text column and missing values; each family meets binary, multi-class
and (where it has a regressor) regression targets across those inputs. A PyTorch module is
given a tensor and an array. For every model and format, either the saved package loads and
predicts like the model on all rows, or save_model refuses before writing anything, naming
why and the formats that work; format_support says the same.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from prodml_workshop.models import PenguinNet
from prodml_workshop.packaging import (
    FORMATS,
    UnsupportedFormatError,
    format_support,
    load_model,
    save_model,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # SVC(probability=True) is deprecated in scikit-learn 1.9, and still what students have.
    pytest.mark.filterwarnings("ignore:.*probability:FutureWarning"),
]

N_ROWS = 90
NUMERIC = ["bill length", "bill depth", "flipper length", "body mass"]
SPECIES = np.array(["Adelie", "Chinstrap", "Gentoo"])

# family: (classifier, regressor or None), both unfitted, small and seeded.
FAMILIES: dict[str, tuple[Any, Any]] = {
    # Ridge in every format: tests/test_packaging.py.
    "linear": (LogisticRegression(max_iter=500), LinearRegression()),
    "svm-proba": (SVC(probability=True, random_state=0), SVR()),
    "svm": (SVC(), None),
    "knn": (KNeighborsClassifier(), KNeighborsRegressor()),
    "naive-bayes": (GaussianNB(), None),
    "mlp": (
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0),
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=200, random_state=0),
    ),
    "tree": (DecisionTreeClassifier(random_state=0), DecisionTreeRegressor(random_state=0)),
    "random-forest": (
        RandomForestClassifier(n_estimators=10, random_state=0),
        RandomForestRegressor(n_estimators=10, random_state=0),
    ),
    "extra-trees": (
        ExtraTreesClassifier(n_estimators=10, random_state=0),
        ExtraTreesRegressor(n_estimators=10, random_state=0),
    ),
    "gradient-boosting": (
        GradientBoostingClassifier(n_estimators=10, random_state=0),
        GradientBoostingRegressor(n_estimators=10, random_state=0),
    ),
    "hist-gradient-boosting": (
        HistGradientBoostingClassifier(max_iter=10),
        HistGradientBoostingRegressor(max_iter=10),
    ),
}
# frame: bare, numeric DataFrame with spaces in its column names; array: bare, numpy;
# scaled: Pipeline(StandardScaler, model) on the frame; mixed: Pipeline(ColumnTransformer,
# model) on the frame plus a text column, with missing values in both kinds of column.
INPUTS = ("frame", "array", "scaled", "mixed")
# Scaling changes nothing for trees: they meet pipelines through "mixed" only (keeps the zoo
# within two minutes; PMML's converter costs about a second per model).
TREES = ("tree", "random-forest", "extra-trees", "gradient-boosting", "hist-gradient-boosting")
TASKS = ("multiclass", "binary", "regression")


@dataclass(frozen=True)
class Case:
    family: str
    inputs: str
    task: str

    def __str__(self) -> str:
        return f"{self.family}-{self.inputs}-{self.task}"


def _cases() -> list[Case]:
    """Each family on every input kind, its tasks rotating so that it meets all of them."""
    cases = []
    for number, (family, (_, regressor)) in enumerate(FAMILIES.items()):
        tasks = TASKS if regressor is not None else TASKS[:2]
        inputs_kinds = [kind for kind in INPUTS if not (family in TREES and kind == "scaled")]
        for position, inputs in enumerate(inputs_kinds):
            cases.append(Case(family, inputs, tasks[(number + position) % len(tasks)]))
    return cases


CASES = _cases()
TORCH_CASES = ("tensor-multiclass", "array-multiclass", "array-regression")


@functools.cache
def _data() -> dict[str, Any]:
    X, y = make_classification(
        n_samples=N_ROWS,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    frame = pd.DataFrame(X, columns=NUMERIC)
    island = np.select([X[:, 0] > 0.5, X[:, 0] < -0.5], ["Biscoe", "Dream"], "Torgersen")
    mixed = frame.assign(island=pd.Series(island, dtype=object))
    mixed.loc[::15, "island"] = np.nan
    mixed.loc[7::20, "body mass"] = np.nan
    return {
        "frame": frame,
        "array": X,
        "mixed": mixed,
        "multiclass": SPECIES[y],
        "binary": (X[:, 1] + X[:, 2] > 0).astype(int),
        "regression": 1000 + X @ np.array([150.0, -200.0, 50.0, 300.0]),
    }


def _pipeline(inputs: str, estimator: Any) -> Any:
    if inputs == "scaled":
        return make_pipeline(StandardScaler(), estimator)
    if inputs == "mixed":
        preprocess = ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
                (
                    "text",
                    make_pipeline(
                        SimpleImputer(strategy="most_frequent"),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    ["island"],
                ),
            ]
        )
        return Pipeline([("preprocess", preprocess), ("model", estimator)])
    return estimator


@functools.cache
def _fitted(case: Case) -> tuple[Any, Any]:
    """The fitted model and its input X (fitted once, shared by the tests of every format)."""
    from sklearn.base import clone

    data = _data()
    classifier, regressor = FAMILIES[case.family]
    estimator = clone(regressor if case.task == "regression" else classifier)
    X = data["mixed" if case.inputs == "mixed" else "array" if case.inputs == "array" else "frame"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = _pipeline(case.inputs, estimator).fit(X, data[case.task])
    return model, X


@functools.cache
def _torch_model(case: str) -> tuple[Any, Any, dict[str, int]]:
    """PenguinNet, its input (a tensor or an array) and its init_kwargs."""
    data = _data()
    X = data["array"].astype(np.float32)
    classification = case.endswith("multiclass")
    if classification:
        target = torch.from_numpy(np.searchsorted(SPECIES, data["multiclass"]))
        n_outputs, loss_fn = 3, torch.nn.CrossEntropyLoss()
    else:
        y = (data["regression"] / 1000).astype(np.float32)
        target, n_outputs, loss_fn = torch.from_numpy(y[:, None]), 1, torch.nn.MSELoss()
    init_kwargs = {"n_features": 4, "n_outputs": n_outputs, "hidden": 8}
    torch.manual_seed(0)
    net = PenguinNet(**init_kwargs)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    inputs = torch.from_numpy(X)
    for _ in range(60):
        optimizer.zero_grad()
        loss_fn(net(inputs), target).backward()
        optimizer.step()
    if classification:
        net.classes_ = list(SPECIES)
    net.eval()
    return net, inputs if case.startswith("tensor") else X, init_kwargs


@functools.cache
def _support(case: Case | str) -> pd.DataFrame:
    if isinstance(case, str):
        net, X, init_kwargs = _torch_model(case)
        return format_support(net, X[:5], init_kwargs)
    model, X = _fitted(case)
    return format_support(model, X[:5])


@functools.cache
def _expected(case: Case | str, proba: bool) -> np.ndarray:
    """The model's own output on all rows, computed once, before any save.

    Predicting changes some models' state (a k-d tree counts its distance calls); doing it
    once keeps the model's content, and so format_support's remembered outcomes, stable.
    """
    model, X = _torch_model(case)[:2] if isinstance(case, str) else _fitted(case)
    return _reference(model, X, proba)


def _reference(model: Any, X: Any, proba: bool) -> np.ndarray:
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            output = model(torch.as_tensor(np.asarray(X, dtype=np.float32)))
        if proba:
            return torch.softmax(output, dim=1).numpy()
        if output.shape[1] > 1:
            return np.asarray(model.classes_)[output.argmax(dim=1).numpy()]
        return output[:, 0].numpy()
    return model.predict_proba(X) if proba else model.predict(X)


def _assert_round_trip(case: Case | str, X: Any, package, fmt: str) -> None:
    loaded = load_model(package, trusted=FORMATS[fmt].runs_code_on_load)
    tolerance = FORMATS[fmt].tolerance
    expected = _expected(case, proba=False)
    actual = loaded.predict(X)
    if loaded.manifest["task"] == "classification":
        np.testing.assert_array_equal(actual, expected)
        if loaded.manifest["has_predict_proba"]:
            np.testing.assert_allclose(
                loaded.predict_proba(X), _expected(case, proba=True), rtol=0, atol=tolerance
            )
    else:
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance * scale)


def _check(case: Case | str, model: Any, X: Any, fmt: str, tmp_path, **options) -> None:
    _expected(case, proba=False)
    has_proba = hasattr(model, "predict_proba") or (
        isinstance(model, torch.nn.Module) and case.endswith("multiclass")
    )
    if has_proba:
        _expected(case, proba=True)
    table = _support(case)
    package = tmp_path / "package"
    works = [name for name in table.index if table.loc[name, "works"]]
    try:
        save_model(model, package, format=fmt, sample_input=X[:5], **options)
    except UnsupportedFormatError as exc:
        message = str(exc)
        assert not table.loc[fmt, "works"], f"format_support said {fmt} works: {message}"
        assert not package.exists(), "a refused save wrote something"
        assert table.loc[fmt, "reason"] and table.loc[fmt, "reason"] in message
        others = [name for name in works if name != fmt]
        assert message.endswith(f"Formats that work for this model: {others or 'none'}.")
        return
    assert table.loc[fmt, "works"], f"format_support refused {fmt}: {table.loc[fmt, 'reason']}"
    _assert_round_trip(case, X, package, fmt)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", CASES, ids=str)
def test_scikit_learn_model_round_trips_or_is_refused_before_writing(case, fmt, tmp_path):
    model, X = _fitted(case)
    _check(case, model, X, fmt, tmp_path)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", TORCH_CASES)
def test_torch_module_round_trips_or_is_refused_before_writing(case, fmt, tmp_path):
    net, X, init_kwargs = _torch_model(case)
    _check(case, net, X, fmt, tmp_path, init_kwargs=init_kwargs)


# Every refusal the zoo meets besides formats of the other kind of model (torch and safetensors
# for scikit-learn, skops and pmml for PyTorch): (family, format, task) -> the reason.
KNOWN_REFUSALS = {
    # sklearn2pmml writes no probability outputs for SVC and k-NN classifiers.
    ("svm-proba", "pmml", "classification"): "gives no class probabilities",
    # ... and the PMML evaluator breaks k-NN vote ties otherwise than scikit-learn.
    ("knn", "pmml", "classification"): "gives no class probabilities|does not reproduce",
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_only_the_known_refusals_happen(case):
    table = _support(case)
    kind_of_task = "regression" if case.task == "regression" else "classification"
    for fmt in ["pickle", "joblib", "skops", "onnx", "pmml"]:
        expected = KNOWN_REFUSALS.get((case.family, fmt, kind_of_task))
        if expected is None:
            assert table.loc[fmt, "works"], (fmt, table.loc[fmt, "reason"])
        else:
            assert not table.loc[fmt, "works"], f"{fmt} works now: update KNOWN_REFUSALS"
            assert re.search(expected, table.loc[fmt, "reason"]), table.loc[fmt, "reason"]


def test_every_family_has_a_safe_format_that_works():
    """Each model can be shared without pickle: skops, onnx or pmml works for it."""
    for case in CASES:
        table = _support(case)
        assert table.loc[["skops", "onnx", "pmml"], "works"].any(), (case, table)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_torch_modules_work_in_every_torch_format(case):
    table = _support(case)
    assert table.loc[["pickle", "joblib", "onnx", "torch", "safetensors"], "works"].all(), table
    assert re.search("does not apply to a PyTorch model", table.loc["skops", "reason"])
