"""Grade collected exercise notebooks: execute each one, then ask its questions for their status.

Every notebook runs in its own kernel, in a temporary folder, with errors allowed, so a cell
that fails (or a notebook that cannot even be read) costs only that notebook its marks.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from prodml_workshop.exercises.core import Status

__all__ = ["GradeRow", "format_table", "grade", "grade_notebook", "write_csv"]

_MARK = "PRODML_GRADE_REPORT:"
_REPORT_CELL = (
    "import json as _json\n"
    "from prodml_workshop.exercises.core import report as _report\n"
    f"print({_MARK!r} + _json.dumps(_report()))"
)
_CHECK = re.compile(r"\b(q\d+)\.check\(\)")


@dataclass(frozen=True)
class GradeRow:
    """One line of the grade table."""

    notebook: str
    question: str
    status: Status
    message: str = ""


def _expected_questions(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += [q for q in _CHECK.findall(cell.source) if q not in found]
    return found


def grade_notebook(path: Path | str, *, timeout: int = 600) -> list[GradeRow]:
    """Execute one notebook and return the status of each of its questions.

    Parameters
    ----------
    path : path-like
        The notebook to grade.
    timeout : int, default=600
        Seconds allowed for one cell.

    Returns
    -------
    list of GradeRow
        One row per question. A notebook that cannot be read gives one ``fail`` row for the
        question ``"(notebook)"``; one whose kernel dies marks its questions ``fail``.
    """
    path = Path(path)
    name = path.as_posix()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:
        return [GradeRow(name, "(notebook)", Status.FAIL, f"cannot read the notebook: {err}")]
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT_CELL))
    with tempfile.TemporaryDirectory(prefix="prodml-grade-") as workdir:
        client = NotebookClient(
            nb,
            timeout=timeout,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
        )
        try:
            client.execute()
            error = ""
        except Exception as err:  # a dead kernel or a timeout fails this notebook only
            error = f"the notebook did not finish: {type(err).__name__}: {err}"
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if output.get("output_type") == "stream" and _MARK in text:
            rows = json.loads(text.split(_MARK, 1)[1])
            return [GradeRow(name, r["question"], Status(r["status"]), r["message"]) for r in rows]
    reason = error or "the questions were never bound (did the first cell fail?)"
    return [GradeRow(name, q, Status.FAIL, reason) for q in _expected_questions(nb)] or [
        GradeRow(name, "(notebook)", Status.FAIL, reason)
    ]


def grade(paths: list[Path | str], *, timeout: int = 600) -> list[GradeRow]:
    """Grade notebooks and folders of notebooks, in name order within each folder.

    Parameters
    ----------
    paths : list of path-like
        Notebooks, or folders whose ``*.ipynb`` files are graded.
    timeout : int, default=600
        Seconds allowed for one cell.

    Returns
    -------
    list of GradeRow
        The rows of every notebook, in order.
    """
    rows: list[GradeRow] = []
    for p in map(Path, paths):
        notebooks = sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
        for notebook in notebooks:
            rows += grade_notebook(notebook, timeout=timeout)
    return rows


def write_csv(rows: list[GradeRow], out: Path | str) -> None:
    """Write the rows with the columns ``notebook,question,status``."""
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["notebook", "question", "status"])
        writer.writerows([r.notebook, r.question, r.status.value] for r in rows)


def format_table(rows: list[GradeRow]) -> str:
    """Format the rows as a plain-text table with the message of each question."""
    header = ("notebook", "question", "status", "message")
    lines = [header] + [(r.notebook, r.question, r.status.value, r.message) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line[:3], widths, strict=True)) + "  " + line[3]
        for line in lines
    )
