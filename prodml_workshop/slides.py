"""Present the lecture notebooks as slides: RISE's ``slideshow`` metadata, set from the headings.

RISE (``jupyterlab-rise``: Alt+R, or the toolbar's slideshow button) reads each cell's
``metadata.slideshow.slide_type``. :func:`slide_types` decides it from the notebook's own
structure, so the slides follow the text:

- a markdown cell that opens with a ``#`` or ``##`` heading starts a slide, and so does the
  first cell;
- one that opens with a ``###`` heading starts a subslide (below its slide: the down arrow);
- a markdown cell right after a code cell is the text about that result: a fragment (it appears
  on the next key press), or a new subslide once the slide already holds
  :data:`LINES_PER_SLIDE` lines;
- every other cell continues the slide it is on (``"-"``).

:func:`add_slide_metadata` writes the result into a notebook (read, modify, write in one step;
everything else in the file is kept) and turns on RISE's scrolling for slides taller than the
screen. From a shell::

    python -m prodml_workshop.slides notebooks/0*.ipynb

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_markdown_cell
>>> cells = [
...     new_markdown_cell("# Serving\\nWhat we build today."),
...     new_code_cell("model = load()"),
...     new_markdown_cell("The model answers in 2 ms."),
...     new_markdown_cell("## Calling it over HTTP"),
...     new_markdown_cell("### The contract"),
... ]
>>> slide_types(cells)
['slide', '-', 'fragment', 'slide', 'subslide']
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["LINES_PER_SLIDE", "SLIDE_TYPES", "add_slide_metadata", "main", "slide_types"]

#: The slide types RISE knows.
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")

#: Source lines (a code cell counts :data:`_OUTPUT_LINES` more, for its output) after which the
#: text that follows a result starts a subslide instead of a fragment.
LINES_PER_SLIDE = 24
_OUTPUT_LINES = 6

_SLIDE_HEADING = re.compile(r"#{1,2}\s")
_SUBSLIDE_HEADING = re.compile(r"###\s")


def _first_line(cell: Mapping[str, Any]) -> str:
    source = cell["source"]
    text = source if isinstance(source, str) else "".join(source)
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _lines(cell: Mapping[str, Any]) -> int:
    source = cell["source"]
    text = source if isinstance(source, str) else "".join(source)
    extra = _OUTPUT_LINES if cell["cell_type"] == "code" else 0
    return len(text.splitlines()) + extra


def slide_types(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return each cell's RISE slide type, decided by the notebook's headings.

    Parameters
    ----------
    cells : sequence of notebook cells
        ``nbformat`` cells, or dicts with ``cell_type`` and ``source``.

    Returns
    -------
    list of str
        One of :data:`SLIDE_TYPES` per cell; the first is ``"slide"``.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell
    >>> slide_types([new_code_cell("x = 1"), new_markdown_cell("## Next")])
    ['slide', 'slide']
    """
    types: list[str] = []
    lines = 0
    for i, cell in enumerate(cells):
        first = _first_line(cell) if cell["cell_type"] == "markdown" else ""
        after_code = i > 0 and cells[i - 1]["cell_type"] == "code"
        if i == 0 or _SLIDE_HEADING.match(first):
            kind = "slide"
        elif _SUBSLIDE_HEADING.match(first):
            kind = "subslide"
        elif cell["cell_type"] == "markdown" and after_code:
            kind = "subslide" if lines >= LINES_PER_SLIDE else "fragment"
        else:
            kind = "-"
        if kind in ("slide", "subslide"):
            lines = 0
        lines += _lines(cell)
        types.append(kind)
    return types


def add_slide_metadata(path: str | Path) -> int:
    """Set every cell's ``metadata.slideshow.slide_type`` from :func:`slide_types`, in place.

    The notebook is read and written back in one step, keeping everything else (other metadata,
    sources, outputs). Its metadata gets ``rise.scroll = true``: a slide taller than the screen
    scrolls instead of being cut off.

    Parameters
    ----------
    path : str or Path
        The notebook (``.ipynb``).

    Returns
    -------
    int
        How many cells changed (0: the file was not rewritten, unless ``rise.scroll`` was
        missing).

    Raises
    ------
    FileNotFoundError
        If there is no such notebook: check the path.

    Examples
    --------
    >>> import tempfile
    >>> from nbformat.v4 import new_markdown_cell, new_notebook
    >>> path = Path(tempfile.mkdtemp()) / "lecture.ipynb"
    >>> nbformat.write(new_notebook(cells=[new_markdown_cell("# Title")]), path)
    >>> add_slide_metadata(path), add_slide_metadata(path)
    (1, 0)
    >>> nbformat.read(path, as_version=4).cells[0].metadata
    {'slideshow': {'slide_type': 'slide'}}
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No notebook at {path}: check the path (a .ipynb file).")
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    changed = 0
    for cell, kind in zip(notebook.cells, slide_types(notebook.cells), strict=True):
        slideshow = cell.metadata.setdefault("slideshow", {})
        if slideshow.get("slide_type") != kind:
            slideshow["slide_type"] = kind
            changed += 1
    rise = notebook.metadata.setdefault("rise", {})
    if changed or rise.get("scroll") is not True:
        rise["scroll"] = True
        nbformat.write(notebook, path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Add slide metadata to the notebooks named on the command line; return the exit status.

    Examples
    --------
    >>> main(["no/such.ipynb"])
    Traceback (most recent call last):
    ...
    FileNotFoundError: No notebook at no/such.ipynb: check the path (a .ipynb file).
    """
    parser = argparse.ArgumentParser(
        prog="python -m prodml_workshop.slides",
        description="Set RISE's slide metadata on notebooks from their headings.",
    )
    parser.add_argument("notebooks", nargs="+", help="the .ipynb files to present as slides")
    for name in parser.parse_args(argv).notebooks:
        changed = add_slide_metadata(name)
        print(f"{name}: {changed} cells changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
