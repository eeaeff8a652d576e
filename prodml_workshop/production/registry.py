"""The registry: every model version in BentoML's model store, and which one is in production.

BentoML's model store is the registry's engine: a version registered here is a BentoML model
(``bentoml models list`` shows it), stored by
:func:`~prodml_workshop.serving.model_store.store_package` under the tag the service itself
gives it, ``<package folder name>:<model version>``, with the package's ``manifest.json``
among its files. So every version of one model lives in folders of the same name, e.g.
``models/v1/weather`` and ``models/v2/weather``, and shares the name ``weather``.

What the store does not keep is the life of each version: when it went into production, into
shadow or canary, or was rolled back to, and why. :class:`Registry` appends one JSON line per
event to ``$BENTOML_HOME/registry/<name>.jsonl``, beside the store, and reads that history
back as a table: the version in production is the one of the last promotion or rollback.

Examples
--------
>>> registry = Registry("weather")  # doctest: +SKIP
>>> registry.promote("models/v1/weather", reason="first version")  # doctest: +SKIP
'weather:skops-3f2a9c1b7d04'
>>> registry.history()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import bentoml
import pandas as pd

from prodml_workshop.packaging import read_manifest
from prodml_workshop.packaging.manifest import utc_now
from prodml_workshop.serving.model_store import model_tag, store_package

__all__ = ["EVENTS", "Registry", "RegistryError", "bentoml_home"]

#: What the history records: a version put into production (``promoted``), beside the
#: production one (``shadow``, ``canary``), back into production (``rolled back``), or
#: stored without being served (``registered``).
EVENTS = ("registered", "promoted", "shadow", "canary", "rolled back")
_IN_PRODUCTION = ("promoted", "rolled back")
_COLUMNS = ["time", "event", "version", "candidate", "share", "reason", "package"]


class RegistryError(LookupError):
    """A version the registry does not hold, or no version to roll back to."""


def bentoml_home() -> Path:
    """Return BentoML's home folder: ``$BENTOML_HOME``, else ``~/bentoml`` (BentoML's rule).

    BentoML reads the variable once per process, when its store is first used: set it
    before, not after.

    Examples
    --------
    >>> import os
    >>> bentoml_home() == Path(os.environ.get("BENTOML_HOME", "~/bentoml")).expanduser()
    True
    """
    return Path(os.path.expandvars(os.environ.get("BENTOML_HOME", "~/bentoml"))).expanduser()


class Registry:
    """The versions of one model in BentoML's model store, and their deployment history.

    Parameters
    ----------
    name : str
        The model's name in the store: the name of the folders its packages are saved in
        (``models/v2/weather`` is a version of ``weather``).

    Attributes
    ----------
    path : pathlib.Path
        The history file, ``$BENTOML_HOME/registry/<name>.jsonl``.

    Examples
    --------
    >>> registry = Registry("weather")
    >>> registry.path.relative_to(bentoml_home()).as_posix()
    'registry/weather.jsonl'
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = bentoml_home() / "registry" / f"{name}.jsonl"

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, production={self.production!r})"

    def _events(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def _append(self, event: str, version: str, **details: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        row = {"time": utc_now(), "event": event, "version": version, **details}
        with self.path.open("a", encoding="utf-8") as history:
            history.write(json.dumps(row) + "\n")

    def register(self, package: str | Path) -> str:
        """Store a package in BentoML's model store, once, and record where it came from.

        Parameters
        ----------
        package : str or pathlib.Path
            A model package saved in a folder named like the registry.

        Returns
        -------
        str
            Its tag, ``"<name>:<model version>"``.

        Raises
        ------
        RegistryError
            If the package's folder has another name (it would be another model).
        """
        package = Path(package).resolve()
        tag = model_tag(package)
        if tag.split(":")[0] != self.name:
            raise RegistryError(
                f"{package} would be stored as {tag.split(':')[0]!r}, not as a version of "
                f"{self.name!r}: save it in a folder named {self.name!r}, e.g. "
                f"models/v2/{self.name}."
            )
        store_package(package)
        if all(e["version"] != tag for e in self._events()):
            self._append("registered", tag, package=str(package))
        return tag

    def package(self, version: str) -> Path:
        """Return the package folder a registered version was stored from.

        Raises
        ------
        RegistryError
            If the version was never registered, or its folder now holds another version.
        """
        folders = [
            e["package"]
            for e in self._events()
            if e["event"] == "registered" and e["version"] == version
        ]
        if not folders:
            raise RegistryError(
                f"{version!r} is not registered in {self.name!r}; register its package first."
            )
        folder = Path(folders[0])
        if not (folder / "manifest.json").is_file() or model_tag(folder) != version:
            raise RegistryError(
                f"{folder} no longer holds {version}; its files are in BentoML's store at "
                f"{bentoml.models.get(version).path}: copy them back, with its reference."
            )
        return folder

    def record(
        self,
        event: str,
        package: str | Path,
        *,
        candidate: str | Path | None = None,
        share: float | None = None,
        reason: str = "",
    ) -> str:
        """Register a package (and a candidate beside it) and record a deployment event.

        Parameters
        ----------
        event : {"promoted", "shadow", "canary", "rolled back"}
            What happened, see :data:`EVENTS`.
        package : str or pathlib.Path
            The package in production after the event.
        candidate : str or pathlib.Path, default=None
            The package served beside it, for ``shadow`` and ``canary``.
        share : float, default=None
            The canary's share of requests.
        reason : str, default=""
            Why, e.g. the promotion gate's decision.

        Returns
        -------
        str
            The tag of ``package``.
        """
        if event not in EVENTS[1:]:
            raise ValueError(f"event must be one of {EVENTS[1:]}, not {event!r}.")
        tag = self.register(package)
        details = {"reason": reason, "candidate": None, "share": share}
        if candidate is not None:
            details["candidate"] = self.register(candidate)
        self._append(event, tag, **details)
        return tag

    def promote(self, package: str | Path, *, reason: str = "") -> str:
        """Record that a package went into production; return its tag."""
        return self.record("promoted", package, reason=reason)

    @property
    def production(self) -> str | None:
        """The version in production: the last one promoted or rolled back to."""
        stack = self._production_stack()
        return stack[-1] if stack else None

    def _production_stack(self) -> list[str]:
        # Each promotion puts a version on top; a rollback takes the top one off.
        stack: list[str] = []
        for event in self._events():
            if event["event"] == "promoted":
                stack.append(event["version"])
            elif event["event"] == "rolled back":
                stack.pop()
                if not stack or stack[-1] != event["version"]:
                    stack.append(event["version"])
        return stack

    def rollback_target(self) -> str:
        """Return the version a rollback returns to: the one in production before the current.

        Raises
        ------
        RegistryError
            If there is no earlier version in production to return to.
        """
        stack = self._production_stack()
        if len(stack) < 2:
            raise RegistryError(
                f"{self.name!r} has no earlier version in production to roll back to "
                f"(production: {self.production}); promote a version instead."
            )
        return stack[-2]

    def rollback(self, *, reason: str = "") -> str:
        """Record a rollback to :meth:`rollback_target`; return its tag.

        Raises
        ------
        RegistryError
            If there is no earlier version in production to return to.
        """
        target = self.rollback_target()
        self._append("rolled back", target, reason=reason or f"from {self.production}")
        return target

    def history(self) -> pd.DataFrame:
        """Return the deployment history: one row per event, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``time`` (UTC), ``event``, ``version`` (in production after the event, or the
            one registered), ``candidate`` and ``share`` (shadow, canary), ``reason``,
            ``package`` (the folder a registered version came from).
        """
        table = pd.DataFrame(self._events()).reindex(columns=_COLUMNS)
        return table.assign(time=pd.to_datetime(table["time"], format="ISO8601"))

    def versions(self) -> pd.DataFrame:
        """Return the versions in BentoML's model store, with our manifest's metadata.

        Returns
        -------
        pandas.DataFrame
            One row per stored version, oldest first: ``tag``, ``stored`` (when BentoML
            stored it), ``format``, ``created_at`` (the package's manifest), ``in_production``
            and one column per key of the manifest's ``metadata``.
        """
        try:
            models = bentoml.models.list(self.name)
        except bentoml.exceptions.NotFound:
            models = []
        production = self.production
        rows = []
        for model in models:
            manifest = read_manifest(model.path)
            rows.append(
                {
                    "tag": str(model.tag),
                    "stored": model.info.creation_time,
                    "format": manifest["format"],
                    "created_at": manifest["created_at"],
                    "in_production": str(model.tag) == production,
                    **manifest.get("metadata", {}),
                }
            )
        table = pd.DataFrame(rows, columns=None if rows else ["tag", "stored", "in_production"])
        return table.sort_values("stored", ignore_index=True) if rows else table
