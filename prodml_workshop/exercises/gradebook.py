"""The grader's outputs: one row per question, a CSV of them, a per-student summary, a table.

The per-question CSV has the columns ``notebook, question, status, message, answer``:
``status`` is ``pass``, ``fail``, ``not attempted`` or ``review`` (a written answer, its text in
``answer``, for the instructor to read against the model answer). The summary has one row per
student (the folder holding their notebooks): the points of each notebook (one per ``pass``),
``points``, ``out_of`` (the auto-graded questions of every notebook) and ``to_review``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePath

from prodml_workshop.exercises.verdicts import Status

__all__ = [
    "CSV_COLUMNS",
    "GradeRow",
    "format_table",
    "summarise",
    "summary_path",
    "write_csv",
    "write_summary",
]

CSV_COLUMNS = ("notebook", "question", "status", "message", "answer")


@dataclass(frozen=True)
class GradeRow:
    """One line of the grade table.

    Attributes
    ----------
    notebook : str
        The notebook's path.
    question : str
        ``"q1"``, ... or ``"(notebook)"`` for a notebook that could not be read.
    status : Status
        The verdict.
    message : str
        Why (the student's message, or why the question was never checked).
    answer : str
        A written answer's text.
    student : str
        Whose notebook it is: the folder that holds it.
    graded : bool
        ``False`` for a written answer, which earns no automatic point.
    """

    notebook: str
    question: str
    status: Status
    message: str = ""
    answer: str = ""
    student: str = ""
    graded: bool = True


def write_csv(rows: list[GradeRow], out: Path | str) -> None:
    """Write the rows with the columns ``CSV_COLUMNS``; every field is quoted when needed.

    Examples
    --------
    >>> import io, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "grades.csv")
    >>> write_csv([GradeRow("a.ipynb", "q1", Status.FAIL, "line one\\nline two, more")], out)
    >>> list(csv.reader(open(out, newline="")))[1]
    ['a.ipynb', 'q1', 'fail', 'line one\\nline two, more', '']
    """
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(
            [r.notebook, r.question, r.status.value, r.message, r.answer] for r in rows
        )


def summary_path(out: Path | str) -> Path:
    """Where the summary of the CSV ``out`` goes: ``grades.csv`` → ``grades_summary.csv``.

    Examples
    --------
    >>> summary_path("marks/grades.csv").as_posix()
    'marks/grades_summary.csv'
    """
    out = Path(out)
    return out.with_name(f"{out.stem}_summary{out.suffix or '.csv'}")


def summarise(rows: list[GradeRow]) -> tuple[list[str], list[list[object]]]:
    """Points per student and notebook.

    Parameters
    ----------
    rows : list of GradeRow
        The rows of every notebook of every student.

    Returns
    -------
    header : list of str
        ``student``, one column per notebook (its file name without ``.ipynb``), ``points``,
        ``out_of``, ``to_review``.
    lines : list of list
        One per student, in name order.

    Examples
    --------
    >>> rows = [GradeRow("ana/00.ipynb", "q1", Status.PASS, student="ana"),
    ...         GradeRow("ana/00.ipynb", "q2", Status.REVIEW, student="ana", graded=False),
    ...         GradeRow("bo/00.ipynb", "q1", Status.FAIL, student="bo"),
    ...         GradeRow("bo/00.ipynb", "q2", Status.NOT_ATTEMPTED, student="bo")]
    >>> summarise(rows)
    (['student', '00', 'points', 'out_of', 'to_review'], [['ana', 1, 1, 1, 1], ['bo', 0, 0, 1, 0]])
    """
    stems = sorted({PurePath(r.notebook).stem for r in rows})
    labels: dict[str, set[str]] = defaultdict(set)
    written: dict[str, set[str]] = defaultdict(set)
    points: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(stems, 0))
    review: dict[str, int] = defaultdict(int)
    for r in rows:
        stem = PurePath(r.notebook).stem
        labels[stem].add(r.question)
        if not r.graded:
            written[stem].add(r.question)
        points[r.student][stem] += r.status is Status.PASS
        review[r.student] += r.status is Status.REVIEW
    out_of = sum(len(labels[s] - written[s] - {"(notebook)"}) for s in stems)
    header = ["student", *stems, "points", "out_of", "to_review"]
    lines: list[list[object]] = [
        [student, *(by[s] for s in stems), sum(by.values()), out_of, review[student]]
        for student, by in sorted(points.items())
    ]
    return header, lines


def write_summary(rows: list[GradeRow], out: Path | str) -> Path:
    """Write :func:`summarise` as a CSV; return its path."""
    header, lines = summarise(rows)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(lines)
    return Path(out)


def format_table(rows: list[GradeRow], *, width: int = 120) -> str:
    """Format the rows as a plain-text table, one line per question.

    Messages are cut to fit ``width``; a written answer shows its first words.

    Examples
    --------
    >>> print(format_table([GradeRow("a.ipynb", "q1", Status.PASS, "Correct!")]))
    notebook  question  status  message
    a.ipynb   q1        pass    Correct!
    """
    header = ("notebook", "question", "status", "message")
    lines = [header] + [
        (r.notebook, r.question, r.status.value, _one_line(r.message, r.answer)) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    room = max(width - sum(widths) - 6, 40)
    out = []
    for line in lines:
        message = line[3] if len(line[3]) <= room else line[3][: room - 3] + "..."
        cells = [cell.ljust(w) for cell, w in zip(line[:3], widths, strict=True)]
        out.append("  ".join([*cells, message]))
    return "\n".join(out)


def _one_line(message: str, answer: str) -> str:
    text = f"{message} [{answer}]" if answer else message
    return " ".join(text.split())
