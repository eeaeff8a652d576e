"""save_model checks before it writes; format_support answers up front; tensors and ONNX inputs."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from prodml_workshop.models import PenguinNet
from prodml_workshop.packaging import (
    FORMATS,
    UnsupportedFormatError,
    compare_formats,
    format_support,
    load_model,
    read_manifest,
    save_model,
)

SPACED = ["bill length", "bill depth", "flipper length", "body mass"]
# The PenguinNet of the `net` fixture is built with these.
NET_KWARGS = {"n_features": 4, "n_outputs": 3, "hidden": 8}


@pytest.fixture(scope="module")
def spaced_frame():
    X, y = make_classification(80, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=1)
    return pd.DataFrame(X, columns=SPACED), np.array(["a", "b", "c"])[y]


@pytest.fixture(scope="module")
def forest(spaced_frame):
    X, y = spaced_frame
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return PenguinNet(**NET_KWARGS).eval()


def _digests(folder):
    return {file.name: hashlib.sha256(file.read_bytes()).hexdigest() for file in folder.iterdir()}


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
def test_a_refused_save_leaves_an_existing_package_intact(forest, spaced_frame, tmp_path):
    X, _ = spaced_frame
    package = save_model(forest, tmp_path / "pkg", format="skops", sample_input=X.head())
    before = _digests(package)

    with pytest.raises(UnsupportedFormatError, match="Nothing was written"):
        save_model(forest, package, format="safetensors", sample_input=X.head())

    assert _digests(package) == before
    np.testing.assert_array_equal(load_model(package).predict(X), forest.predict(X))


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
def test_a_refused_save_creates_no_folder(forest, spaced_frame, tmp_path):
    X, _ = spaced_frame
    with pytest.raises(UnsupportedFormatError):
        save_model(forest, tmp_path / "new" / "pkg", format="torch", sample_input=X.head())
    assert not (tmp_path / "new").exists()


def _triple(X):
    return X * 3


def test_a_model_no_format_can_store_is_refused_everywhere_saying_so(tmp_path):
    X, y = make_regression(40, 3, random_state=0)
    # A lambda cannot be pickled, skops will not trust it, converters do not know it.
    model = make_pipeline(FunctionTransformer(lambda X: X * 3), Ridge()).fit(X, y)
    table = format_support(model, X[:5])

    assert not table["works"].any()
    assert (table["reason"] != "").all()
    with pytest.raises(UnsupportedFormatError, match=r"Formats that work for this model: none\."):
        save_model(model, tmp_path / "pkg", format="joblib", sample_input=X[:5])
    assert not (tmp_path / "pkg").exists()


@pytest.mark.slow  # PMML starts a JVM
def test_format_support_lists_every_format_with_a_reason_for_each_no(forest, spaced_frame):
    X, _ = spaced_frame
    table = format_support(forest, X.head())

    assert list(table.index) == list(FORMATS)
    assert list(table.columns) == ["works", "reason"]
    assert table["works"].dtype == bool
    assert ((table["reason"] == "") == table["works"]).all()
    assert table["works"].to_dict() == {
        "pickle": True,
        "joblib": True,
        "skops": True,
        "onnx": True,
        "pmml": True,
        "torch": False,
        "safetensors": False,
    }
    assert "does not apply to a scikit-learn model" in table.loc["torch", "reason"]


def test_format_support_tries_only_the_formats_asked_for_in_their_order(net):
    table = format_support(
        net, torch.zeros(5, 4), NET_KWARGS, formats=["safetensors", "pmml", "cbor"]
    )

    assert list(table.index) == ["safetensors", "pmml", "cbor"]
    assert table["works"].to_dict() == {"safetensors": True, "pmml": False, "cbor": False}
    assert "does not apply to a PyTorch model" in table.loc["pmml", "reason"]
    assert "Unknown format 'cbor'" in table.loc["cbor", "reason"]


@pytest.mark.slow
def test_format_support_and_save_model_agree_on_a_model_checked_afresh(tmp_path):
    """A k-NN classifier: PMML gives no probabilities for it, the other formats work."""
    X, y = make_classification(60, 4, n_informative=3, n_redundant=0, random_state=2)
    model = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    table = format_support(model, X[:5])
    assert not table.loc["pmml", "works"]
    assert "no class probabilities" in table.loc["pmml", "reason"]

    # A refit changes the model's content: save_model checks everything anew.
    model.fit(X[:-1], y[:-1])
    with pytest.raises(UnsupportedFormatError, match="no class probabilities") as refusal:
        save_model(model, tmp_path / "pmml", format="pmml", sample_input=X[:5])
    assert str(refusal.value).endswith(
        "Formats that work for this model: ['pickle', 'joblib', 'skops', 'onnx']."
    )


def test_onnx_feeds_a_numeric_frame_as_one_matrix_in_schema_order(forest, spaced_frame, tmp_path):
    import onnx

    X, _ = spaced_frame
    package = save_model(forest, tmp_path / "pkg", format="onnx", sample_input=X.head())
    graph = onnx.load(package / "model.onnx").graph

    assert [graph_input.name for graph_input in graph.input] == ["X"]
    shuffled = X[X.columns[::-1]]
    loaded = load_model(package)
    np.testing.assert_array_equal(loaded.predict(shuffled), forest.predict(X))
    np.testing.assert_array_equal(loaded.predict(X.to_numpy()), forest.predict(X))


def test_onnx_maps_renamed_columns_with_spaces_by_position(spaced_frame, tmp_path):
    X, y = spaced_frame
    X = X.assign(island=np.where(X["bill length"] > 0, "Biscoe", "Dream"))
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), SPACED), (OneHotEncoder(handle_unknown="ignore"), ["island"])
        ),
        LogisticRegression(max_iter=500),
    ).fit(X, y)
    package = save_model(model, tmp_path / "pkg", format="onnx", sample_input=X.head())
    import onnx

    names = [graph_input.name for graph_input in onnx.load(package / "model.onnx").graph.input]
    assert len(names) == 5 and "bill length" not in names  # skl2onnx renamed them

    loaded = load_model(package)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)


@pytest.mark.slow
def test_pmml_stores_a_model_fitted_on_an_array(tmp_path):
    X, y = make_regression(50, 3, random_state=0)
    model = Ridge().fit(X, y)
    package = save_model(model, tmp_path / "pkg", format="pmml", sample_input=X[:5])
    np.testing.assert_allclose(load_model(package).predict(X), model.predict(X), rtol=1e-9)


def test_a_torch_tensor_is_taken_wherever_an_array_is(net, tmp_path):
    X = torch.randn(20, 4)
    package = save_model(
        net,
        tmp_path / "pkg",
        format="safetensors",
        sample_input=X[:5],
        init_kwargs=NET_KWARGS,
    )
    assert read_manifest(package)["input_schema"] == {
        "type": "ndarray",
        "n_features": 4,
        "dtype": "float32",
    }
    loaded = load_model(package)
    with torch.no_grad():
        logits = net(X)
    np.testing.assert_array_equal(loaded.predict(X), logits.argmax(dim=1).numpy())
    np.testing.assert_allclose(loaded.predict_proba(X), torch.softmax(logits, dim=1).numpy())


@pytest.mark.slow
def test_compare_formats_puts_torch_safetensors_and_onnx_side_by_side(net):
    X = torch.randn(30, 4)
    table = compare_formats(
        net,
        X,
        formats=["torch", "safetensors", "onnx"],
        init_kwargs=NET_KWARGS,
    )
    assert list(table.index) == ["torch", "safetensors", "onnx"]
    assert (table.loc[["torch", "safetensors"], "max_abs_diff"] == 0).all()
    assert 0 <= table.loc["onnx", "max_abs_diff"] < 1e-5


@pytest.mark.slow  # exports to ONNX via torch.export: imports torch._dynamo (~4 s), ~1.5 s each
def test_onnx_package_of_a_torch_module_loads_without_its_class(net, tmp_path):
    """The graph holds the architecture: a manifest naming a missing class does not matter."""
    import json

    X = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    package = save_model(
        net,
        tmp_path / "pkg",
        format="onnx",
        sample_input=X[:5],
        init_kwargs=NET_KWARGS,
    )
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["architecture"]["class"] = "nowhere:Missing"
    (package / "manifest.json").write_text(json.dumps(manifest))

    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(X)), dim=1).numpy()
    np.testing.assert_allclose(load_model(package).predict_proba(X), expected, atol=1e-6)


@pytest.mark.slow  # exports to ONNX via torch.export: imports torch._dynamo (~4 s), ~1.5 s each
def test_save_model_leaves_a_torch_module_in_training_mode_untouched(tmp_path):
    torch.manual_seed(1)
    module = PenguinNet(n_features=4, n_outputs=1, hidden=8).train()
    weights = {name: tensor.clone() for name, tensor in module.state_dict().items()}
    save_model(
        module,
        tmp_path / "pkg",
        format="onnx",
        sample_input=torch.randn(1, 4),
        init_kwargs={"n_features": 4, "n_outputs": 1, "hidden": 8},
    )
    assert module.training
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, weights[name])
