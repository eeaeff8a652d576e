"""The model served when none is named: the penguin pipeline, saved once in a cache folder.

``bentoml serve prodml_workshop.serving.service:ModelService`` must work on a fresh install,
so the package can build its own model package: the course's penguin species classifier
(:func:`~prodml_workshop.penguin_model.penguin_pipeline`) trained on every penguin and saved
with :func:`~prodml_workshop.packaging.save_model` in the ``skops`` format, which loads without
running code. It is built once per scikit-learn version, under ``$XDG_CACHE_HOME`` (by default
``~/.cache``) in ``prodml-workshop/models/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "default_model_dir", "model_dir_from_env"]


def cache_dir() -> Path:
    """Return the workshop's cache folder, ``$XDG_CACHE_HOME/prodml-workshop``.

    Returns
    -------
    pathlib.Path
        ``~/.cache/prodml-workshop`` unless ``XDG_CACHE_HOME`` names another base folder.
        It is not created here.

    Examples
    --------
    >>> cache_dir().name
    'prodml-workshop'
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "prodml-workshop"


def _build(destination: Path) -> None:
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
    from prodml_workshop.packaging import save_model
    from prodml_workshop.penguin_model import penguin_pipeline

    penguins = load_penguins()
    X, y = penguins[PENGUIN_FEATURES], penguins["species"]
    model = penguin_pipeline().fit(X, y)
    save_model(
        model,
        destination,
        format="skops",
        sample_input=X.head(),
        metadata={"dataset": "palmerpenguins", "target": "species", "n_train": len(X)},
    )


def default_model_dir() -> Path:
    """Return the folder of the default model package, building it the first time.

    The package is written to a temporary folder and renamed into place, so that servers
    starting at the same time never see half a package.

    Returns
    -------
    pathlib.Path
        ``<cache_dir()>/models/penguins-skops-sklearn<version>``, a model package that
        :func:`~prodml_workshop.packaging.load_model` loads without ``trusted=True``.

    Examples
    --------
    >>> from prodml_workshop.packaging import read_manifest
    >>> read_manifest(default_model_dir())["format"]  # doctest: +SKIP
    'skops'
    """
    import sklearn

    models = cache_dir() / "models"
    target = models / f"penguins-skops-sklearn{sklearn.__version__}"
    if (target / "manifest.json").is_file():
        return target
    models.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=models))
    try:
        _build(staging / "package")
        try:
            (staging / "package").rename(target)
        except OSError:
            if not (target / "manifest.json").is_file():
                raise  # not a concurrent build that finished first: a real failure
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def model_dir_from_env() -> Path:
    """Return the package to serve: ``$PRODML_MODEL_DIR``, else the default model.

    Returns
    -------
    pathlib.Path
        A folder holding ``manifest.json``.

    Raises
    ------
    FileNotFoundError
        If ``PRODML_MODEL_DIR`` names a folder that is not a model package.

    Examples
    --------
    >>> model_dir_from_env()  # doctest: +SKIP
    PosixPath('/home/me/.cache/prodml-workshop/models/penguins-skops-sklearn1.9.0')
    """
    named = os.environ.get("PRODML_MODEL_DIR")
    if not named:
        return default_model_dir()
    path = Path(named).expanduser().resolve()
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(
            f"PRODML_MODEL_DIR={named!r} is not a model package: {path / 'manifest.json'} "
            "does not exist. Set PRODML_MODEL_DIR to a folder written by save_model, or "
            "unset it to serve the default penguin model."
        )
    return path
