"""What a built Bento holds: its files, and what its ``bento.yaml`` says about it.

``bentoml build`` writes a Bento into ``$BENTOML_HOME/bentos/<name>/<version>/``: the source
(``src/``), the environment (``env/python`` requirements, ``env/docker`` the Dockerfile) and
``bento.yaml``, which names the service, the models it carries and its API routes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["bento_summary", "folder_tree"]


def _files(folder: Path) -> str:
    count = sum(1 for path in folder.rglob("*") if path.is_file())
    return f"{count} file" if count == 1 else f"{count} files"


def folder_tree(folder: str | Path, depth: int = 2) -> str:
    """Return a folder's entries, ``depth`` levels deep, one per line, indented by level.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder, e.g. a Bento.
    depth : int, default=2
        How many levels to list; a folder at the last level shows how many files it holds.

    Returns
    -------
    str
        One line per entry, sorted by name; folders end with ``/``.

    Examples
    --------
    >>> import tempfile
    >>> bento = Path(tempfile.mkdtemp())
    >>> (bento / "src" / "pkg").mkdir(parents=True)
    >>> (bento / "src" / "pkg" / "service.py").touch()
    >>> (bento / "bento.yaml").touch()
    >>> print(folder_tree(bento))
    bento.yaml
    src/
        pkg/  (1 file)
    """
    lines = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_dir():
            lines.append(path.name)
        elif depth <= 1:
            lines.append(f"{path.name}/  ({_files(path)})")
        else:
            lines.append(f"{path.name}/")
            lines.extend(f"    {line}" for line in folder_tree(path, depth - 1).splitlines())
    return "\n".join(lines)


def bento_summary(bento: str | Path) -> dict[str, Any]:
    """Return what a built Bento's ``bento.yaml`` says: its service, models and routes.

    Parameters
    ----------
    bento : str or pathlib.Path
        A Bento's folder, ``$BENTOML_HOME/bentos/<name>/<version>``.

    Returns
    -------
    dict
        ``service`` (the service it runs), ``name``, ``version``, ``bentoml_version``,
        ``labels`` (from ``bentofile.yaml``), ``models`` (the tags of the models it carries)
        and ``routes`` (its API routes).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``bento.yaml``.

    Examples
    --------
    >>> bento_summary(bento)  # doctest: +SKIP
    {'service': 'prodml_workshop.serving.service:ModelService', ..., 'models':
    ['penguins:skops-3f2a9c1b7d04'], 'routes': ['/predict', '/predict_proba']}
    """
    path = Path(bento) / "bento.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.parent} has no bento.yaml, so it is not a built Bento: pass a folder "
            "$BENTOML_HOME/bentos/<name>/<version> that `bentoml build` wrote."
        )
    info = yaml.safe_load(path.read_text())
    summary = {key: info[key] for key in ("service", "name", "version", "bentoml_version")}
    summary["labels"] = info.get("labels") or {}
    summary["models"] = [
        model["tag"] for service in info.get("services", []) for model in service["models"]
    ]
    summary["routes"] = [route["route"] for route in info["schema"]["routes"]]
    return summary
