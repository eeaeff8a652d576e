"""skops packages: scikit-learn's own estimators load without trust, crafted files do not."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.packaging import (
    SKOPS_SAFE_TYPES,
    UnsafeContentError,
    UnsupportedFormatError,
    UntrustedFormatError,
    load_model,
    save_model,
)

TREE = "sklearn.tree._tree.Tree"


@pytest.fixture(scope="module")
def multiclass():
    return make_classification(90, 5, n_informative=3, n_classes=3, random_state=0)


@pytest.fixture(scope="module")
def regression():
    return make_regression(90, 4, random_state=0)


def _save_skops(model, X, folder: Path) -> Path:
    return save_model(model, folder, format="skops", sample_input=X[:5])


def _replace_artifact(package: Path, model) -> None:
    """Write another model into the package and fix its checksum, as an attacker would."""
    import skops.io  # here, not at collection: it imports all of scikit-learn

    artifact = package / "model.skops"
    skops.io.dump(model, artifact)
    _refresh_checksum(package)


def _refresh_checksum(package: Path) -> None:
    manifest = json.loads((package / "manifest.json").read_text())
    digest = hashlib.sha256((package / "model.skops").read_bytes()).hexdigest()
    manifest["artifacts"]["model.skops"]["sha256"] = digest
    (package / "manifest.json").write_text(json.dumps(manifest))


def _edit_schema(artifact: Path, edit) -> None:
    """Rewrite the JSON schema inside a skops file, keeping its arrays."""
    with zipfile.ZipFile(artifact) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(artifact, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _find(node, key: str) -> list[dict]:
    """Every dict in a skops schema stored under ``key``."""
    if isinstance(node, list):
        return [found for item in node for found in _find(item, key)]
    if not isinstance(node, dict):
        return []
    here = [node[key]] if isinstance(node.get(key), dict) else []
    return here + [found for value in node.values() for found in _find(value, key)]


def _edit_tree_nodes(tree, edit) -> None:
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    edit(nodes)
    state["nodes"] = nodes
    tree.__setstate__(state)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("model", "data"),
    [
        (RandomForestClassifier(n_estimators=5, random_state=0), "multiclass"),
        (GradientBoostingClassifier(n_estimators=5, random_state=0), "multiclass"),
        (GradientBoostingRegressor(n_estimators=5, random_state=0), "regression"),
        (HistGradientBoostingClassifier(max_iter=5), "multiclass"),
        (HistGradientBoostingRegressor(max_iter=5), "regression"),
        (KNeighborsRegressor(algorithm="kd_tree"), "regression"),
        (KNeighborsRegressor(algorithm="ball_tree"), "regression"),
        (MLPClassifier(max_iter=30, random_state=0), "multiclass"),
        (make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0)), "multiclass"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else value,
)
def test_scikit_learn_families_load_from_skops_without_trust(model, data, request, tmp_path):
    import skops.io

    X, y = request.getfixturevalue(data)
    model.fit(X, y)
    package = _save_skops(model, X, tmp_path / "pkg")

    # The file does hold types that skops alone would refuse ...
    assert set(skops.io.get_untrusted_types(file=package / "model.skops")) <= set(SKOPS_SAFE_TYPES)
    # ... and the package loads with the default trusted=False.
    np.testing.assert_array_equal(load_model(package).predict(X), model.predict(X))


def test_every_safe_type_comes_with_a_reason():
    assert TREE in SKOPS_SAFE_TYPES
    assert all(len(reason) > 40 for reason in SKOPS_SAFE_TYPES.values())


def _rename_function(node, old: tuple[str, str], new: tuple[str, str]) -> int:
    """Point every reference to the function ``old`` in a skops schema at ``new``."""
    if isinstance(node, list):
        return sum(_rename_function(item, old, new) for item in node)
    if not isinstance(node, dict):
        return 0
    count = 0
    if (node.get("__module__"), node.get("__class__")) == old:
        node["__module__"], node["__class__"] = new
        count = 1
    return count + sum(_rename_function(value, old, new) for value in node.values())


@pytest.mark.parametrize("target", [("os", "system"), ("builtins", "eval")])
def test_a_skops_file_naming_os_system_or_eval_is_refused_by_default(regression, tmp_path, target):
    import skops.io

    X, y = regression
    package = _save_skops(Ridge().fit(X, y), X, tmp_path / "pkg")
    # A crafted file: a FunctionTransformer whose function is os.system or builtins.eval.
    crafted = make_pipeline(FunctionTransformer(np.negative), Ridge()).fit(X, y)
    artifact = package / "model.skops"
    skops.io.dump(crafted, artifact)
    _edit_schema(artifact, lambda schema: _rename_function(schema, ("numpy", "negative"), target))
    _refresh_checksum(package)

    with pytest.raises(UnsafeContentError, match=rf"'{target[0]}\.{target[1]}'"):
        load_model(package)
    # Naming other types does not let it through either.
    with pytest.raises(UnsafeContentError, match=rf"{target[0]}\.{target[1]}"):
        load_model(package, trusted=[TREE])


def _double(X):
    return X * 2


@pytest.mark.slow  # the refusal lists the formats that work: converts to PMML, starts a JVM
def test_load_trusts_an_explicit_list_of_type_names(regression, tmp_path):
    import skops.io

    X, y = regression
    model = make_pipeline(FunctionTransformer(_double), Ridge()).fit(X, y)
    name = f"{__name__}._double"
    with pytest.raises(UnsupportedFormatError, match=re.escape(f"['{name}']")):
        _save_skops(model, X, tmp_path / "pkg")
    package = save_model(
        model, tmp_path / "pkg", format="skops", sample_input=X[:5], trusted=[name]
    )
    assert skops.io.get_untrusted_types(file=package / "model.skops") == [name]

    with pytest.raises(UnsafeContentError, match="_double"):
        load_model(package)
    np.testing.assert_allclose(load_model(package, trusted=[name]).predict(X), model.predict(X))


def test_a_list_of_type_names_does_not_open_pickle(regression, tmp_path):
    X, y = regression
    save_model(Ridge().fit(X, y), tmp_path, format="pickle", sample_input=X[:5])
    with pytest.raises(UntrustedFormatError, match="skops only"):
        load_model(tmp_path, trusted=[TREE])


def test_trusted_must_be_a_bool_or_a_list_of_names(regression, tmp_path):
    X, y = regression
    package = _save_skops(Ridge().fit(X, y), X, tmp_path / "pkg")
    with pytest.raises(TypeError, match="list of type names"):
        load_model(package, trusted=TREE)


@pytest.fixture()
def tree_package(multiclass, tmp_path):
    X, y = multiclass
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    return model, _save_skops(model, X, tmp_path / "pkg")


def _first_inner(nodes) -> int:
    return int(np.flatnonzero(nodes["left_child"] != -1)[0])


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda n: n.__setitem__("left_child", np.where(n["left_child"] > 0, 10**6, -1)), "child"),
        (lambda n: n["right_child"].__setitem__(_first_inner(n), 0), "child"),
        (lambda n: n["feature"].__setitem__(_first_inner(n), 99), "feature"),
    ],
    ids=["child-out-of-range", "child-pointing-back", "feature-out-of-range"],
)
def test_a_crafted_tree_is_refused_before_it_predicts(tree_package, edit, reason):
    model, package = tree_package
    _edit_tree_nodes(model.tree_, edit)
    _replace_artifact(package, model)

    with pytest.raises(UnsafeContentError, match=reason):
        load_model(package)
    with pytest.raises(UnsafeContentError, match=reason):
        load_model(package, trusted=True)


def test_a_tree_whose_node_count_disagrees_with_its_nodes_is_refused(tree_package):
    _, package = tree_package

    def claim_fewer_nodes(schema):
        (count,) = _find(schema, "node_count")
        count["content"] = str(int(count["content"]) - 2)
        del count["__id__"]  # skops shares nodes by id (a small int has one id)

    _edit_schema(package / "model.skops", claim_fewer_nodes)
    _refresh_checksum(package)

    with pytest.raises(UnsafeContentError, match="nodes in an array of"):
        load_model(package)


def test_a_forest_tree_for_another_input_width_is_refused(multiclass, tmp_path):
    X, y = multiclass
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    package = _save_skops(forest, X, tmp_path / "pkg")
    forest.estimators_[1].n_features_in_ = 9
    forest.estimators_[1].tree_.n_features = 9
    _replace_artifact(package, forest)

    with pytest.raises(UnsafeContentError, match="another input width"):
        load_model(package)


def test_a_crafted_histogram_tree_is_refused(regression, tmp_path):
    X, y = regression
    model = HistGradientBoostingRegressor(max_iter=3).fit(X, y)
    package = _save_skops(model, X, tmp_path / "pkg")
    nodes = model._predictors[0][0].nodes
    nodes["feature_idx"][np.flatnonzero(~nodes["is_leaf"].astype(bool))[0]] = 50
    _replace_artifact(package, model)

    with pytest.raises(UnsafeContentError, match="feature outside"):
        load_model(package)


def test_a_crafted_kd_tree_is_refused(regression, tmp_path):
    X, y = regression
    model = KNeighborsRegressor(algorithm="kd_tree").fit(X, y)
    package = _save_skops(model, X, tmp_path / "pkg")
    state = list(model._tree.__getstate__())
    state[1] = state[1] + len(X)  # every row index now points past the data
    model._tree.__setstate__(tuple(state))
    _replace_artifact(package, model)

    with pytest.raises(UnsafeContentError, match="rows that are not in its data"):
        load_model(package)
