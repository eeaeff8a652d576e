"""What a check says: a status and a short message, shown to the student and kept for the grader.

Under the grader (``$PRODML_GRADE_LOG`` set in the kernel's environment) every verdict shown by
``check()`` is also appended at once, as one JSON line, to the grader's file: a notebook that
hangs or dies later keeps the verdicts it already had.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass

from prodml_workshop.exercises.display import show_text

__all__ = [
    "GRADE_LOG_ENV",
    "MESSAGE_LIMIT",
    "Result",
    "Status",
    "clip",
    "record",
    "record_bound",
    "show",
]

GRADE_LOG_ENV = "PRODML_GRADE_LOG"
MESSAGE_LIMIT = 300


class Status(enum.StrEnum):
    """Outcome of a check, as written in the grader's table."""

    PASS = "pass"
    FAIL = "fail"
    NOT_ATTEMPTED = "not attempted"
    REVIEW = "review"  # a written answer: recorded for a person to read, never a pass


@dataclass(frozen=True)
class Result:
    """What a check found: a status, a message for the student and a written answer's text.

    ``graded`` is ``False`` for a written answer, which a person marks.
    """

    status: Status
    message: str
    answer: str = ""
    graded: bool = True

    def row(self) -> dict[str, str | bool]:
        """The result as the grader reads it: ``status``, ``message``, ``answer``, ``graded``.

        Examples
        --------
        >>> Result(Status.PASS, "Correct!").row()
        {'status': 'pass', 'message': 'Correct!', 'answer': '', 'graded': True}
        """
        return {
            "status": self.status.value,
            "message": self.message,
            "answer": self.answer,
            "graded": self.graded,
        }


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Shorten a message to one line of at most ``limit`` characters.

    Examples
    --------
    >>> clip("a\\n  b", 10), clip("x" * 20, 10)
    ('a b', 'xxxxxxx...')
    """
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def record(label: str, result: Result) -> None:
    """Append a verdict to the grader's file, when there is one; never raises.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "verdicts.jsonl")
    >>> os.environ[GRADE_LOG_ENV] = path
    >>> record("q1", Result(Status.FAIL, "Incorrect: too high."))
    >>> json.loads(open(path).read())
    {'question': 'q1', 'status': 'fail', 'message': 'Incorrect: too high.', 'answer': '', \
'graded': True}
    >>> del os.environ[GRADE_LOG_ENV]
    """
    _append({"question": label, **result.row()})


def record_bound(labels: list[str]) -> None:
    """Tell the grader, when there is one, which questions a notebook has; never raises.

    Then a notebook that dies before its last check still gets a row for every question.
    """
    _append({"bound": labels})


def _append(line: dict) -> None:
    path = os.environ.get(GRADE_LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a") as f:
            f.write(json.dumps(line) + "\n")
    except OSError:  # the grader's final report still asks the questions
        pass


_COLORS = {
    Status.PASS: "#2e7d32",
    Status.FAIL: "#c62828",
    Status.NOT_ATTEMPTED: "#1565c0",
    Status.REVIEW: "#6a1b9a",
}


def show(label: str, result: Result) -> None:
    """Display a verdict in its status's colour.

    Examples
    --------
    >>> show("q2", Result(Status.NOT_ATTEMPTED, "Not attempted yet: `x` is still a blank."))
    q2: Not attempted yet: `x` is still a blank.
    """
    show_text(f"{label}: {result.message}", _COLORS[result.status])
