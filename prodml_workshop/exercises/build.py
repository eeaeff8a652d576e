"""Write the student notebooks in ``exercises/`` from the single source in ``solutions/``.

Solution code sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION``. In the student copy a
block at the top level of a cell becomes a blank per name it assigns (``answer = ____``); a block
inside a function body becomes ``raise NotImplementedError``. Each block belongs to the first
``qN.check()`` that follows it, and its code is what ``qN.solution()`` shows: the build writes it
to the package data ``prodml_workshop/exercises/solutions/<notebook>.json``.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "CHECK_CALL",
    "END",
    "BuildError",
    "build",
    "question_of_cell",
    "split_solutions",
]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"

CHECK_CALL = re.compile(r"\b(q\d+)\.check\(\)")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)")
SOLUTIONS_DATA = Path(__file__).parent / "solutions"


class BuildError(ValueError):
    """A solution notebook whose markers cannot be turned into an exercise."""


def _stub(block: list[str], indent: str) -> list[str]:
    if indent:
        return [f"{indent}# your code here", f'{indent}raise NotImplementedError("your code here")']
    stub = ["# your code here"]
    for line in block:
        match = _ASSIGN.match(line)
        if match:
            names = [n.strip() for n in match.group(1).split(",")]
            blank = f"{', '.join(names)} = {', '.join('____' for _ in names)}"
            if blank not in stub:
                stub.append(blank)
    return stub


def split_solutions(source: str) -> tuple[str, list[str]]:
    """Split one cell's source into the student version and its solution blocks.

    Parameters
    ----------
    source : str
        The cell's source in the solution notebook.

    Returns
    -------
    exercise : str
        The source with every solution block replaced by its stub.
    blocks : list of str
        The code of each solution block, dedented.

    Raises
    ------
    BuildError
        If a ``# BEGIN SOLUTION`` has no matching ``# END SOLUTION`` or the other way round.

    Examples
    --------
    >>> ex, blocks = split_solutions("# BEGIN SOLUTION\\nx = 1 + 1\\n# END SOLUTION")
    >>> print(ex)
    # your code here
    x = ____
    >>> blocks
    ['x = 1 + 1']
    """
    out: list[str] = []
    blocks: list[str] = []
    block: list[str] | None = None
    indent = ""
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if block is not None:
                raise BuildError(f"nested {BEGIN!r}")
            block, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if block is None:
                raise BuildError(f"{END!r} without {BEGIN!r}")
            out.extend(_stub(block, indent))
            blocks.append(textwrap.dedent("\n".join(block)).strip("\n"))
            block = None
        elif block is not None:
            block.append(line[len(indent) :] if line.startswith(indent) else line)
        else:
            out.append(line)
    if block is not None:
        raise BuildError(f"{BEGIN!r} without {END!r}")
    return "\n".join(out), blocks


def question_of_cell(nb: nbformat.NotebookNode, index: int) -> str | None:
    """The question whose answer cell ``index`` holds: the first ``qN.check()`` at or after it.

    The rule of the build, also used by the grader to tell which question a broken cell costs.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell(s) for s in ("x = 1", "q1.check()", "q2.check()")]
    >>> question_of_cell(nb, 0), question_of_cell(nb, 2)
    ('q1', 'q2')
    """
    for cell in nb.cells[index:]:
        if cell.cell_type == "code":
            found = CHECK_CALL.findall(cell.source)
            if found:
                return found[0]
    return None


def _build_one(solution: Path) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    nb = nbformat.read(solution, as_version=4)
    answers: dict[str, list[str]] = {}
    pending: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exercise, blocks = split_solutions(cell.source)
        pending.extend(blocks)
        cell.source = exercise
        cell.outputs, cell.execution_count = [], None
        for label in CHECK_CALL.findall(exercise):
            if pending:
                answers.setdefault(label, []).extend(pending)
                pending = []
    if pending:
        raise BuildError(f"{solution}: a solution block is not followed by any qN.check()")
    return nb, {label: "\n\n".join(code) for label, code in answers.items()}


def build(
    solutions_dir: Path | str, exercises_dir: Path | str, data_dir: Path | str = SOLUTIONS_DATA
) -> list[Path]:
    """Write every ``solutions/*.ipynb`` as an exercise notebook, and its solution data.

    Parameters
    ----------
    solutions_dir : path-like
        Folder of solution notebooks (the single source).
    exercises_dir : path-like
        Folder the student notebooks are written to.
    data_dir : path-like, default=the package's ``exercises/solutions``
        Folder the ``<notebook>.json`` solution texts are written to.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    exercises_dir, data_dir = Path(exercises_dir), Path(data_dir)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in sorted(Path(solutions_dir).glob("*.ipynb")):
        nb, answers = _build_one(solution)
        target = exercises_dir / solution.name
        nbformat.write(nb, target)
        data = data_dir / f"{solution.stem}.json"
        data.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
        written += [target, data]
    return written
