"""The grader: runs notebooks and keeps every verdict, whatever a notebook does after it.

Everything is graded once, in parallel, by one module fixture (the solutions, the exercises and
a folder of notebooks that go wrong in every way the grader must survive); the tests read its
rows. The notebook that hangs is graded beside it, with a short cell timeout. The right
notebook among the wrong ones is solutions/00_warmup, graded after them (not a copy graded twice).
"""

import csv
import dataclasses
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from prodml_workshop.exercises.core import Status
from prodml_workshop.exercises.grade import default_jobs, find_notebooks, grade
from prodml_workshop.exercises.gradebook import summarise

pytestmark = pytest.mark.notebook

# Long enough for the notebook's first cell (it imports the exercises' core) on a loaded machine.
HANG_TIMEOUT = 10
# The notebooks whose demos and checks start servers or save packages, heaviest first: graded
# first, so that the two jobs end together instead of one waiting on the last heavy notebook.
HEAVY = ("02_serving", "03_scaling", "01_packaging", "04_monitoring")
# The right notebook the wrong and broken ones must not stop: graded after them.
RIGHT_NOTEBOOK = "solutions/00_warmup.ipynb"

# Three questions defined in the notebook itself, so these tests do not depend on the course's.
QUESTIONS = """\
import time
from prodml_workshop.exercises.core import (
    FunctionQuestion, QuestionSet, ThoughtQuestion, ValueQuestion,
)

class Answer(ValueQuestion):
    variables = ("answer",)

    def expected(self):
        return 42

class Double(FunctionQuestion):
    variables = ("double",)
    time_limit = 1  # no notebook here expects a pass from it: only the slow answer needs it

    def cases(self):
        return [(1,), (-4,)]

    def reference(self, x):
        return 2 * x

class Essay(ThoughtQuestion):
    variables = ("essay",)

q1, q2, q3 = QuestionSet("demo", [Answer, Double, Essay]).bind(globals())
"""
RIGHT = {
    "q1": "answer = 42",
    "q2": "def double(x):\n    return x + x",
    "q3": 'essay = "Inputs drift away from the training data after release."',
}


def _demo(path, *cells):
    """A notebook: the questions, then each cell ("q1" stands for the right answer + check)."""
    nb = nbformat.v4.new_notebook()
    sources = [QUESTIONS]
    for cell in cells:
        sources += [RIGHT[cell], f"{cell}.check()"] if cell in RIGHT else [cell]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def _junk_before_checks(nb):
    """Give every auto-checked question a wrong answer just before its check."""
    cells = []
    for cell in nb.cells:
        label = cell.source.strip().removesuffix(".check()")
        if cell.cell_type == "code" and cell.source.strip() == f"{label}.check()":
            cells.append(
                nbformat.v4.new_code_cell(
                    f"from prodml_workshop.exercises.core import ThoughtQuestion as _T\n"
                    f"if not isinstance({label}, _T):\n"
                    f"    for _name in {label}.variables:\n"
                    f"        globals()[_name] = 12345"
                )
            )
        cells.append(cell)
    nb.cells = cells
    return nb


@pytest.fixture(scope="module")
def collected(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("collected")
    warmup = root / "solutions" / "00_warmup.ipynb"
    nbformat.write(
        _junk_before_checks(nbformat.read(warmup, as_version=4)), folder / "a_wrong.ipynb"
    )
    (folder / "b_broken.ipynb").write_text("{ this is not a notebook")
    crash = nbformat.read(warmup, as_version=4)
    crash.cells.insert(1, nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    crash.cells[2].source = "import os\nos._exit(1)\n" + crash.cells[2].source
    nbformat.write(crash, folder / "c_dead_kernel.ipynb")
    _demo(
        folder / "e_killed.ipynb",
        "q1",
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        "q2",
    )
    # exit() asks the kernel to shut down: ipykernel stops its event loop 0.1 s later, which
    # the busy loop does right after the sleep (10 times longer), before the next cell.
    _demo(folder / "f_exit.ipynb", "q1", "exit()", "time.sleep(1)", "q2", "q3")
    _demo(
        folder / "g_sys_exit.ipynb",
        "import sys\nsys.exit(1)",  # at the top level: IPython reports it and goes on
        "raise SystemExit(3)",
        "q1",
        "import sys\ndef double(x):\n    sys.exit('bye')",
        "q2.check()",
        'essay = "asdf qwer zxcv uiop hjkl"',  # nonsense: recorded for review, never a pass
        "q3.check()",
    )
    _demo(
        folder / "h_syntax.ipynb",
        "answer = (42",
        "q1.check()",
        "def double(x):\nreturn 2 * x",
        "q2.check()",
        'essay = "asdf asdf asdf asdf asdf"',  # one word repeated: not attempted
        "q3.check()",
    )
    _demo(
        folder / "i_unchecked_and_slow.ipynb",
        "answer = 42",  # never checked: the last cell of the grader asks it
        "def double(x):\n    while True:\n        time.sleep(1)",
        "q2.check()",  # stops at the question's 1 s limit
        "def boom():\n    raise ValueError('first line\\nsecond line, with a comma')\n"
        "def double(x):\n    boom()",
        "q2.check()",
    )
    hang = tmp_path_factory.mktemp("hang")
    _demo(hang / "hang.ipynb", "q1", "time.sleep(10**6)", "q2")
    return folder, hang


@pytest.fixture(scope="module")
def graded(root, collected):
    folder, hang = collected
    notebooks = [nb for nb, _ in find_notebooks([root / "solutions", root / "exercises", folder])]
    notebooks.sort(
        key=lambda nb: (
            HEAVY.index(nb.stem)
            if nb.stem in HEAVY
            else len(HEAVY) + nb.as_posix().endswith(f"/{RIGHT_NOTEBOOK}")
        )
    )
    with ThreadPoolExecutor(2) as pool:
        hanging = pool.submit(grade, [hang], timeout=HANG_TIMEOUT, jobs=1)
        rows = grade(notebooks, timeout=300)
        rows += hanging.result()
    by_nb = {}
    for r in rows:
        by_nb.setdefault(r.notebook, {})[r.question] = r
    return rows, by_nb


def _of(graded, folder_name, name=None):
    _, by_nb = graded
    return {
        nb: questions
        for nb, questions in by_nb.items()
        if nb.split("/")[-2] == folder_name and (name is None or nb.endswith(f"/{name}"))
    }


def _statuses(graded, name):
    ((questions),) = [q for nb, q in graded[1].items() if nb.endswith(f"/{name}")]
    return {label: r.status for label, r in questions.items()}


def _row(graded, name, label):
    ((questions),) = [q for nb, q in graded[1].items() if nb.endswith(f"/{name}")]
    return questions[label]


def test_solutions_all_pass(graded):
    rows = [r for questions in _of(graded, "solutions").values() for r in questions.values()]
    # Written answers are never a pass: they are recorded for review, with their text.
    assert rows and all(
        r.status is Status.PASS or (r.status is Status.REVIEW and not r.graded and r.answer)
        for r in rows
    ), [r for r in rows if r.status is not Status.PASS]
    assert any(r.status is Status.REVIEW for r in rows)


def test_exercises_are_all_not_attempted(graded):
    rows = [r for questions in _of(graded, "exercises").values() for r in questions.values()]
    assert rows and all(r.status is Status.NOT_ATTEMPTED for r in rows), [
        r for r in rows if r.status is not Status.NOT_ATTEMPTED
    ]


def test_wrong_and_broken_notebooks_do_not_stop_the_others(graded):
    assert _statuses(graded, "a_wrong.ipynb") == {
        "q1": Status.FAIL,
        "q2": Status.FAIL,
        "q3": Status.FAIL,
        "q4": Status.REVIEW,
    }
    assert _statuses(graded, "b_broken.ipynb") == {"(notebook)": Status.FAIL}
    assert _statuses(graded, "c_dead_kernel.ipynb") == {f"q{i}": Status.FAIL for i in range(1, 5)}
    assert set(_statuses(graded, RIGHT_NOTEBOOK).values()) == {Status.PASS, Status.REVIEW}


def test_a_dead_kernel_keeps_the_verdicts_it_gave(graded):
    assert _statuses(graded, "e_killed.ipynb") == {
        "q1": Status.PASS,
        "q2": Status.FAIL,
        "q3": Status.FAIL,
    }
    assert "the kernel died in cell 4" in _row(graded, "e_killed.ipynb", "q2").message
    assert "the kernel died in cell 3" in _row(graded, "c_dead_kernel.ipynb", "q1").message


def test_exit_keeps_the_verdicts_before_it(graded):
    assert _statuses(graded, "f_exit.ipynb") == {
        "q1": Status.PASS,
        "q2": Status.FAIL,
        "q3": Status.FAIL,
    }
    assert "not checked: the kernel died in cell" in _row(graded, "f_exit.ipynb", "q3").message


def test_sys_exit_in_a_cell_or_an_answer_is_contained(graded):
    assert _statuses(graded, "g_sys_exit.ipynb") == {
        "q1": Status.PASS,
        "q2": Status.FAIL,
        "q3": Status.REVIEW,
    }
    assert "called sys.exit()" in _row(graded, "g_sys_exit.ipynb", "q2").message
    essay = _row(graded, "g_sys_exit.ipynb", "q3")
    assert essay.answer == "asdf qwer zxcv uiop hjkl" and not essay.graded


def test_a_syntax_error_in_an_answer_fails_its_question(graded):
    assert _statuses(graded, "h_syntax.ipynb") == {
        "q1": Status.FAIL,
        "q2": Status.FAIL,
        "q3": Status.NOT_ATTEMPTED,
    }
    for label in ("q1", "q2"):
        assert "syntax error in your answer" in _row(graded, "h_syntax.ipynb", label).message


def test_unchecked_questions_are_asked_at_the_end_and_slow_checks_stop(graded):
    assert _statuses(graded, "i_unchecked_and_slow.ipynb") == {
        "q1": Status.PASS,  # never checked in the notebook: asked by the grader's last cell
        "q2": Status.FAIL,
        "q3": Status.NOT_ATTEMPTED,
    }
    assert "ValueError: first line second line" in (
        _row(graded, "i_unchecked_and_slow.ipynb", "q2").message
    )


def test_a_hanging_cell_fails_only_the_questions_after_it(graded):
    assert _statuses(graded, "hang.ipynb") == {
        "q1": Status.PASS,
        "q2": Status.FAIL,
        "q3": Status.FAIL,
    }
    assert (
        f"cell 4 did not finish within {HANG_TIMEOUT} s" in _row(graded, "hang.ipynb", "q2").message
    )


def test_the_summary_counts_points_per_student_and_notebook(graded, collected):
    rows, _ = graded
    student = collected[0].name
    # The collected folder's rows, and the right notebook's as if it were in that folder.
    right = [
        dataclasses.replace(r, student=student)
        for r in rows
        if r.notebook.endswith(f"/{RIGHT_NOTEBOOK}")
    ]
    header, lines = summarise([r for r in rows if "/collected" in r.notebook] + right)
    assert header[0] == "student" and header[-3:] == ["points", "out_of", "to_review"]
    ((line,),) = [lines]
    summary = dict(zip(header, line, strict=True))
    assert summary["00_warmup"] == 3 and summary["e_killed"] == 1 and summary["to_review"] == 3


def test_default_jobs_fits_the_machine():
    assert 1 <= default_jobs() <= 64
    assert default_jobs(peak_mb=10**9) == 1  # never less than one


def test_cli_prints_a_table_and_writes_the_csvs(root, tmp_path):
    # i_unchecked_and_slow without its slow check: an unchecked question and a message with a
    # newline and a comma.
    folder = tmp_path / "ana"
    folder.mkdir()
    _demo(
        folder / "j_unchecked.ipynb",
        "answer = 42",
        "def boom():\n    raise ValueError('first line\\nsecond line, with a comma')\n"
        "def double(x):\n    boom()",
        "q2.check()",
    )
    out = tmp_path / "grades.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "prodml_workshop.exercises",
            "grade",
            "exercises/00_warmup.ipynb",
            str(folder / "j_unchecked.ipynb"),
            "--csv",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "not attempted" in proc.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["notebook", "question", "status", "message", "answer"]
    warmup = [(r["question"], r["status"]) for r in rows if r["notebook"].startswith("exercises")]
    assert warmup == [(f"q{i}", "not attempted") for i in range(1, 5)]
    assert len(rows) == 4 + 3  # a message with a newline and a comma does not break the table
    assert any("second line, with a comma" in r["message"] for r in rows)
    with open(out.with_name("grades_summary.csv"), newline="") as f:
        summary = list(csv.DictReader(f))
    assert {s["student"] for s in summary} == {"exercises", folder.name}
