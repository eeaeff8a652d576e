"""The served package in BentoML's model store: stored once, under a valid tag, manifest kept.

BentoML picks its store when first used in a process, so storing runs in a subprocess with a
BentoML home of its own.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from prodml_workshop.packaging import read_manifest, save_model, save_reference
from prodml_workshop.serving.model_store import model_tag
from prodml_workshop.serving.prediction_log import model_version

_STORE_TWICE = """
import json, pathlib, sys, bentoml
from prodml_workshop.serving.model_store import store_package
tags = [store_package(sys.argv[1]) for _ in range(2)]
model = bentoml.models.get(tags[0])
pathlib.Path(model.path, "model.skops").write_bytes(b"damaged")
tags.append(store_package(sys.argv[1]))  # stores the package again over the damaged copy
print(json.dumps({"tags": tags, "path": model.path, "labels": model.info.labels,
                  "versions": [str(m.tag) for m in bentoml.models.list()]}))
"""


def test_a_package_is_stored_once_under_its_version_and_again_if_its_copy_is_damaged(tmp_path):
    X = pd.DataFrame(np.arange(12.0).reshape(6, 2), columns=["Rain Today", "wind/speed"])
    package = save_model(
        Ridge().fit(X, X.sum(axis=1)), tmp_path / "My Ridge (v2)", format="skops",
        sample_input=X,
    )  # fmt: skip
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _STORE_TWICE, str(package)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    stored = json.loads(run.stdout)
    tag = f"my-ridge-v2:{model_version(read_manifest(package))}"
    assert model_tag(package) == tag
    assert stored["tags"] == [tag, tag, tag] and stored["versions"] == [tag]
    assert stored["labels"] == {
        "course": "prodml-workshop",
        "format": "skops",
        "task": "regression",
    }
    assert read_manifest(stored["path"]) == read_manifest(package)
    assert (package / "model.skops").read_bytes() == (
        Path(stored["path"]) / "model.skops"
    ).read_bytes()


_STORE_EACH = """
import json, pathlib, sys, bentoml
from prodml_workshop.serving.model_store import store_package
tags = [store_package(path) for path in sys.argv[1:]]
print(json.dumps({"tags": tags, "files": [sorted(p.name for p in pathlib.Path(
    bentoml.models.get(tag).path).iterdir()) for tag in tags]}))
"""


def test_a_reference_is_stored_as_artifacts_and_one_added_later_is_a_new_version(tmp_path):
    X = pd.DataFrame(np.arange(12.0).reshape(6, 2), columns=["Rain Today", "wind/speed"])
    package = save_model(
        Ridge().fit(X, X.sum(axis=1)), tmp_path / "ridge", format="skops", sample_input=X
    )
    bare = shutil.copytree(package, tmp_path / "bare" / "ridge")
    save_reference(package, X)
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _STORE_EACH, str(bare), str(package)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    stored = json.loads(run.stdout)
    assert stored["tags"] == [model_tag(bare), model_tag(package)]
    assert stored["tags"][0] != stored["tags"][1]
    assert "reference_profile.json" not in stored["files"][0]
    assert {*read_manifest(package)["artifacts"], "manifest.json"} <= set(stored["files"][1])
    assert {"reference.parquet", "reference.json", "reference_profile.json"} <= set(
        stored["files"][1]
    )
