"""Exercise questions that check behaviour: values, a function's outputs on fresh inputs, files.

A question reads the names the student defined in the notebook, checks what they *do* (never
their source text) and displays Correct, Incorrect (with the reason), Not attempted yet, or, for
a written answer, Recorded (for review against the model answer). ``check()`` never raises into
the notebook, so an exercise notebook with blanks still runs top to bottom.

Every check is contained (see :mod:`.containment`): it stops after a time limit, a
``sys.exit()`` or ``KeyboardInterrupt`` in the student's code becomes a verdict, and servers it
left running are stopped. A function's inputs are deep-copied before the student's code sees
them; the reference is computed on the checker's own copy, and an answer that changes its input
in place is incorrect. Comparisons are type-true (see :mod:`.comparisons`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any, ClassVar

from prodml_workshop.exercises.answers import (
    PLACEHOLDER,
    call_answer,
    pristine_copy,
    short_repr,
)
from prodml_workshop.exercises.comparisons import (
    Incorrect,
    NotAttempted,
    assert_close,
    assert_type,
)
from prodml_workshop.exercises.containment import (
    DEFAULT_TIME_LIMIT,
    CheckTimeout,
    child_pids,
    stop_new_servers,
    time_limit,
)
from prodml_workshop.exercises.display import show_code, show_text
from prodml_workshop.exercises.verdicts import (
    GRADE_LOG_ENV,
    MESSAGE_LIMIT,
    Result,
    Status,
    clip,
    record,
    record_bound,
    show,
)

__all__ = [
    "BOUND_KEY",
    "GRADE_LOG_ENV",
    "MESSAGE_LIMIT",
    "PLACEHOLDER",
    "TIME_LIMIT_ENV",
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
    "assert_type",
    "call_answer",
    "report",
]

BOUND_KEY = "_prodml_questions"  # where bind() keeps a notebook's questions, in its globals
TIME_LIMIT_ENV = "PRODML_CHECK_TIME_LIMIT"  # seconds; overrides DEFAULT_TIME_LIMIT


class Question:
    """One exercise question bound to a notebook's namespace.

    Subclasses name the notebook variables they read in ``variables``, give ``hints`` and
    implement ``_check(**values)``, raising :class:`Incorrect` or :class:`NotAttempted`. A
    check that calls a student's function should do it with :func:`call_answer`. A check runs
    for at most ``time_limit`` seconds (``None``: ``$PRODML_CHECK_TIME_LIMIT`` or
    ``DEFAULT_TIME_LIMIT``, 60 s).

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
    time_limit: ClassVar[float | None] = None

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

    def seconds_allowed(self) -> float:
        """The time limit of this question's check, in seconds."""
        if self.time_limit is not None:
            return self.time_limit
        return float(os.environ.get(TIME_LIMIT_ENV) or DEFAULT_TIME_LIMIT)

    def _verdict(self) -> Result:
        seconds = self.seconds_allowed()
        try:
            with time_limit(seconds):
                self._check(**self._values())
        except NotAttempted as err:
            return Result(Status.NOT_ATTEMPTED, f"Not attempted yet: {err}")
        except Incorrect as err:
            return Result(Status.FAIL, f"Incorrect: {err}")
        except CheckTimeout as err:
            return Result(
                Status.FAIL,
                f"Incorrect: the check {err}: does your code wait for something that never "
                "comes, or loop forever?",
            )
        except SystemExit:
            return Result(
                Status.FAIL,
                "Incorrect: your code called sys.exit() (or exit()): return a value or raise "
                "an error instead of ending the program.",
            )
        except KeyboardInterrupt:
            return Result(Status.FAIL, "Incorrect: the check was interrupted before it finished.")
        except Exception as err:  # a student's answer may raise anything
            return Result(Status.FAIL, f"Incorrect: checking it raised {type(err).__name__}: {err}")
        return Result(Status.PASS, "Correct!")

    def evaluate(self) -> Result:
        """Check the current answer without displaying anything; never raises.

        Returns
        -------
        Result
            ``pass`` with a confirmation, ``fail`` with what is wrong, ``not attempted``, or
            (written answers) ``review``. Messages are at most ``MESSAGE_LIMIT`` characters.
        """
        before = child_pids()
        try:
            result = self._verdict()
        except BaseException as err:  # e.g. a second interrupt while the check unwinds
            result = Result(Status.FAIL, f"Incorrect: the check stopped: {type(err).__name__}")
        finally:
            stop_new_servers(before)
        return Result(result.status, clip(result.message), result.answer, result.graded)

    def check(self) -> None:
        """Check the answer and display the verdict; never raises.

        Under the grader (``$PRODML_GRADE_LOG`` set), the verdict is also appended to the
        grader's file at once, so a later crash of the notebook cannot take it away.
        """
        result = self.evaluate()
        record(self.label, result)
        show(self.label, result)

    def hint(self) -> None:
        """Display the next hint (each call shows one more, then the last again)."""
        if not self.hints:
            show_text(f"{self.label}: no hint for this one.", "#555")
            return
        n = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown = n + 1
        show_text(f"{self.label} hint {n + 1} of {len(self.hints)}: {self.hints[n]}", "#3366aa")

    def solution(self) -> None:
        """Display the solution code."""
        show_code(f"{self.label} solution", self._solution or "(no solution recorded)")


class ValueQuestion(Question):
    """A question whose answer is one value, compared with :meth:`expected` within ``rtol``.

    Messages do not show the expected value (``reveal = False``): a wrong number is "too high"
    or "too low", a value of the wrong kind names the kind expected.
    """

    rtol: ClassVar[float] = 1e-6
    reveal: ClassVar[bool] = False

    def expected(self) -> Any:
        """Compute the reference value (from real data, not a stored number)."""
        raise NotImplementedError

    def _check(self, **values: Any) -> None:
        (name,) = self.variables
        assert_close(
            values[name], self.expected(), rtol=self.rtol, what=f"`{name}`", reveal=self.reveal
        )


class FunctionQuestion(Question):
    """A question whose answer is a function, run on cases including fresh random inputs.

    Subclasses implement :meth:`cases` (argument tuples: the edge cases that separate the
    common wrong answers, every time, then fresh random ones) and :meth:`reference`, and may
    override :meth:`compare`. For each case the reference runs on its own deep copy *before*
    the student's function, which gets another copy; a function that changes its input in
    place is incorrect unless ``allow_mutation`` is true. A function that raises
    ``NotImplementedError`` (the generated stub) counts as not attempted.
    """

    allow_mutation: ClassVar[bool] = False

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
        assert_type(func, "callable", what=f"`{name}`")
        for args in self.cases():
            shown = ", ".join(short_repr(a) for a in args)
            expected = self.reference(*pristine_copy(args))
            actual = call_answer(
                func, args, name=name, shown=shown, check_mutation=not self.allow_mutation
            )
            self.compare(actual, expected, what=f"`{name}({shown})`")


class ThoughtQuestion(Question):
    """A "think about it" question: a written answer, read by a person, never judged by code.

    An answer of at least ``min_words`` different words is recorded with the status
    ``review`` (never ``pass``) and its text, for the instructor; a shorter one, or a word
    repeated, is not attempted.
    """

    min_words: ClassVar[int] = 5

    def _check(self, **values: Any) -> None:
        (name,) = self.variables
        answer = values[name]
        words = set(re.findall(r"[^\W\d_]+", answer.lower())) if isinstance(answer, str) else ()
        if len(words) < self.min_words:
            raise NotAttempted(
                f"write your answer in `{name}` as a sentence or two "
                f"(at least {self.min_words} different words)."
            )

    def evaluate(self) -> Result:
        """Record a written answer for review; its content is for you and your instructor."""
        result = super().evaluate()
        if result.status is Status.PASS:
            (name,) = self.variables
            return Result(
                Status.REVIEW,
                f"Recorded — compare with the model answer: {self.label}.solution().",
                answer=str(self.namespace.get(name, "")).strip(),
                graded=False,
            )
        return Result(result.status, result.message, graded=False)


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
        """Bind the questions to a notebook's namespace, and keep them there.

        Also defines the blank ``____`` in the namespace, so exercise cells run as they are,
        and stores the questions under ``BOUND_KEY``, where :func:`report` finds them.

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
        bound = [
            cls(namespace, f"q{i}", solutions.get(f"q{i}", ""))
            for i, cls in enumerate(self.questions, start=1)
        ]
        namespace[BOUND_KEY] = {q.label: q for q in bound}
        record_bound([q.label for q in bound])
        return bound


def report(namespace: dict | None = None, *, skip: Iterable[str] = ()) -> list[dict[str, str]]:
    """Evaluate every question bound in a notebook's namespace, for the grader.

    Parameters
    ----------
    namespace : dict, default=None
        The notebook's ``globals()``; the IPython kernel's user namespace when ``None``.
    skip : iterable of str, default=()
        Labels not to evaluate (the grader already has their verdicts).

    Returns
    -------
    list of dict
        One ``{"question", "status", "message", "answer"}`` per question, in label order.
    """
    if namespace is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise TypeError("report() outside IPython needs the namespace: report(globals()).")
        namespace = shell.user_ns
    skipped = set(skip)
    bound = namespace.get(BOUND_KEY, {})
    rows = []
    for label, question in sorted(bound.items(), key=lambda kv: int(kv[0][1:])):
        if label not in skipped:
            rows.append({"question": label, **question.evaluate().row()})
    return rows


def _load_solutions(notebook: str) -> dict[str, str]:
    path = resources.files("prodml_workshop.exercises") / "solutions" / f"{notebook}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
