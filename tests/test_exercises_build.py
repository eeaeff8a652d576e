"""The build of exercises/ from solutions/: stubs, solution data, and that it is up to date."""

import json

import nbformat
import pytest

from prodml_workshop.exercises.build import BuildError, build, question_of_cell, split_solutions


def test_top_level_block_becomes_one_blank_per_assigned_name():
    source = "x = 1\n# BEGIN SOLUTION\na = 2\nb, c = 3, 4\nprint(a)\na = 5\n# END SOLUTION\ny = 6"
    exercise, blocks = split_solutions(source)
    assert exercise == "x = 1\n# your code here\na = ____\nb, c = ____, ____\ny = 6"
    assert blocks == ["a = 2\nb, c = 3, 4\nprint(a)\na = 5"]


def test_indented_block_becomes_not_implemented():
    source = "def f(x):\n    '''Doc.'''\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION"
    exercise, blocks = split_solutions(source)
    assert exercise.endswith('    raise NotImplementedError("your code here")')
    assert "return x" not in exercise
    assert blocks == ["return x"]
    namespace = {}
    exec(exercise, namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize(
    "source",
    ["# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION", "# BEGIN SOLUTION\n# BEGIN SOLUTION"],
)
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(BuildError):
        split_solutions(source)


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def test_build_maps_blocks_to_the_next_check_and_strips_outputs(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    _notebook(
        solutions / "07_demo.ipynb",
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION",
        "q1.check()",
        "# BEGIN SOLUTION\ny = 2\n# END SOLUTION\nq2.check()",
    )
    build(solutions, tmp_path / "exercises", tmp_path / "data")
    assert json.loads((tmp_path / "data" / "07_demo.json").read_text()) == {
        "q1": "x = 1",
        "q2": "y = 2",
    }
    nb = nbformat.read(tmp_path / "exercises" / "07_demo.ipynb", as_version=4)
    assert nb.cells[0].source == "# your code here\nx = ____"


def test_a_block_without_a_following_check_is_refused(tmp_path):
    _notebook(tmp_path / "bad.ipynb", "q1.check()", "# BEGIN SOLUTION\nx = 1\n# END SOLUTION")
    with pytest.raises(BuildError, match=r"not followed by any qN\.check"):
        build(tmp_path, tmp_path / "ex", tmp_path / "data")


def test_exercises_folder_is_up_to_date_with_solutions(root, tmp_path):
    build(root / "solutions", tmp_path / "exercises", tmp_path / "data")
    built = sorted(p.name for p in (tmp_path / "exercises").iterdir())
    assert built == sorted(p.name for p in (root / "exercises").glob("*.ipynb")), (
        "exercises/ does not hold one notebook per solution: run "
        "`python -m prodml_workshop.exercises build`"
    )
    stale = [
        name
        for name in built
        if (tmp_path / "exercises" / name).read_text() != (root / "exercises" / name).read_text()
    ]
    data = root / "prodml_workshop" / "exercises" / "solutions"
    stale += [
        p.name
        for p in (tmp_path / "data").iterdir()
        if not (data / p.name).exists() or p.read_text() != (data / p.name).read_text()
    ]
    assert not stale, f"out of date with solutions/: {stale}; run the build and commit"


def test_exercise_notebooks_are_stored_without_outputs(root):
    for folder in ("notebooks", "solutions", "exercises"):
        for path in (root / folder).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            dirty = [
                c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)
            ]
            assert not dirty, f"{path} is stored with outputs"


def test_a_cell_belongs_to_the_next_check_as_the_grader_reads_it():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("q9.check() in prose does not count"),
        nbformat.v4.new_code_cell("x = (1"),
        nbformat.v4.new_code_cell("q1.check()\nq2.check()"),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    assert [question_of_cell(nb, i) for i in range(4)] == ["q1", "q1", "q1", None]
