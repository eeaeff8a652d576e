"""Read and call a student's answers: the blank, and a function called on pristine copies.

A student's function gets deep copies of its inputs, so the checker's own objects stay as they
were; when it changes its copy in place, the answer is incorrect (the caller of a production
function still needs its data). ``sys.exit()`` and errors inside it become a verdict.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from prodml_workshop.exercises.comparisons import Incorrect, NotAttempted, unchanged

__all__ = ["PLACEHOLDER", "call_answer", "files_digest", "pristine_copy", "short_repr"]


class _Placeholder:
    """The blank ``____`` a student replaces with an answer."""

    def __repr__(self) -> str:
        return "____"


PLACEHOLDER = _Placeholder()


def pristine_copy(args: tuple) -> tuple:
    """Deep-copy each argument; a live object that cannot be copied (a server) is shared.

    Examples
    --------
    >>> original = ([1, 2],)
    >>> copied = pristine_copy(original)
    >>> copied == original, copied[0] is original[0]
    (True, False)
    """
    copies = []
    for arg in args:
        try:
            copies.append(copy.deepcopy(arg))
        except Exception:  # a server, a connection, a lock
            copies.append(arg)
    return tuple(copies)


def files_digest(path: str | Path) -> dict[str, str]:
    """The SHA-256 of every file at ``path`` (a file, or a folder and all below it), by path.

    Taken before and after a student's function runs, it tells whether the function changed,
    added or deleted a file it was only meant to read.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.txt").write_text("a")
    ...     before = files_digest(tmp)
    ...     _ = (Path(tmp) / "a.txt").write_text("b")
    ...     before == files_digest(tmp)
    False
    """
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.exists()}


def short_repr(value: Any, limit: int = 40) -> str:
    """A ``repr`` short enough for a message.

    Examples
    --------
    >>> short_repr(pd.DataFrame({"x": [1, 2]})), short_repr("y" * 50, 10)
    ('<DataFrame 2x1>', "'yyyyyy...")
    """
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame {value.shape[0]}x{value.shape[1]}>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_answer(
    func: Any, args: tuple, *, name: str, shown: str | None = None, check_mutation: bool = True
) -> Any:
    """Call a student's function on a deep copy of ``args``; turn what goes wrong into a verdict.

    Parameters
    ----------
    func : callable
        The student's function.
    args : tuple
        The arguments; they stay untouched (the function gets deep copies).
    name : str
        The function's name in the notebook.
    shown : str, default=None
        How to show the arguments in a message; a short ``repr`` of each when ``None``.
    check_mutation : bool, default=True
        Whether changing an argument in place makes the answer incorrect.

    Returns
    -------
    object
        What the function returned.

    Raises
    ------
    NotAttempted
        If it raises ``NotImplementedError`` (the build's stub).
    Incorrect
        If it raises anything else, calls ``sys.exit()``, or changes its input in place.

    Examples
    --------
    >>> def normalise(values):
    ...     values.sort()
    ...     return values
    >>> call_answer(normalise, ([3, 1, 2],), name="normalise")
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.comparisons.Incorrect: `normalise([3, 1, 2])` changed its input \
(argument 1) in place: work on a copy (e.g. `df = df.copy()`), the caller still needs it.
    """
    shown = ", ".join(short_repr(a) for a in args) if shown is None else shown
    call = f"`{name}({shown})`"
    given = pristine_copy(args)
    try:
        actual = func(*given)
    except NotImplementedError:
        raise NotAttempted(f"`{name}` still raises NotImplementedError.") from None
    except Exception as err:
        raise Incorrect(f"{call} raised {type(err).__name__}: {err}") from None
    except SystemExit:
        raise Incorrect(
            f"{call} called sys.exit(): a function returns a value or raises an error, "
            "it never ends the program."
        ) from None
    if check_mutation:
        for i, (before, after) in enumerate(zip(args, given, strict=True), start=1):
            if after is not before and not unchanged(before, after):
                raise Incorrect(
                    f"{call} changed its input (argument {i}) in place: work on a copy "
                    "(e.g. `df = df.copy()`), the caller still needs it."
                )
    return actual
