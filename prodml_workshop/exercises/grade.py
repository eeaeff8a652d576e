"""Grade collected exercise notebooks: run each one, keeping every verdict as soon as it is given.

Every notebook runs in its own kernel, in a temporary folder, cell by cell, with errors allowed,
and up to ``jobs`` notebooks at a time. Each ``qN.check()`` appends its verdict to a file the
grader gives the kernel (``$PRODML_GRADE_LOG``), so what happens later — a cell that hangs past
``timeout``, ``sys.exit()``, ``os._exit()``, a crash or a kernel out of memory — costs only the
questions not checked yet, which fail with the reason. When the notebook runs to its end, a last
cell asks the questions that were never checked. A syntax error in an answer cell fails the
question it answers ("syntax error in your answer"), which would otherwise look not attempted.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from prodml_workshop.exercises.build import CHECK_CALL, question_of_cell
from prodml_workshop.exercises.core import TIME_LIMIT_ENV
from prodml_workshop.exercises.gradebook import (
    GradeRow,
    format_table,
    summary_path,
    write_csv,
    write_summary,
)
from prodml_workshop.exercises.verdicts import GRADE_LOG_ENV, Status, clip

__all__ = [
    "NOTEBOOK_PEAK_MB",
    "GradeRow",
    "default_jobs",
    "find_notebooks",
    "format_table",
    "grade",
    "grade_notebook",
    "summary_path",
    "write_csv",
    "write_summary",
]

# Peak memory of one notebook being graded, its kernel and the servers its checks start:
# solutions/02_serving, the largest, peaked at 1175 MB (00_warmup 140 MB, 01_packaging 490 MB).
NOTEBOOK_PEAK_MB = 1200

_MARK = "PRODML_GRADE_REPORT:"
_SYNTAX = {"SyntaxError", "IndentationError", "TabError"}


def default_jobs(peak_mb: float = NOTEBOOK_PEAK_MB) -> int:
    """How many notebooks to grade at a time: one per core, as far as free memory allows.

    Examples
    --------
    >>> 1 <= default_jobs() <= (os.cpu_count() or 1)
    True
    """
    available_mb = psutil.virtual_memory().available / 2**20
    return max(1, min(os.cpu_count() or 1, int(available_mb // peak_mb)))


def _label_key(label: str) -> tuple[int, str]:
    return (int(label[1:]), label) if label[1:].isdigit() else (-1, label)


def _syntax_errors(nb: nbformat.NotebookNode, ran: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    for index, cell in enumerate(nb.cells[:ran]):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error" and output.get("ename") in _SYNTAX:
                label = question_of_cell(nb, index)
                if label and label not in errors:
                    errors[label] = clip(
                        f"Incorrect: syntax error in your answer (cell {index + 1}): "
                        f"{output['ename']}: {output.get('evalue', '')}"
                    )
    return errors


def _read_verdicts(log: Path) -> tuple[dict[str, dict], set[str]]:
    """The last verdict of each question checked, and the labels of the questions bound."""
    verdicts: dict[str, dict] = {}
    bound: set[str] = set()
    try:
        lines = log.read_text().splitlines()
    except FileNotFoundError:
        return verdicts, bound
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a dying kernel
            continue
        if "bound" in row:
            bound.update(row["bound"])
        else:
            verdicts[row["question"]] = row  # the last check of a question counts
    return verdicts, bound


def _report_cell(skip: Iterable[str]) -> nbformat.NotebookNode:
    source = (
        "import json as _json\n"
        "from prodml_workshop.exercises.core import report as _report\n"
        f"print({_MARK!r} + _json.dumps(_report(globals(), skip={sorted(skip)!r})))"
    )
    return nbformat.v4.new_code_cell(source)


def _run(
    nb: nbformat.NotebookNode, workdir: str, log: Path, timeout: int, env: dict[str, str]
) -> tuple[str, int, list[dict] | None]:
    """Run the notebook cell by cell; return why it stopped, how far it got, the last report."""
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": workdir}},
    )
    stop, ran, final = "", 0, None
    try:
        # The kernel's own stderr holds only its start-up warnings; students' output, errors
        # included, comes through the notebook's outputs.
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            for index, cell in enumerate(list(nb.cells)):
                where = f"cell {index + 1}"
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    stop = f"{where} did not finish within {timeout} s; the notebook stopped there"
                except DeadKernelError:
                    stop = (
                        f"the kernel died in {where} (sys.exit/exit(), os._exit, a crash or out "
                        "of memory); the notebook stopped there"
                    )
                ran = index + 1
                if stop:
                    return stop, ran, final
            nb.cells.append(_report_cell(_read_verdicts(log)[0]))
            client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
            final = _parse_report(nb.cells.pop())
    except (CellTimeoutError, DeadKernelError) as err:
        stop = f"asking the unchecked questions failed: {type(err).__name__}"
    except Exception as err:  # the kernel did not start, or nbclient failed
        stop = f"the notebook could not run: {type(err).__name__}: {err}"
    return stop, ran, final


def _parse_report(cell: nbformat.NotebookNode) -> list[dict] | None:
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        if output.get("output_type") == "stream" and _MARK in text:
            return json.loads(text.split(_MARK, 1)[1].splitlines()[0])
    return None


def grade_notebook(
    path: Path | str,
    *,
    timeout: int = 600,
    check_time_limit: float | None = None,
    student: str = "",
) -> list[GradeRow]:
    """Execute one notebook and return the status of each of its questions.

    Parameters
    ----------
    path : path-like
        The notebook to grade.
    timeout : int, default=600
        Seconds allowed for one cell; a cell still running then stops the notebook.
    check_time_limit : float, default=None
        Seconds allowed for one check (``$PRODML_CHECK_TIME_LIMIT`` in the kernel); the
        questions' own limits (60 s by default) when ``None``.
    student : str, default=""
        Whose notebook it is, for the summary.

    Returns
    -------
    list of GradeRow
        One row per question, in label order. A notebook that cannot be read gives one
        ``fail`` row for the question ``"(notebook)"``; questions not checked when the notebook
        stopped fail with the reason.
    """
    path = Path(path)
    name = path.as_posix()

    def row(label: str, status: Status, message: str, answer: str = "", graded=True) -> GradeRow:
        return GradeRow(name, label, status, message, answer, student, graded)

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:
        return [row("(notebook)", Status.FAIL, clip(f"cannot read the notebook: {err}"))]
    with (
        tempfile.TemporaryDirectory(prefix="prodml-grade-") as workdir,
        tempfile.TemporaryDirectory(prefix="prodml-verdicts-") as logdir,
    ):
        log = Path(logdir) / "verdicts.jsonl"
        env = {**os.environ, GRADE_LOG_ENV: str(log)}
        if check_time_limit is not None:
            env[TIME_LIMIT_ENV] = str(check_time_limit)
        stop, ran, final = _run(nb, workdir, log, timeout, env)
        checked, bound = _read_verdicts(log)
        verdicts = {**{r["question"]: r for r in final or []}, **checked}
    syntax = _syntax_errors(nb, ran)
    labels = (
        set(verdicts)
        | bound
        | {q for c in nb.cells if c.cell_type == "code" for q in CHECK_CALL.findall(c.source)}
    )
    if final is None and not stop:
        stop = "the grader could not read the notebook's report"
    never = stop or "the questions were never bound: did the cell with `bind(globals())` fail?"
    rows = []
    for label in sorted(labels, key=_label_key):
        found = verdicts.get(label)
        if label in syntax and (found is None or found["status"] == Status.NOT_ATTEMPTED):
            rows.append(row(label, Status.FAIL, syntax[label]))
        elif found is None:
            rows.append(row(label, Status.FAIL, f"not checked: {never}"))
        else:
            rows.append(
                row(
                    label,
                    Status(found["status"]),
                    found["message"],
                    found.get("answer", ""),
                    found.get("graded", True),
                )
            )
    return rows or [row("(notebook)", Status.FAIL, f"no question was found: {never}")]


def find_notebooks(paths: Iterable[Path | str]) -> list[tuple[Path, str]]:
    """The notebooks to grade and whose they are.

    A folder is searched recursively (``.ipynb_checkpoints`` left out); a notebook belongs to
    the folder that holds it (``class/ana/00_warmup.ipynb`` is ana's).

    Examples
    --------
    >>> find_notebooks(["class/ana/00_warmup.ipynb"])
    [(PosixPath('class/ana/00_warmup.ipynb'), 'ana')]
    """
    found = []
    for p in map(Path, paths):
        notebooks = (
            sorted(n for n in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in n.parts)
            if p.is_dir()
            else [p]
        )
        found += [(n, n.parent.name or n.parent.resolve().name) for n in notebooks]
    return found


def grade(
    paths: Iterable[Path | str],
    *,
    timeout: int = 600,
    jobs: int | None = None,
    check_time_limit: float | None = None,
    progress: Callable[[Path, list[GradeRow]], None] | None = None,
) -> list[GradeRow]:
    """Grade notebooks and folders of notebooks, ``jobs`` notebooks at a time.

    Parameters
    ----------
    paths : iterable of path-like
        Notebooks, or folders searched recursively for ``*.ipynb`` (one folder per student).
    timeout : int, default=600
        Seconds allowed for one cell.
    jobs : int, default=None
        Notebooks run at a time; :func:`default_jobs` when ``None``.
    check_time_limit : float, default=None
        Seconds allowed for one check; see :func:`grade_notebook`.
    progress : callable, default=None
        Called with each notebook and its rows as soon as it is graded.

    Returns
    -------
    list of GradeRow
        The rows of every notebook, in the order of ``paths`` (folders in name order).
    """
    notebooks = find_notebooks(paths)

    def one(item: tuple[Path, str]) -> list[GradeRow]:
        rows = grade_notebook(
            item[0], timeout=timeout, check_time_limit=check_time_limit, student=item[1]
        )
        if progress is not None:
            progress(item[0], rows)
        return rows

    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        return [row for rows in pool.map(one, notebooks) for row in rows]
