"""A student's day on Binder: every notebook in JupyterLab within 2 GiB, none lost to memory.

Binder gives JupyterLab and all its kernels 2 GiB together. This test runs `make lab` in a memory
cgroup of 2048 MiB (no swap), on a copy of the repository, and opens in headless Chromium the six
lectures, then the five solved exercise notebooks 01 to 05, one after another, as a student does:
Run All, and the kernel is left running when the next notebook opens. It asserts that

- every code cell of every notebook ran, with no error output and no traceback on screen;
- the out-of-memory killer killed nothing in the cgroup;
- every kernel that went away during a notebook (``make_room``, the notebooks' first cell, stops
  idle kernels of other notebooks when memory is short) is named on screen in that notebook, and
  every kernel named there did go away.

It takes about 10 minutes. It needs root, a memory cgroup controller (v2 or v1) and Debian's
chromium: without them it is skipped with the reason, and in CI (``CI`` set) it fails.
"""

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from memory_cgroup import memory_cgroup
from test_browser import CHROMIUM, Lab, _run_all

from prodml_workshop.course import SESSIONS

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 2048  #: what Binder gives
DAY = [f"notebooks/{name}" for name, _, _ in SESSIONS] + [
    f"solutions/{name}" for name, _, _ in SESSIONS[1:]
]
STOPPED = re.compile(r"Stopped the kernel of (\S+) \(")
SCROLLER = ".jp-NotebookPanel .jp-WindowedPanel-outer"  #: the notebook's scrolling area
CLONE_IGNORES = (".git", ".venv*", "*.egg-info", "__pycache__", ".*_cache", ".ipynb_checkpoints")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Headless Chromium, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run must install it so CI runs the Binder day")
        pytest.skip(f"{reason}; .ci/run installs it in CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        yield chromium
        chromium.close()


def _open_notebooks(url: str) -> set[str]:
    return {session["path"] for session in requests.get(f"{url}/api/sessions", timeout=10).json()}


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.system
def test_a_students_day_fits_in_binder_memory_and_every_stopped_kernel_is_announced(
    make_lab, browser, tmp_path
):
    home = tmp_path / "home"  # a student's clone: 02 builds a Bento from its bentofile.yaml
    shutil.copytree(ROOT, home, ignore=shutil.ignore_patterns(*CLONE_IGNORES))
    settings = {
        "JUPYTERLAB_SETTINGS_DIR": home / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "BENTOML_HOME": home / "bentoml",  # 05's model registry: this day's, as on a new Binder
    }
    args = "--no-browser --allow-root --IdentityProvider.token= --ServerApp.password="
    failures, lines, stopped_in_all, peak = [], [], 0, 0.0
    with (
        memory_cgroup(LIMIT_MB, name="binder-day") as cgroup,
        make_lab(
            tmp_path / "lab.log", args, settings, cgroup_procs=cgroup.procs, LAB_DIR=home
        ) as url,
    ):
        lab = Lab(url, home)
        for path in DAY:
            before, in_use = _open_notebooks(url), cgroup.usage_mb()
            cgroup.reset_peak()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.monotonic()
            problems = _run_all(page, lab, path, tmp_path)
            seconds = time.monotonic() - started
            # text content: JupyterLab does not lay out the cells out of view (innerText is empty)
            outputs = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
            errors = page.locator(".jp-OutputArea-output[data-mime-type*='error']")
            if problems and errors.count():
                problems += f"\nthe first error, whole:\n{errors.first.text_content()}"
            named = set(STOPPED.findall(outputs))
            # back at the top, make_room's cell: each stop it announced is there to read
            page.evaluate(f"document.querySelector('{SCROLLER}').scrollTop = 0")
            unseen = [
                name
                for name in named
                if not page.get_by_text(f"Stopped the kernel of {name}").first.is_visible()
            ]
            page.screenshot(path=str(tmp_path / f"{path.replace('/', '-')}-top.png"))
            page.close()
            gone = before - _open_notebooks(url)
            said = re.search(r"^Memory.*", outputs, re.MULTILINE)
            stopped_in_all += len(gone)
            peak = max(peak, cgroup.peak_mb())
            lines.append(
                f"{path}: {seconds:.0f} s, cgroup {in_use:.0f} MB before, peak "
                f"{cgroup.peak_mb():.0f} MB, OOM kills so far {cgroup.oom_kills()}, kernels "
                f"stopped: {sorted(gone) or 'none'}; make_room: {said[0] if said else '-'}"
            )
            print(lines[-1], flush=True)
            if problems:
                failures.append(f"{path}: {problems}")
            if re.search(r"could not (be asked|look)", outputs, re.IGNORECASE):
                failures.append(f"{path}: make_room could not reach the server:\n{outputs}")
            if unseen:
                failures.append(f"{path}: announced out of view: {unseen}")
            if gone != named:
                failures.append(
                    f"{path}: kernels gone while it ran {sorted(gone)}, "
                    f"announced on screen {sorted(named)}"
                )
        kills = cgroup.oom_kills()
    summary = (
        f"Binder day: {len(DAY)} notebooks, {stopped_in_all} kernels stopped by make_room, "
        f"{kills} OOM kills, cgroup peak {peak:.0f} MB of {LIMIT_MB} MB"
    )
    print(summary)
    assert kills == 0, f"{summary}\n" + "\n".join(lines)
    assert not failures, "\n".join(failures) + f"\n(screenshots in {tmp_path})\n" + "\n".join(lines)
