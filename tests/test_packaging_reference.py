"""A package's reference: sample, predictions and profile stored as checksummed artifacts."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from prodml_workshop.packaging import (
    REFERENCE_DATA,
    REFERENCE_META,
    REFERENCE_PROFILE,
    ChecksumMismatchError,
    InvalidPackageError,
    InvalidReferenceError,
    MissingArtifactError,
    load_model,
    quality_issues,
    read_manifest,
    read_profile,
    read_reference,
    save_model,
    save_reference,
)
from prodml_workshop.packaging.checksums import sha256_file

REFERENCE_FILES = [REFERENCE_DATA, REFERENCE_META, REFERENCE_PROFILE]


@pytest.fixture(scope="module")
def wind():
    """A regressor on columns the course never uses: spaces in names, a category, an int."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "wind speed": rng.uniform(0, 20, 200),
            "sky cover": rng.choice(["clear", "cloudy", "rain"], 200),
            "n stations": rng.integers(1, 6, 200),
        }
    )
    y = X["wind speed"] * 2 + X["n stations"]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sky cover"]), remainder="passthrough"
    )
    return make_pipeline(encode, HistGradientBoostingRegressor(max_iter=20)).fit(X, y), X


@pytest.fixture(scope="module")
def classifier():
    """A species-like classifier with probabilities, on two numeric features."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"length mm": rng.normal(40, 5, 120), "mass g": rng.normal(4000, 500, 120)})
    y = np.where(X["length mm"] > 40, "long", "short")
    return LogisticRegression().fit(X, y), X


@pytest.fixture(scope="module")
def package(classifier, tmp_path_factory):
    model, X = classifier
    folder = tmp_path_factory.mktemp("ref") / "clf"
    return save_model(model, folder, format="skops", sample_input=X.head(), reference=X)


@pytest.fixture
def copy(package, tmp_path):
    return shutil.copytree(package, tmp_path / "copy")


def _reseal(package, name):
    """Record a file's new checksum in the manifest, as someone rewriting both would."""
    manifest = read_manifest(package)
    manifest["artifacts"][name]["sha256"] = sha256_file(package / name)
    (package / "manifest.json").write_text(json.dumps(manifest))


def test_save_model_lists_the_reference_files_with_their_checksums(package, classifier):
    model, X = classifier
    artifacts = read_manifest(package)["artifacts"]
    assert sorted(artifacts) == sorted(["model.skops", *REFERENCE_FILES])
    for name in REFERENCE_FILES:
        assert artifacts[name]["sha256"] == sha256_file(package / name)
        assert artifacts[name]["size_bytes"] == (package / name).stat().st_size
    sample, meta = read_reference(package)
    pd.testing.assert_frame_equal(sample, X.reset_index(drop=True))
    assert meta["prediction"] == model.predict(X).tolist()
    np.testing.assert_allclose(meta["proba"], model.predict_proba(X), rtol=1e-12)
    assert meta["artifacts"] == {"model.skops": artifacts["model.skops"]}
    profile = read_profile(package)
    assert profile["features"]["length mm"]["min"] == X["length mm"].min()
    assert load_model(package).predict(X.head(2)).tolist() == model.predict(X.head(2)).tolist()


def test_save_reference_adds_a_reference_to_a_package_saved_without_one(classifier, tmp_path):
    model, X = classifier
    path = save_model(model, tmp_path / "bare", format="skops", sample_input=X.head())
    assert read_profile(path) is None and read_reference(path) is None
    before = read_manifest(path)["artifacts"]
    assert save_reference(path, X.head(50), margin=0.0) == path
    after = read_manifest(path)["artifacts"]
    assert sorted(after) == sorted([*before, *REFERENCE_FILES])
    assert after["model.skops"] == before["model.skops"]
    assert read_profile(path)["margin"] == 0.0 and len(read_reference(path)[0]) == 50


def test_a_profile_edited_by_hand_is_refused_at_load_naming_the_file_and_the_fix(copy):
    profile = json.loads((copy / REFERENCE_PROFILE).read_text())
    profile["features"]["length mm"]["max"] = 1e9  # let anything through
    (copy / REFERENCE_PROFILE).write_text(json.dumps(profile))
    for read in (load_model, read_profile):
        with pytest.raises(ChecksumMismatchError) as error:
            read(copy)
        message = str(error.value)
        assert "'reference_profile.json'" in message
        assert "run save_reference(package, X) again" in message


def test_a_missing_reference_file_names_the_fix(copy):
    (copy / REFERENCE_DATA).unlink()
    with pytest.raises(MissingArtifactError, match=r"run save_reference\(package, X\) again"):
        read_reference(copy)
    with pytest.raises(FileNotFoundError, match=r"'reference\.parquet'"):
        load_model(copy)


def test_a_package_from_the_old_layout_is_refused_with_how_to_store_it_again(copy, classifier):
    # Before, the reference files lay in the folder without being listed in the manifest.
    manifest = read_manifest(copy)
    for name in REFERENCE_FILES:
        del manifest["artifacts"][name]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    for read in (load_model, read_profile, read_reference):
        with pytest.raises(InvalidPackageError) as error:
            read(copy)
        message = str(error.value)
        assert "['reference.parquet', 'reference.json', 'reference_profile.json']" in message
        assert "Run save_reference(package, X) again" in message
    save_reference(copy, classifier[1])  # the fix the message names
    assert set(REFERENCE_FILES) <= set(read_manifest(copy)["artifacts"])
    assert load_model(copy).predict(classifier[1].head(1)).shape == (1,)


def test_saving_again_keeps_the_reference_and_asks_for_a_new_one(package, copy, classifier):
    model, X = classifier
    other = LogisticRegression(C=0.01).fit(X, model.predict(X))
    save_model(other, copy, format="skops", sample_input=X.head())  # a new artifact
    assert read_profile(copy) == read_profile(package)  # kept, listed and verified
    assert load_model(copy).predict(X.head(3)).tolist() == other.predict(X.head(3)).tolist()
    with pytest.raises(InvalidReferenceError, match="run save_reference again"):
        read_reference(copy)
    save_model(other, copy, format="skops", sample_input=X.head(), reference=X.head(30))
    sample, meta = read_reference(copy)
    assert len(sample) == 30 and meta["prediction"] == other.predict(X.head(30)).tolist()


@pytest.mark.parametrize("bad", [pd.DataFrame(), np.zeros((3, 2))])
def test_save_model_refuses_a_bad_reference_before_writing_anything(classifier, tmp_path, bad):
    model, X = classifier
    with pytest.raises(InvalidReferenceError, match="non-empty pandas DataFrame"):
        save_model(model, tmp_path / "p", format="skops", sample_input=X.head(), reference=bad)
    assert not (tmp_path / "p").exists()


def test_a_format_that_runs_code_stores_its_reference_too(classifier, tmp_path):
    model, X = classifier
    path = save_model(model, tmp_path / "p", format="joblib", sample_input=X.head(), reference=X)
    assert read_reference(path)[1]["prediction"] == model.predict(X).tolist()


def test_the_profile_holds_the_model_features_only(wind, tmp_path):
    """A regression tree ensemble with spaces in its feature names, and an extra column."""
    model, X = wind
    package = save_model(model, tmp_path / "wind", format="skops", sample_input=X.head())
    save_reference(package, X.assign(day=pd.Timestamp("2024-01-01")), margin=0.05)
    profile = read_profile(package)
    assert list(profile["features"]) == ["wind speed", "sky cover", "n stations"]  # no day
    assert profile["margin"] == 0.05
    assert profile["features"]["sky cover"]["categories"] == ["clear", "cloudy", "rain"]
    far = X.head(1).assign(**{"wind speed": 100 * X["wind speed"].max()})
    assert quality_issues(far, profile) == [["wind speed"]]
    assert "day" in read_reference(package)[0].columns  # the sample keeps it


@pytest.mark.filterwarnings("ignore:X has feature names")
def test_the_profile_names_array_features_like_the_service(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    model = DecisionTreeClassifier().fit(X, np.arange(10) % 2)
    package = save_model(model, tmp_path / "tree", format="skops", sample_input=X[:3])
    save_reference(package, pd.DataFrame(X, columns=["a", "b"]))
    assert read_profile(package)["features"]["x1"] == {
        "kind": "numeric",
        "min": 1.0,
        "max": 19.0,
        "missing": 0.0,
    }


def test_read_profile_refuses_a_file_that_is_no_profile(copy):
    (copy / REFERENCE_PROFILE).write_text("{not json")
    _reseal(copy, REFERENCE_PROFILE)
    with pytest.raises(InvalidPackageError, match="not valid JSON"):
        read_profile(copy)
    (copy / REFERENCE_PROFILE).write_text("[]")
    _reseal(copy, REFERENCE_PROFILE)
    with pytest.raises(InvalidPackageError, match="holds no 'features'"):
        read_profile(copy)


def test_save_reference_refuses_an_empty_sample_or_a_negative_margin(copy, classifier):
    with pytest.raises(InvalidReferenceError, match="non-empty pandas DataFrame"):
        save_reference(copy, pd.DataFrame())
    with pytest.raises(InvalidReferenceError, match="margin must be 0 or more"):
        save_reference(copy, classifier[1], margin=-0.1)
