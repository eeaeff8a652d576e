"""Check answers against the questions of one question module, as the exercise tests do.

A helper module, not a test file: each ``tests/test_exercises_*.py`` binds one to its module.

>>> from prodml_workshop.exercises import warmup
>>> checks = QuestionChecks(warmup, runs=2)
>>> checks.statuses(1, fill_like_training=stub)
Counter({<Status.NOT_ATTEMPTED: 'not attempted'>: 2})
"""

from __future__ import annotations

from collections import Counter
from types import ModuleType
from typing import Any

from prodml_workshop.exercises import Status
from prodml_workshop.exercises.core import Question


def stub(*args: Any) -> Any:
    """An answer still holding the exercise's stub."""
    raise NotImplementedError("your code here")


class QuestionChecks:
    """Bind answers to question ``number`` of ``module`` and check them ``runs`` times."""

    def __init__(self, module: ModuleType, runs: int = 20) -> None:
        self.module = module
        self.runs = runs

    def question(self, number: int, **answers: Any) -> Question:
        """Question ``number`` (from 1) bound to ``answers`` (the notebook's globals)."""
        return self.module.bind(dict(answers))[number - 1]

    def statuses(self, number: int, runs: int | None = None, **answers: Any) -> Counter:
        """How often each status came in ``runs`` checks (each draws new random inputs)."""
        question = self.question(number, **answers)
        return Counter(question.evaluate().status for _ in range(runs or self.runs))

    def always(self, status: Status, number: int, runs: int | None = None, **answers: Any) -> None:
        """Assert that every one of ``runs`` checks gives ``status``."""
        runs = runs or self.runs
        found = self.statuses(number, runs, **answers)
        assert found == Counter({status: runs}), found

    def refused_every_time(
        self, number: int, says: str, runs: int | None = None, **answers: Any
    ) -> None:
        """Assert that every one of ``runs`` checks fails with a message holding ``says``."""
        question = self.question(number, **answers)
        found = [question.evaluate() for _ in range(runs or self.runs)]
        wrong = [r for r in found if r.status is not Status.FAIL or says not in r.message]
        assert not wrong, f"{len(wrong)} of {len(found)} checks: {wrong[0]}"

    def message(self, number: int, **answers: Any) -> str:
        """The message of a failing check, asserted to fail and to stay under 300 characters."""
        result = self.question(number, **answers).evaluate()
        assert result.status is Status.FAIL, result
        assert len(result.message) < 300, result.message
        return result.message
