"""The default model: built once in the cache, safe to load, chosen when no model is named."""

import pytest

from prodml_workshop.packaging import load_model, read_manifest
from prodml_workshop.serving import default_model_dir
from prodml_workshop.serving.default_model import cache_dir, model_dir_from_env


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "prodml-workshop"


def test_default_model_is_built_once_in_the_cache_and_loads_without_trust(cache, monkeypatch):
    path = default_model_dir()
    assert cache_dir() == cache and path.parent == cache / "models"
    manifest = read_manifest(path)
    assert manifest["format"] == "skops" and manifest["has_predict_proba"]
    assert manifest["input_schema"]["columns"][0]["name"] == "island"
    assert list(load_model(path).classes_) == ["Adelie", "Chinstrap", "Gentoo"]
    built = (path / "manifest.json").stat().st_mtime_ns
    assert default_model_dir() == path and (path / "manifest.json").stat().st_mtime_ns == built
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging folder left
    monkeypatch.delenv("PRODML_MODEL_DIR", raising=False)
    assert model_dir_from_env() == path


def test_model_dir_from_env_names_the_variable_when_it_is_wrong(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"PRODML_MODEL_DIR=.*not a model package"):
        model_dir_from_env()
