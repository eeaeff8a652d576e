"""bentofile.yaml: `bentoml build` makes a Bento of the service without the network."""

import os
import subprocess
import sys

import yaml

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import save_model
from prodml_workshop.packaging.demo import penguin_pipeline


def test_bentoml_build_works_offline_and_the_bento_holds_the_service(root, tmp_path):
    penguins = load_penguins()
    X = penguins[PENGUIN_FEATURES]
    package = save_model(
        penguin_pipeline().fit(X, penguins["species"]), tmp_path / "model", format="skops",
        sample_input=X.head(),
    )  # fmt: skip
    offline = "http://127.0.0.1:9"  # any download attempt fails at once
    env = {
        **os.environ,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        "PRODML_MODEL_DIR": str(package),
        "HTTP_PROXY": offline,
        "HTTPS_PROXY": offline,
        "NO_PROXY": "",
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
    }
    build = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", str(root)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    [bento] = [p for p in (tmp_path / "bentoml" / "bentos" / "prodml-model-service").iterdir()
               if p.name != "latest"]  # fmt: skip
    info = yaml.safe_load((bento / "bento.yaml").read_text())
    assert info["service"] == "prodml_workshop.serving.service:ModelService"
    assert {route["name"] for route in info["schema"]["routes"]} == {"predict", "predict_proba"}
    assert (bento / "src" / "prodml_workshop" / "serving" / "service.py").is_file()
    assert (bento / "src" / "prodml_workshop" / "packaging" / "save.py").is_file()
    assert not list((bento / "src").rglob("__pycache__"))
    requirements = (bento / "env" / "python" / "requirements.txt").read_text().splitlines()
    assert {"bentoml==1.4.40", "scikit-learn==1.9.0", "skops==0.16.0"} <= set(requirements)
