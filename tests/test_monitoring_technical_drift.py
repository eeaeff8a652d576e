"""Technical drift: versions recorded in a real skops package, and re-scored predictions."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from prodml_workshop.data import load_penguins
from prodml_workshop.monitoring import (
    DriftInputError,
    TechnicalDriftReport,
    save_reference,
    technical_drift,
)
from prodml_workshop.packaging import (
    REFERENCE_META,
    ChecksumMismatchError,
    InvalidReferenceError,
    read_manifest,
    save_model,
)
from prodml_workshop.packaging.checksums import sha256_file

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins():
    return load_penguins().dropna(subset=FEATURES).reset_index(drop=True)


@pytest.fixture(scope="module")
def package(penguins, tmp_path_factory):
    """A skops package of a species classifier, with its reference sample stored."""
    X = penguins[FEATURES]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, penguins["species"])
    folder = tmp_path_factory.mktemp("pkg") / "clf"
    path = save_model(model, folder, format="skops", sample_input=X.head())
    save_reference(path, X.sample(40, random_state=0))
    return path


@pytest.fixture
def copy(package, tmp_path):
    return shutil.copytree(package, tmp_path / "copy")


def _edit_json(path, edit):
    content = json.loads(path.read_text())
    edit(content)
    path.write_text(json.dumps(content))


def _reseal(package, name):
    """Record a file's new checksum in the manifest, as a reference stored elsewhere would."""
    manifest = read_manifest(package)
    manifest["artifacts"][name]["sha256"] = sha256_file(package / name)
    (package / "manifest.json").write_text(json.dumps(manifest))


def test_fresh_package_has_no_technical_drift(package):
    report = technical_drift(package)
    assert report.ok and report.failed_checks == []
    assert (report.versions_ok, report.predictions_ok) == (True, True)
    assert (report.n_rows, report.n_mismatched) == (40, 0)
    assert report.max_abs_diff == 0.0


def test_doctored_versions_fail_the_version_check_only(copy):
    def pretend(manifest):
        manifest["library_versions"]["scikit-learn"] = "1.5.0"
        manifest["library_versions"]["gone-lib"] = "0.1"

    _edit_json(copy / "manifest.json", pretend)
    report = technical_drift(copy)
    assert report.failed_checks == ["versions"]
    assert report.predictions_ok
    assert {d["library"]: d["installed"] for d in report.version_differences} == {
        "scikit-learn": "1.9.0",
        "gone-lib": None,
    }
    assert "scikit-learn: saved 1.5.0, installed 1.9.0" in report.summary()
    assert "gone-lib: saved 0.1, installed none" in report.summary()


def test_doctored_reference_predictions_fail_the_prediction_check_only(copy):
    def shift(meta):
        meta["proba"][3] = [p + 0.01 for p in meta["proba"][3]]
        meta["prediction"][7] = "Nobody"

    _edit_json(copy / REFERENCE_META, shift)
    with pytest.raises(ChecksumMismatchError, match=r"'reference\.json'"):
        technical_drift(copy)  # edited without its checksum: refused, not compared
    _reseal(copy, REFERENCE_META)
    report = technical_drift(copy)
    assert report.failed_checks == ["predictions"]
    assert report.n_mismatched == 2
    assert report.max_abs_diff == pytest.approx(0.01)
    assert "FAILED (2 of 40 rows differ)" in str(report)


def test_a_model_that_cannot_load_fails_the_prediction_check_with_the_error(copy):
    (copy / "model.skops").write_bytes(b"corrupted")
    report = technical_drift(copy)
    assert report.failed_checks == ["predictions"]
    assert report.error.startswith("ChecksumMismatchError")


def test_without_a_reference_sample_predictions_are_not_checked(penguins, tmp_path):
    X = penguins[FEATURES]
    path = save_model(Ridge().fit(X, penguins["year"]), tmp_path / "reg", format="skops")
    report = technical_drift(path)
    assert report.ok and report.predictions_ok is None
    assert "not checked" in repr(report)


def test_caller_supplied_sample_and_expected_values_are_compared_with_tolerance(penguins, tmp_path):
    X = penguins[FEATURES]
    model = Ridge().fit(X, penguins["year"])
    path = save_model(model, tmp_path / "reg", format="skops")
    expected = model.predict(X)
    assert technical_drift(path, X, expected).predictions_ok
    report = technical_drift(path, X, expected + np.where(X.index == 5, 0.1, 0.0))
    assert (report.n_mismatched, report.failed_checks) == (1, ["predictions"])


def test_reference_made_for_another_artifact_must_be_saved_again(penguins, copy):
    X = penguins[FEATURES]
    other = make_pipeline(StandardScaler(), LogisticRegression(C=0.01))
    other.fit(X, penguins["species"])
    save_model(other, copy, format="skops", sample_input=X.head())  # re-save: new artifact
    with pytest.raises(InvalidReferenceError, match="run save_reference again"):
        technical_drift(copy)


def test_mismatched_or_partial_caller_reference_is_refused(package, penguins):
    X = penguins[FEATURES].head(5)
    with pytest.raises(DriftInputError, match="both reference_X and expected"):
        technical_drift(package, X)
    with pytest.raises(DriftInputError, match="3 predictions for 5 rows"):
        technical_drift(package, X, ["Adelie"] * 3)


def test_save_reference_refuses_an_empty_sample(package):
    with pytest.raises(InvalidReferenceError, match="non-empty pandas DataFrame"):
        save_reference(package, pd.DataFrame())


def test_report_repr_is_one_readable_line(tmp_path):
    report = TechnicalDriftReport(tmp_path, [{"library": "numpy", "saved": "1", "installed": "2"}])
    assert repr(report) == (
        "TechnicalDriftReport(ok=False, versions='1 changed', "
        "predictions='not checked (no reference sample)')"
    )
