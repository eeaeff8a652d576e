"""Auto-checked exercises: the checker, the build of ``exercises/`` and the grader.

In an exercise notebook::

    from prodml_workshop.exercises import warmup
    q1, q2, q3, q4 = warmup.bind(globals())
    ...
    q1.check()     # Correct / Incorrect: why / Not attempted yet
    q1.hint()
    q1.solution()

One module of questions per notebook (``warmup`` for ``00_warmup.ipynb``, ...).
"""

from prodml_workshop.exercises.core import (
    PLACEHOLDER,
    FunctionQuestion,
    Incorrect,
    NotAttempted,
    Question,
    QuestionSet,
    Result,
    Status,
    ThoughtQuestion,
    ValueQuestion,
)

__all__ = [
    "PLACEHOLDER",
    "FunctionQuestion",
    "Incorrect",
    "NotAttempted",
    "Question",
    "QuestionSet",
    "Result",
    "Status",
    "ThoughtQuestion",
    "ValueQuestion",
]
