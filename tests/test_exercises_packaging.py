"""The packaging questions against right answers, wrong answers and blanks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from question_checks import QuestionChecks

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import packaging as ex
from prodml_workshop.packaging import PackagingError, load_model, read_manifest, save_model

_checks = QuestionChecks(ex)
_question = _checks.question


@pytest.fixture(scope="module")
def X():
    return load_penguins()[PENGUIN_FEATURES]


@pytest.fixture(scope="module")
def mystery(tmp_path_factory):
    return ex.make_mystery_package(tmp_path_factory.mktemp("mystery") / "package")


# --- The helpers ----------------------------------------------------------------------------


def test_penguin_model_is_a_fresh_copy_each_time():
    first, second = ex.penguin_model(), ex.penguin_model()
    assert first is not second
    first.set_params(classify__C=0.001)
    assert ex.penguin_model().get_params()["classify__C"] == 1.0


def test_fresh_penguins_are_new_rows_with_holes():
    rows = ex.fresh_penguins(200, np.random.default_rng(0))
    assert list(rows.columns) == PENGUIN_FEATURES
    assert len(rows) == 200
    assert rows["sex"].isna().any() and rows["bill_length_mm"].isna().any()
    assert not ex.fresh_penguins(200).equals(ex.fresh_penguins(200))


def test_mystery_package_loads_and_claims_other_versions(mystery, X):
    manifest = read_manifest(mystery)
    assert manifest["library_versions"]["scikit-learn"] == "1.8.0"
    assert len(manifest["input_schema"]["columns"]) == 5
    with pytest.warns(UserWarning, match="scikit-learn: saved 1.8.0"):
        loaded = load_model(mystery)
    assert set(loaded.predict(X)) <= {"Adelie", "Chinstrap", "Gentoo"}


# --- q1: a safe package -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["skops", "onnx"])
def test_q1_accepts_the_model_in_a_safe_format(tmp_path, X, fmt):
    path = save_model(ex.penguin_model(), tmp_path / fmt, format=fmt, sample_input=X.head())
    assert _question(1, safe_package=path).evaluate().status is Status.PASS
    assert _question(1, safe_package=str(path)).evaluate().status is Status.PASS


def test_q1_refuses_pickle_saying_it_runs_code(tmp_path, X):
    path = save_model(ex.penguin_model(), tmp_path, format="pickle")
    result = _question(1, safe_package=path).evaluate()
    assert result.status is Status.FAIL and "can run code when loaded" in result.message


def test_q1_refuses_another_model(tmp_path, X):
    other = ex.penguin_model().set_params(classify__C=0.01)
    path = save_model(other.fit(X, load_penguins()["species"]), tmp_path, format="skops")
    result = _question(1, safe_package=path).evaluate()
    assert result.status is Status.FAIL and "differ from `model`'s" in result.message


def test_q1_refuses_a_folder_that_is_not_a_package(tmp_path):
    result = _question(1, safe_package=tmp_path).evaluate()
    assert result.status is Status.FAIL and "not a model package" in result.message
    result = _question(1, safe_package=tmp_path / "nowhere").evaluate()
    assert result.status is Status.FAIL and "there is no folder" in result.message


def test_q1_reports_a_package_that_does_not_load(tmp_path, X):
    path = save_model(ex.penguin_model(), tmp_path, format="skops")
    (path / "model.skops").write_bytes(b"changed")
    result = _question(1, safe_package=path).evaluate()
    assert result.status is Status.FAIL and "ChecksumMismatchError" in result.message


def test_q1_blank_is_not_attempted():
    assert _question(1, safe_package=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED


# --- q2: read a manifest ------------------------------------------------------------------


def test_q2_accepts_the_manifest_values(mystery):
    q2 = _question(2, mystery_package=mystery, saved_sklearn_version="1.8.0", n_input_columns=5)
    assert q2.evaluate().status is Status.PASS


def test_q2_says_when_the_version_is_the_installed_one(mystery):
    import sklearn

    q2 = _question(
        2, mystery_package=mystery, saved_sklearn_version=sklearn.__version__, n_input_columns=5
    )
    result = q2.evaluate()
    assert result.status is Status.FAIL and "installed here" in result.message


@pytest.mark.parametrize(
    ("version", "n_columns", "message"),
    [
        ("1.7.2", 5, "the manifest says otherwise"),
        (1.8, 5, "should be a string"),
        ("1.8.0", 6, "`n_input_columns` is 6: too high"),
        ("1.8.0", "5", "should be a number"),
    ],
)
def test_q2_explains_wrong_values(mystery, version, n_columns, message):
    q2 = _question(
        2, mystery_package=mystery, saved_sklearn_version=version, n_input_columns=n_columns
    )
    result = q2.evaluate()
    assert result.status is Status.FAIL and message in result.message


def test_q2_reads_the_manifest_it_is_given(tmp_path, mystery):
    edited = tmp_path / "edited"
    edited.mkdir()
    for file in mystery.iterdir():
        (edited / file.name).write_bytes(file.read_bytes())
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["library_versions"]["scikit-learn"] = "1.6.1"
    (edited / "manifest.json").write_text(json.dumps(manifest))
    q2 = _question(2, mystery_package=edited, saved_sklearn_version="1.6.1", n_input_columns=5)
    assert q2.evaluate().status is Status.PASS


def test_q2_blanks_are_not_attempted(mystery):
    q2 = _question(2, mystery_package=mystery, saved_sklearn_version=PLACEHOLDER, n_input_columns=5)
    assert q2.evaluate().status is Status.NOT_ATTEMPTED


# --- q3: a format for each situation ------------------------------------------------------


def _formats(strangers, weights, java):
    return {
        "format_for_strangers": strangers,
        "format_for_pytorch_weights": weights,
        "format_for_java_service": java,
    }


@pytest.mark.parametrize(
    "answers",
    [
        _formats("skops", "safetensors", "pmml"),
        _formats("onnx", "torch", "onnx"),
        _formats("skops", "safetensors", " PMML "),
    ],
)
def test_q3_accepts_any_format_that_fits(answers):
    assert _question(3, **answers).evaluate().status is Status.PASS


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (_formats("pickle", "safetensors", "pmml"), "`format_for_strangers` = 'pickle' can run"),
        (_formats("joblib", "safetensors", "pmml"), "people who download it would have to trust"),
        (_formats("skops", "pickle", "pmml"), "the other team would have to trust"),
        (_formats("safetensors", "safetensors", "pmml"), "it holds tensors only"),
        (_formats("skops", "skops", "pmml"), "it holds a scikit-learn model"),
        (_formats("skops", "torch", "skops"), "has no Java reader"),
        (_formats("pmml", "torch", "pmml"), "only through a JVM: people who download it"),
        (_formats("skops", "torch", "torch_export"), "is not a format of save_model"),
        (_formats("skops", "torch", 3), "should be a format name"),
    ],
)
def test_q3_explains_why_a_format_does_not_fit(answers, message):
    result = _question(3, **answers).evaluate()
    assert result.status is Status.FAIL and message in result.message


def test_q3_blank_is_not_attempted():
    answers = _formats("skops", PLACEHOLDER, "pmml")
    assert _question(3, **answers).evaluate().status is Status.NOT_ATTEMPTED


# --- q4: is this package intact? ----------------------------------------------------------


def _rehash(path):
    path = Path(path)
    for name, record in read_manifest(path)["artifacts"].items():
        file = path / name
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != record["sha256"]:
            return False
    return True


def _by_loading(path):
    try:
        load_model(path)
    except PackagingError:
        return False
    return True


@pytest.mark.parametrize("answer", [_rehash, _by_loading, lambda p: np.bool_(_rehash(p))])
def test_q4_accepts_any_correct_is_intact(answer):
    assert _question(4, is_intact=answer).evaluate().status is Status.PASS


def _exists_only(path):
    path = Path(path)
    return all((path / name).is_file() for name in read_manifest(path)["artifacts"])


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda p: True, "returned True, but package_"),
        (lambda p: False, "returned False, but package_"),
        (_exists_only, "changed"),
        (lambda p: "yes", "should return True or False"),
    ],
)
def test_q4_refuses_wrong_is_intact_saying_which_package(answer, message):
    result = _question(4, is_intact=answer).evaluate()
    assert result.status is Status.FAIL and message in result.message


def test_q4_refuses_an_is_intact_that_writes_into_the_package():
    def leaves_a_mark(path):
        (Path(path) / "checked.txt").write_text("checked")
        return _rehash(path)

    result = _question(4, is_intact=leaves_a_mark).evaluate()
    assert result.status is Status.FAIL and "changed the package's files" in result.message


def test_q4_checks_a_missing_artifact():
    def skips_missing_files(path):
        path = Path(path)
        return all(
            hashlib.sha256((path / name).read_bytes()).hexdigest() == record["sha256"]
            for name, record in read_manifest(path)["artifacts"].items()
            if (path / name).is_file()
        )

    result = _question(4, is_intact=skips_missing_files).evaluate()
    assert result.status is Status.FAIL and "lacks its artifact model.skops" in result.message


def test_q4_stub_is_not_attempted():
    def stub(path):
        raise NotImplementedError("your code here")

    assert _question(4, is_intact=stub).evaluate().status is Status.NOT_ATTEMPTED


# --- q5: think about it -------------------------------------------------------------------


def test_q5_wants_a_sentence():
    assert (
        _question(5, checksums_are_not_enough=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    )
    answer = "Whoever changes the artifact can rewrite the manifest's checksums too."
    assert _question(5, checksums_are_not_enough=answer).evaluate().status is Status.REVIEW
