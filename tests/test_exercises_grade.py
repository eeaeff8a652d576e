"""The grader: executes notebooks and reports pass / fail / not attempted per question."""

import csv
import shutil
import subprocess
import sys

import nbformat
import pytest

from prodml_workshop.exercises.core import Status
from prodml_workshop.exercises.grade import grade

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def wrong_and_broken(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("collected")
    nb = nbformat.read(root / "solutions" / "00_warmup.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("any(axis=1)", "all(axis=1)")  # a wrong q1
        cell.source = cell.source.replace(
            'json.loads(df.to_json(orient="records"))', 'df.to_dict("records")'
        )  # a wrong q2 (keeps NaN)
    nbformat.write(nb, folder / "a_wrong.ipynb")
    (folder / "b_broken.ipynb").write_text("{ this is not a notebook")
    crash = nbformat.read(root / "solutions" / "00_warmup.ipynb", as_version=4)
    crash.cells.insert(1, nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    crash.cells[2].source = "import os\nos._exit(1)\n" + crash.cells[2].source
    nbformat.write(crash, folder / "c_dead_kernel.ipynb")
    shutil.copy(root / "solutions" / "00_warmup.ipynb", folder / "d_right.ipynb")
    return folder


def test_solutions_all_pass(root):
    rows = grade([root / "solutions"])
    assert rows and all(r.status is Status.PASS for r in rows), rows


def test_exercises_are_all_not_attempted(root):
    rows = grade([root / "exercises"])
    assert rows and all(r.status is Status.NOT_ATTEMPTED for r in rows), rows


def test_wrong_and_broken_notebooks_do_not_stop_the_others(wrong_and_broken):
    rows = grade([wrong_and_broken], timeout=120)
    by_nb = {}
    for r in rows:
        by_nb.setdefault(r.notebook.rsplit("/", 1)[-1], {})[r.question] = r.status
    assert by_nb["a_wrong.ipynb"] == {
        "q1": Status.FAIL,
        "q2": Status.FAIL,
        "q3": Status.FAIL,
        "q4": Status.PASS,
    }
    assert by_nb["b_broken.ipynb"] == {"(notebook)": Status.FAIL}
    assert by_nb["c_dead_kernel.ipynb"] == {f"q{i}": Status.FAIL for i in range(1, 5)}
    assert set(by_nb["d_right.ipynb"].values()) == {Status.PASS}


def test_cli_prints_a_table_and_writes_the_csv(root, tmp_path):
    out = tmp_path / "grades.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "prodml_workshop.exercises",
            "grade",
            "exercises/00_warmup.ipynb",
            "--csv",
            str(out),
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
    assert list(rows[0]) == ["notebook", "question", "status"]
    assert [(r["question"], r["status"]) for r in rows] == [
        (f"q{i}", "not attempted") for i in range(1, 5)
    ]
