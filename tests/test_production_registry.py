"""The registry: versions in BentoML's model store, their history, and rollback in one call.

BentoML picks its store when first used in a process, so each test runs its registry in a
subprocess with a BentoML home of its own (a temporary folder), and reads the store back with
the real ``bentoml models list``.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.monitoring import save_reference
from prodml_workshop.packaging import read_manifest, save_model
from prodml_workshop.serving import model_version

FEATURES = ["leaf length (cm)", "leaf width"]


def _package(folder, depth):
    rng = np.random.default_rng(depth)
    X = pd.DataFrame(rng.normal(size=(80, 2)), columns=FEATURES)
    y = np.array(["oak", "ash", "elm"])[np.digitize(X[FEATURES[0]], [-0.4, 0.4])]
    model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
    package = save_model(
        model, folder, format="onnx", sample_input=X.head(), metadata={"depth": depth}
    )
    save_reference(package, X)
    return package


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """Three versions of the model "trees", each in a folder named like it."""
    root = tmp_path_factory.mktemp("models")
    return [_package(root / f"v{depth}" / "trees", depth) for depth in (1, 2, 3)]


def _run(script, *args, home, timeout=300):
    env = {**os.environ, "BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "true"}
    run = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


_HISTORY = """
import json, sys
from prodml_workshop.production import Registry, RegistryError
v1, v2, v3 = sys.argv[1:4]
registry = Registry("trees")
errors = []
try:
    registry.rollback()
except RegistryError as exc:
    errors.append(str(exc))
registry.promote(v1, reason="first version")
registry.record("shadow", v1, candidate=v2)
registry.record("canary", v1, candidate=v2, share=0.3)
registry.promote(v2, reason="passed the gate")
registry.promote(v3, reason="hotfix")
back = registry.rollback()
again = registry.register(v3)  # registered once, however often
history = registry.history()
versions = registry.versions()
try:
    registry.register(sys.argv[4])
except RegistryError as exc:
    errors.append(str(exc))
print(json.dumps({
    "errors": errors, "back": back, "again": again, "production": registry.production,
    "events": history[["event", "version", "candidate", "share", "reason"]]
        .astype(object).where(history.notna(), None).values.tolist(),
    "times_ordered": bool(history["time"].is_monotonic_increasing),
    "versions": versions[["tag", "in_production", "depth"]].values.tolist(),
    "history_file": str(registry.path),
}))
"""


@pytest.mark.slow  # ~6 s: a Python with BentoML, then the bentoml CLI, in subprocesses
def test_registry_stores_every_version_and_records_promotions_and_rollbacks(versions, tmp_path):
    home = tmp_path / "bentoml"
    other = _package(tmp_path / "leaves", 1)  # another model's folder name
    out = json.loads(_run(_HISTORY, *versions, other, home=home))
    tags = [f"trees:{model_version(read_manifest(v))}" for v in versions]
    v1, v2, v3 = tags
    assert "no earlier version in production" in out["errors"][0]
    assert "not as a version of 'trees'" in out["errors"][1]
    assert out["back"] == v2 == out["production"] and out["again"] == v3
    assert out["events"] == [
        ["registered", v1, None, None, None],
        ["promoted", v1, None, None, "first version"],
        ["registered", v2, None, None, None],
        ["shadow", v1, v2, None, ""],
        ["canary", v1, v2, 0.3, ""],
        ["promoted", v2, None, None, "passed the gate"],
        ["registered", v3, None, None, None],
        ["promoted", v3, None, None, "hotfix"],
        ["rolled back", v2, None, None, f"from {v3}"],
    ]
    assert out["times_ordered"]
    assert out["versions"] == [[v1, False, 1], [v2, True, 2], [v3, False, 3]]
    assert out["history_file"] == str(home / "registry" / "trees.jsonl")

    env = {**os.environ, "BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "true"}
    cli = subprocess.run(
        [sys.executable, "-m", "bentoml", "models", "list", "trees", "-o", "json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert sorted(model["tag"] for model in json.loads(cli.stdout)) == sorted(tags)
    stored = home / "models" / "trees" / v2.split(":")[1]
    assert read_manifest(stored) == read_manifest(versions[1])  # our manifest, in the store


_ROLLBACK = """
import json, sys
from prodml_workshop.production import Registry, deploy, rollback, undeploy
from prodml_workshop.props.production import measure_switchover
from prodml_workshop.serving import read_log
v1, v2, log_db = sys.argv[1:4]
registry = Registry("trees")
record = {"leaf length (cm)": 0.1, "leaf width": -0.2}
try:
    first = deploy(v1, log_db=log_db, registry=registry)
    deploy(v2, log_db=log_db, registry=registry, reason="bad on purpose")
    back, switch = measure_switchover(
        first.url, lambda: rollback(registry, log_db=log_db), record=record
    )
finally:
    undeploy()
log = read_log(log_db).set_index("request_id")
answers = switch.answers.dropna()
print(json.dumps({
    "same_url": back.url == first.url, "production": registry.production,
    "history": registry.history()["event"].tolist(),
    "old": switch.old, "new": switch.new, "old_after_call": switch.old_after_call,
    "first_new": switch.first_new, "call_seconds": switch.call_seconds,
    "versions_after_first_new": sorted(set(
        answers.loc[answers["seconds"] >= switch.first_new, "model_version"])),
    "answered_after_return": switch.answers.loc[
        switch.answers["seconds"] > switch.call_seconds, "model_version"].tolist(),
    "logged_as_answered": bool(
        (log.loc[answers["request_id"], "model_version"].to_numpy()
         == answers["model_version"].to_numpy()).all()),
}))
"""


@pytest.mark.server
@pytest.mark.slow
def test_rollback_serves_the_previous_version_on_the_same_url_in_one_call(
    versions, tmp_path, log_db
):
    v1, v2, _ = versions
    out = json.loads(_run(_ROLLBACK, v1, v2, log_db, home=tmp_path / "home"))
    good, bad = (model_version(read_manifest(v)) for v in (v1, v2))
    assert out["same_url"] and out["production"] == f"trees:{good}"
    assert out["history"] == ["registered", "promoted", "registered", "promoted", "rolled back"]
    assert (out["old"], out["new"]) == (bad, good)
    assert out["old_after_call"] < out["first_new"]
    # Once the call has returned, every request is answered, by the good version.
    assert out["answered_after_return"] and set(out["answered_after_return"]) == {good}
    assert out["versions_after_first_new"] == [good]  # never the bad one again
    assert out["logged_as_answered"]  # the log's model_version is the header's, request by request
