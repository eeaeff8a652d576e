"""Exercise questions that check behaviour: values, a function's outputs on fresh inputs, files.

A question reads the names the student defined in the notebook, checks what they *do* (never
their source text) and displays Correct, Incorrect (with the reason) or Not attempted yet.
``check()`` never raises into the notebook, so an exercise notebook with blanks still runs top
to bottom.
"""

from __future__ import annotations

import enum
import html
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import numpy as np
import pandas as pd

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
    "assert_close",
    "report",
]


class _Placeholder:
    """The blank ``____`` a student replaces with an answer."""

    def __repr__(self) -> str:
        return "____"


PLACEHOLDER = _Placeholder()

# Questions bound in this interpreter, by label; the grader reads them through `report()`.
_BOUND: dict[str, Question] = {}


class Status(enum.StrEnum):
    """Outcome of a check, as written in the grader's table."""

    PASS = "pass"
    FAIL = "fail"
    NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True)
class Result:
    """What a check found: a status and a message for the student."""

    status: Status
    message: str


class Incorrect(AssertionError):
    """Raised inside a check to say what is wrong with an answer: a failed assertion."""


class NotAttempted(NotImplementedError):
    """Raised inside a check when the answer is still a blank or an untouched stub."""


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-6, what: str = "the answer"):
    """Compare an answer with the expected value, with a tolerance on numbers.

    Numbers compare with a relative tolerance whatever their type (``int``, ``numpy.int64``,
    ``float``); sequences, arrays, mappings and pandas objects compare element by element.

    Parameters
    ----------
    actual : object
        The student's value.
    expected : object
        The reference value.
    rtol : float, default=1e-6
        Relative tolerance for numbers.
    what : str, default="the answer"
        How to name the value in the message.

    Raises
    ------
    Incorrect
        With a message saying where the values differ.

    Examples
    --------
    >>> assert_close(0.1 + 0.2, 0.3)
    >>> assert_close([1, 2], [1, 3], what="the list")
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.core.Incorrect: the list[1] is 2, expected 3.
    """
    if isinstance(expected, pd.DataFrame | pd.Series):
        if not isinstance(actual, type(expected)):
            raise Incorrect(f"{what} should be a pandas {type(expected).__name__}.")
        try:
            check = (
                pd.testing.assert_frame_equal
                if isinstance(expected, pd.DataFrame)
                else (pd.testing.assert_series_equal)
            )
            check(actual, expected, check_dtype=False, rtol=rtol)
        except AssertionError as err:
            raise Incorrect(f"{what} differs from the expected one: {err}") from None
        return
    if expected is None or isinstance(expected, bool | str):
        if actual != expected or type(actual) is not type(expected):
            raise Incorrect(f"{what} is {actual!r}, expected {expected!r}.")
        return
    if isinstance(expected, numbers.Real):
        if not isinstance(actual, numbers.Real) or isinstance(actual, bool):
            raise Incorrect(f"{what} should be a number, got {type(actual).__name__}.")
        if math.isnan(expected) and math.isnan(actual):
            return
        if not math.isclose(actual, expected, rel_tol=rtol, abs_tol=1e-12):
            raise Incorrect(f"{what} is {actual!r}, expected {expected!r}.")
        return
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            raise Incorrect(f"{what} should be a dict, got {type(actual).__name__}.")
        if set(actual) != set(expected):
            missing, extra = set(expected) - set(actual), set(actual) - set(expected)
            raise Incorrect(
                f"{what} has the wrong keys: missing {sorted(map(str, missing))}, "
                f"unexpected {sorted(map(str, extra))}."
            )
        for key in expected:
            assert_close(actual[key], expected[key], rtol=rtol, what=f"{what}[{key!r}]")
        return
    if isinstance(expected, np.ndarray | Sequence):
        if not isinstance(actual, np.ndarray | Sequence) or isinstance(actual, str):
            raise Incorrect(f"{what} should be a sequence, got {type(actual).__name__}.")
        if len(actual) != len(expected):
            raise Incorrect(f"{what} has {len(actual)} items, expected {len(expected)}.")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, rtol=rtol, what=f"{what}[{i}]")
        return
    if actual != expected:
        raise Incorrect(f"{what} is {actual!r}, expected {expected!r}.")


class Question:
    """One exercise question bound to a notebook's namespace.

    Subclasses name the notebook variables they read in ``variables``, give ``hints`` and
    implement ``_check(**values)``, raising :class:`Incorrect` or :class:`NotAttempted`.

    Parameters
    ----------
    namespace : dict
        The notebook's ``globals()``, where the student's answers live.
    label : str
        The name the notebook uses for the question, such as ``"q1"``.
    solution : str, default=""
        The solution code, shown by :meth:`solution`.
    """

    variables: ClassVar[tuple[str, ...]] = ()
    hints: ClassVar[tuple[str, ...]] = ()

    def __init__(self, namespace: dict, label: str, solution: str = "") -> None:
        self.namespace = namespace
        self.label = label
        self._solution = solution
        self._hints_shown = 0

    def _values(self) -> dict[str, Any]:
        values = {}
        for name in self.variables:
            value = self.namespace.get(name, PLACEHOLDER)
            if value is PLACEHOLDER:
                raise NotAttempted(f"`{name}` is still a blank (`____`): give it a value.")
            values[name] = value
        return values

    def _check(self, **values: Any) -> None:
        raise NotImplementedError

    def evaluate(self) -> Result:
        """Check the current answer without displaying anything.

        Returns
        -------
        Result
            ``pass`` with a confirmation, ``fail`` with what is wrong, or ``not attempted``.
        """
        try:
            self._check(**self._values())
        except NotAttempted as err:
            return Result(Status.NOT_ATTEMPTED, f"Not attempted yet: {err}")
        except Incorrect as err:
            return Result(Status.FAIL, f"Incorrect: {err}")
        except Exception as err:  # a student's answer may raise anything
            return Result(Status.FAIL, f"Incorrect: checking it raised {type(err).__name__}: {err}")
        return Result(Status.PASS, "Correct!")

    def check(self) -> None:
        """Check the answer and display the verdict; never raises."""
        _show(self.evaluate(), self.label)

    def hint(self) -> None:
        """Display the next hint (each call shows one more, then the last again)."""
        if not self.hints:
            _show_text(f"{self.label}: no hint for this one.", "#555")
            return
        n = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown = n + 1
        _show_text(f"{self.label} hint {n + 1} of {len(self.hints)}: {self.hints[n]}", "#3366aa")

    def solution(self) -> None:
        """Display the solution code."""
        _show_code(f"{self.label} solution", self._solution or "(no solution recorded)")


class ValueQuestion(Question):
    """A question whose answer is one value, compared with :meth:`expected` within ``rtol``."""

    rtol: ClassVar[float] = 1e-6

    def expected(self) -> Any:
        """Compute the reference value (from real data, not a stored number)."""
        raise NotImplementedError

    def _check(self, **values: Any) -> None:
        (name,) = self.variables
        assert_close(values[name], self.expected(), rtol=self.rtol, what=f"`{name}`")


class FunctionQuestion(Question):
    """A question whose answer is a function, run on cases including fresh random inputs.

    Subclasses implement :meth:`cases` (argument tuples, new ones at every check) and
    :meth:`reference`, and may override :meth:`compare`. A function that raises
    ``NotImplementedError`` (the generated stub) counts as not attempted.
    """

    def cases(self) -> Iterable[tuple]:
        """Argument tuples to call the student's function with."""
        raise NotImplementedError

    def reference(self, *args: Any) -> Any:
        """The correct output for ``args``."""
        raise NotImplementedError

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        """Raise :class:`Incorrect` if ``actual`` is not ``expected``."""
        assert_close(actual, expected, what=what)

    def _check(self, **values: Any) -> None:
        (name,) = self.variables
        func = values[name]
        if not callable(func):
            raise Incorrect(f"`{name}` should be a function, got {type(func).__name__}.")
        for args in self.cases():
            shown = ", ".join(_short(a) for a in args)
            try:
                actual = func(*args)
            except NotImplementedError:
                raise NotAttempted(f"`{name}` still raises NotImplementedError.") from None
            except Exception as err:
                raise Incorrect(f"`{name}({shown})` raised {type(err).__name__}: {err}") from None
            self.compare(actual, self.reference(*args), what=f"`{name}({shown})`")


class ThoughtQuestion(Question):
    """A "think about it" question: a written answer, read by a person, not judged by code."""

    min_words: ClassVar[int] = 5

    def _check(self, **values: Any) -> None:
        (name,) = self.variables
        answer = values[name]
        if not isinstance(answer, str) or len(answer.split()) < self.min_words:
            raise NotAttempted(
                f"write your answer in `{name}` as a sentence or two "
                f"(at least {self.min_words} words)."
            )

    def evaluate(self) -> Result:
        """Check that an answer was written; its content is for you and your instructor."""
        result = super().evaluate()
        if result.status is Status.PASS:
            return Result(Status.PASS, f"Answered. Compare with {self.label}.solution().")
        return result


class QuestionSet:
    """The questions of one exercise notebook, in order (``q1``, ``q2``, ...).

    Parameters
    ----------
    notebook : str
        Stem of the notebook in ``solutions/`` (e.g. ``"00_warmup"``); its solution code is read
        from the package data that ``python -m prodml_workshop.exercises build`` writes.
    questions : list of Question subclasses
        The question classes, in the notebook's order.
    """

    def __init__(self, notebook: str, questions: Sequence[type[Question]]) -> None:
        self.notebook = notebook
        self.questions = list(questions)

    def bind(self, namespace: dict) -> list[Question]:
        """Bind the questions to a notebook's namespace.

        Also defines the blank ``____`` in the namespace, so exercise cells run as they are.

        Parameters
        ----------
        namespace : dict
            The notebook's ``globals()``.

        Returns
        -------
        list of Question
            ``q1, q2, ...`` in order.
        """
        namespace.setdefault("____", PLACEHOLDER)
        solutions = _load_solutions(self.notebook)
        bound = []
        for i, cls in enumerate(self.questions, start=1):
            label = f"q{i}"
            question = cls(namespace, label, solutions.get(label, ""))
            _BOUND[label] = question
            bound.append(question)
        return bound


def report() -> list[dict[str, str]]:
    """Evaluate every question bound in this interpreter, for the grader.

    Returns
    -------
    list of dict
        One ``{"question", "status", "message"}`` per question, in label order.
    """
    rows = []
    for label, question in sorted(_BOUND.items(), key=lambda kv: int(kv[0][1:])):
        result = question.evaluate()
        rows.append({"question": label, "status": result.status.value, "message": result.message})
    return rows


def _load_solutions(notebook: str) -> dict[str, str]:
    path = resources.files("prodml_workshop.exercises") / "solutions" / f"{notebook}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame {value.shape[0]}x{value.shape[1]}>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_COLORS = {Status.PASS: "#2e7d32", Status.FAIL: "#c62828", Status.NOT_ATTEMPTED: "#1565c0"}


def _show(result: Result, label: str) -> None:
    _show_text(f"{label}: {result.message}", _COLORS[result.status])


def _display(text: str, rich: str, mime: str = "text/html") -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the course
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display({"text/plain": text, mime: rich}, raw=True)
    else:
        print(text)


def _show_text(text: str, color: str) -> None:
    rich = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    _display(text, f'<p style="color:{color};font-weight:bold">{rich}</p>')


def _show_code(title: str, code: str) -> None:
    _display(f"{title}:\n{code}", f"**{title}:**\n```python\n{code}\n```", "text/markdown")
