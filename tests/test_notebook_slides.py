"""The lecture notebooks present as RISE slides; the tool that sets their slide metadata."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from prodml_workshop.props.monitoring.explorer import SLIDERS_ELSEWHERE, drift_explorer
from prodml_workshop.slides import SLIDE_TYPES, add_slide_metadata, slide_types

LECTURES = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_session_has_a_lecture_notebook():
    assert [path.name[:2] for path in LECTURES] == ["00", "01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", LECTURES, ids=lambda path: path.stem)
def test_lecture_notebook_has_slide_metadata_and_starts_with_a_slide(path):
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    # a slide taller than the screen (the imports under a title) scrolls instead of being cut
    assert notebook.metadata.get("rise", {}).get("scroll") is True, f"{path.name}: rise.scroll"
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in cells]
    assert kinds[0] == "slide", f"{path.name}: the first cell must start a slide"
    assert set(kinds) - {None} <= set(SLIDE_TYPES), f"{path.name}: unknown slide types"
    assert kinds.count("slide") >= 2, f"{path.name}: run python -m prodml_workshop.slides on it"
    for cell, kind in zip(cells, kinds, strict=True):
        if cell.cell_type == "markdown" and re.match(r"#{1,2}\s", cell.source.lstrip()):
            heading = cell.source.lstrip().splitlines()[0]
            assert kind == "slide", f"{path.name}: {heading!r} does not start a slide"


def test_headings_make_slides_and_subslides_text_after_a_result_is_a_fragment():
    cells = [
        new_code_cell("import numpy as np"),  # a notebook that opens with code
        new_markdown_cell("\n## Regression on numpy input\nWe fit a ridge."),
        new_code_cell("ridge.fit(X, y)"),
        new_markdown_cell("The fit took 3 ms."),
        new_markdown_cell("More about it."),
        new_markdown_cell("### Multi-class\nThree labels."),
        new_markdown_cell("#### A detail, not a slide"),
        new_markdown_cell("#No space: not a heading"),
    ]
    assert slide_types(cells) == ["slide", "slide", "-", "fragment", "-", "subslide", "-", "-"]


def test_a_long_slide_continues_on_a_subslide():
    long_code = new_code_cell("\n".join(f"x{i} = {i}" for i in range(30)))
    cells = [new_markdown_cell("# Title"), long_code, new_markdown_cell("What x29 shows.")]
    assert slide_types(cells)[-1] == "subslide"


def test_sources_as_lists_of_lines_are_read_too():
    cells = [{"cell_type": "markdown", "source": ["Intro\n"]}]
    cells += [{"cell_type": "markdown", "source": ["## Column names with spaces\n", "text"]}]
    assert slide_types(cells) == ["slide", "slide"]


def test_add_slide_metadata_keeps_everything_else_and_is_idempotent(tmp_path):
    code = new_code_cell("print('tree ensemble')", execution_count=3)
    code.metadata["tags"] = ["raises-exception"]
    code.outputs = [new_output("stream", name="stdout", text="tree ensemble\n")]
    notebook = new_notebook(cells=[new_markdown_cell("# Ensembles"), code])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "ensembles.ipynb"
    nbformat.write(notebook, path)

    assert add_slide_metadata(path) == 2
    after = json.loads(path.read_text())
    assert after["metadata"]["kernelspec"]["name"] == "python3"
    assert after["metadata"]["rise"] == {"scroll": True}
    assert after["cells"][1]["metadata"] == {
        "tags": ["raises-exception"],
        "slideshow": {"slide_type": "-"},
    }
    assert "".join(after["cells"][1]["outputs"][0]["text"]) == "tree ensemble\n"
    assert after["cells"][1]["execution_count"] == 3
    assert [cell["id"] for cell in after["cells"]] == [cell.id for cell in notebook.cells]

    written = path.stat().st_mtime_ns
    assert add_slide_metadata(path) == 0
    assert path.stat().st_mtime_ns == written  # nothing to change: the file is not rewritten


def test_add_slide_metadata_names_a_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No notebook at .*missing\.ipynb: check the path"):
        add_slide_metadata(tmp_path / "missing.ipynb")


def test_command_line_sets_the_metadata(tmp_path):
    path = tmp_path / "regression.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("x"), new_markdown_cell("## y")]), path)
    out = subprocess.run(
        [sys.executable, "-m", "prodml_workshop.slides", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"{path}: 2 cells changed\n"
    cells = nbformat.read(path, as_version=4).cells
    assert [cell.metadata.slideshow.slide_type for cell in cells] == ["slide", "slide"]


def test_drift_explorer_tells_the_slides_where_its_sliders_work():
    # RISE 0.43.1's slides cannot load the widget manager: they render the text/html instead
    bundle = drift_explorer()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # JupyterLab: the sliders
    assert bundle["text/html"] == SLIDERS_ELSEWHERE
    assert "JupyterLab's notebook view" in SLIDERS_ELSEWHERE
