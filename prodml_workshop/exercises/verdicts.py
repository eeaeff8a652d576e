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

__all__ = ["GRADE_LOG_ENV", "MESSAGE_LIMIT", "Result", "Status", "clip", "record", "show"]

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
    """What a check found: a status, a message for the student and a written answer's text."""

    status: Status
    message: str
    answer: str = ""

    def row(self) -> dict[str, str]:
        """The result as the grader's columns ``status``, ``message`` and ``answer``.

        Examples
        --------
        >>> Result(Status.PASS, "Correct!").row()
        {'status': 'pass', 'message': 'Correct!', 'answer': ''}
        """
        return {"status": self.status.value, "message": self.message, "answer": self.answer}


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
    >>> print(open(path).read().strip())
    {"question": "q1", "status": "fail", "message": "Incorrect: too high.", "answer": ""}
    >>> del os.environ[GRADE_LOG_ENV]
    """
    path = os.environ.get(GRADE_LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a") as f:
            f.write(json.dumps({"question": label, **result.row()}) + "\n")
    except OSError:  # the grader's final report still asks this question
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
