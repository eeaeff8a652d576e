"""The notebooks in a real browser: `make lab` in headless Chromium, Run All, as a student would.

A kernel-only run (nbval) cannot see what only the page shows: a widget that fails to render
("Error displaying widget"), a traceback, JupyterLab's pop-ups, the RISE slides. These tests
start `make lab` on a free port, on a copy of the notebooks (so nothing is saved into the
repository) with settings and workspaces of their own, drive Debian's ``chromium`` with
Playwright, and stop JupyterLab and its kernels afterwards.

They need Debian's chromium (``apt-get install chromium``; ``.ci/run`` installs it): without it
they skip locally, and fail in CI. Marked ``system`` (they need Chromium and take minutes):
`make test-system` runs them, after `make test` in CI.
"""

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
import requests

from prodml_workshop.props.monitoring.explorer import SLIDERS_ELSEWHERE

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NEWS = "official Jupyter news"
WIDGET_ERROR = "Error displaying widget"
#: Seconds a notebook may take in the browser (its budget is 90 s in a bare kernel; 04 took 199 s
#: on two cores at a load of 12).
RUN_TIMEOUT = 420


def test_make_lab_and_binder_turn_the_news_pop_up_off():
    # the browser test below checks the effect; this pins where the setting lives
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    plugin = "@jupyterlab/apputils-extension:notification"
    assert overrides[plugin]["fetchNews"] == "false"
    schema_file = Path(*plugin.split(":")).with_suffix(".json")
    import jupyterlab

    schema = json.loads((Path(jupyterlab.__file__).parent / "schemas" / schema_file).read_text())
    never = [choice["const"] for choice in schema["properties"]["fetchNews"]["oneOf"]]
    assert "false" in never, f"JupyterLab's fetchNews no longer takes 'false': {never}"
    lab_recipe = (ROOT / "Makefile").read_text().split("\nlab:")[1].split("\n\n")[0]
    assert '--LabApp.app_settings_dir="$(CURDIR)/binder"' in lab_recipe
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "sys.prefix)')/share/jupyter/lab/settings" in post_build  # JupyterLab reads it there
    assert 'cp binder/overrides.json "$settings/overrides.json"' in post_build


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Headless Chromium, driven by Playwright (one browser for the module)."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run must install it so CI runs the browser test")
        pytest.skip(f"{reason}; .ci/run installs it in CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        yield browser
        browser.close()


class Lab(NamedTuple):
    url: str  #: where JupyterLab answers
    root: Path  #: the folder it serves: a copy of the repository's notebooks/


@pytest.fixture(scope="module")
def lab(make_lab, tmp_path_factory) -> Iterator[Lab]:
    """`make lab` on a free port, serving a copy of the notebooks."""
    home = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    settings = {
        "JUPYTERLAB_SETTINGS_DIR": home / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
    }
    args = "--no-browser --allow-root --IdentityProvider.token= --ServerApp.password="
    with make_lab(home / "lab.log", args, settings, LAB_DIR=home) as url:
        yield Lab(url, home)


def _slides(path: Path) -> int:
    cells = nbformat.read(path, as_version=4).cells
    return sum(cell.metadata.get("slideshow", {}).get("slide_type") == "slide" for cell in cells)


def _wait_for_idle_kernel(url: str, path: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for session in requests.get(f"{url}/api/sessions", timeout=5).json():
            if session["path"] == path and session["kernel"]["execution_state"] == "idle":
                return
        time.sleep(0.5)
    raise AssertionError(f"the kernel of {path} was not ready after 90 s")


def _run_all(page, lab: Lab, path: str, shots: Path) -> str:
    """Open ``path`` in JupyterLab, Run All Cells, wait for the end; return what went wrong."""
    console: list[str] = []
    page.on("console", lambda message: message.type == "error" and console.append(message.text))
    page.goto(f"{lab.url}/lab/workspaces/{Path(path).stem}/tree/{path}?reset")
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    notebook.wait_for(timeout=60_000)
    _wait_for_idle_kernel(lab.url, path)
    page.keyboard.press("Escape")
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    prompts = notebook.locator(".jp-CodeCell .jp-InputPrompt")
    code_cells = sum(cell.cell_type == "code" for cell in nbformat.read(lab.root / path, 4).cells)
    started, text = time.monotonic(), []
    while time.monotonic() - started < RUN_TIMEOUT:
        time.sleep(0.5)
        text = prompts.all_text_contents()
        if text and not any("*" in prompt for prompt in text):
            break
    seconds = time.monotonic() - started
    page.screenshot(path=str(shots / f"{Path(path).stem}.png"), full_page=True)
    problems = []
    ran = sum(bool(re.search(r"\d", prompt)) for prompt in text)
    if ran != code_cells:
        problems.append(f"{ran} of {code_cells} code cells ran in {seconds:.0f} s")
    errors = notebook.locator(".jp-OutputArea-output[data-mime-type*='error']")
    tracebacks = notebook.locator(".jp-OutputArea-output:has-text('Traceback')")
    for kind, found in (("error", errors), ("traceback", tracebacks)):
        if found.count():
            problems.append(f"{found.count()} {kind} output(s), first:\n{found.first.inner_text()}")
    if notebook.get_by_text(WIDGET_ERROR).count():
        problems.append(f"{WIDGET_ERROR}: {notebook.get_by_text(WIDGET_ERROR).first.inner_text()}")
    if console:  # shown with a failure; a broken front-end extension shows here first
        print(f"{path}: browser console errors:", *dict.fromkeys(console), sep="\n  ")
    return "\n".join(problems)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.system
def test_setup_notebook_runs_in_jupyterlab_without_the_news_pop_up(lab, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    problems = _run_all(page, lab, "notebooks/00_setup.ipynb", tmp_path)
    assert not problems, f"{problems}\n(screenshot in {tmp_path})"
    verdict = page.locator(".jp-OutputArea-output", has_text="Ready: all")
    assert verdict.count() == 1  # the set-up check's last word
    assert page.get_by_text(NEWS).count() == 0, "JupyterLab asks about Jupyter news"
    page.close()


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.system
def test_monitoring_explorer_works_in_jupyterlab_and_its_slide_says_where(lab, chromium, tmp_path):
    path = "notebooks/04_monitoring.ipynb"
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    problems = _run_all(page, lab, path, tmp_path)
    assert not problems, f"{problems}\n(screenshot in {tmp_path})"

    # the explorer: its six sliders render, and moving one re-runs the case
    explorer = page.locator(".jp-OutputArea-output .widget-interact")
    assert explorer.count() == 1
    assert explorer.locator(".widget-slider, .widget-hslider").count() == 6
    verdicts = explorer.locator(".widget-output")
    assert "detected" not in verdicts.inner_text()  # shift 0: nothing to detect
    explorer.locator(".noUi-handle").first.focus()
    page.keyboard.press("End")  # shift to its maximum, 1.5 standard deviations
    page.wait_for_function(
        "el => el.innerText.includes('detected')", arg=verdicts.element_handle(), timeout=30_000
    )

    # the slides (Alt+R), starting at the explorer's: RISE renders the note, not an error
    page.keyboard.press("Control+s")
    page.locator(".jp-mod-dirty").wait_for(state="detached", timeout=30_000)
    page.locator(".jp-MarkdownCell", has_text="Explore it yourself").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+r")
    frame = page.locator("iframe[src*='/rise/']")  # RISE's panel beside the notebook
    frame.wait_for(timeout=120_000)
    deck = frame.element_handle().content_frame()
    deck.locator(".reveal .slides").wait_for(timeout=60_000)
    headline = re.search(r"<b>(.*?)</b>", SLIDERS_ELSEWHERE).group(1)
    note = deck.locator(".reveal .slides b", has_text=headline)
    note.wait_for(timeout=30_000)
    assert note.is_visible(), "the explorer's slide is not the one shown"
    assert deck.get_by_text(WIDGET_ERROR).count() == 0
    assert deck.get_by_text("DriftExplorer(children=").count() == 0
    assert deck.locator(".reveal .slides > section").count() == _slides(lab.root / path)
    page.screenshot(path=str(tmp_path / "04_slides.png"))
    page.close()


LECTURES = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.system
@pytest.mark.parametrize("name", LECTURES)
def test_lecture_notebook_opens_as_rise_slides(lab, chromium, name):
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{lab.url}/rise/notebooks/{name}")
    page.locator(".reveal .slides > section").first.wait_for(timeout=120_000)
    assert page.locator(".reveal .slides > section").count() == _slides(
        lab.root / "notebooks" / name
    )
    title = nbformat.read(lab.root / "notebooks" / name, 4).cells[0].source.splitlines()[0]
    heading = page.locator(".reveal .slides section.present h1").first
    assert heading.inner_text().strip() == title.lstrip("# ").strip()  # opens on the title slide
    assert page.get_by_text(WIDGET_ERROR).count() == 0
    page.close()
