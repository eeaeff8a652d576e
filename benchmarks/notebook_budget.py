"""Time and memory of a full top-to-bottom run of every lecture and solution notebook.

Each notebook is executed with nbclient in a fresh kernel whose working folder is the
notebook's folder, as ``pytest --nbval-lax`` and a student would run it. While it runs, a
thread samples every ``--interval`` seconds the memory of every process the run started:

* the kernel and all its descendants (``psutil.Process().children(recursive=True)`` of this
  script, whose only child is the kernel): servers started by ``serve()`` (its watchdog is a
  child of the kernel even though it runs in a new session, and as a child subreaper it keeps
  BentoML's workers under it), Dask workers, Locust, Java;
* any process that left that tree (re-parented to init after a double fork): the kernel is
  started with a unique ``PRODML_BUDGET_RUN`` environment variable, which every process it
  starts inherits, and the whole process table is scanned for it about once a second.

Two figures per sample, summed over those processes. **RSS** (resident set size) counts the
pages shared between processes (libraries, copy-on-write memory of forked workers) once per
process: it over-counts, so it is the conservative figure the budget is checked against.
**PSS** (proportional set size, from ``/proc/PID/smaps_rollup``) splits each shared page
between the processes that share it: the sum is what the run really adds to the machine.
Peaks shorter than the sampling interval can be missed.

After the kernel shuts down, the script waits for the processes of the run to exit and reports
(then kills) any that did not: a notebook must leave no server behind.

Timings are distorted by anything else running on the machine: the load average at the start
and the end is written with the table; measure when it is low.

**Day mode** (``--day``) runs a student's day instead: the six lectures in teaching order, then
the five solved exercise notebooks 01 to 05, each in its own kernel, and every kernel is left
running when its notebook ends, as a student leaves them. The same sampling covers all the
kernels alive and what they started; per notebook it reports the peak of the sum while it ran,
and what its own kernel (with its descendants) still holds once idle. No kernel is stopped: the
day's peak is what the notebooks need together when nothing makes room
(``prodml_workshop.kernels.make_room`` acts only under a Jupyter server).

Usage::

    .venv/bin/python benchmarks/notebook_budget.py                 # every notebook
    .venv/bin/python benchmarks/notebook_budget.py --only 05       # a subset
    .venv/bin/python benchmarks/notebook_budget.py --max-seconds 90 --max-mb 1500
    .venv/bin/python benchmarks/notebook_budget.py --day           # a student's day

Writes the Markdown table to stdout and to ``benchmarks/notebook_budget.md`` (the day's table
is its "A student's day" section; each mode keeps the other's).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import psutil
from jupyter_client import KernelManager
from nbclient import NotebookClient

from prodml_workshop.course import SESSIONS

__all__ = [
    "DayStep",
    "Measurement",
    "ProcessSampler",
    "day_notebooks",
    "main",
    "measure_day",
    "measure_notebook",
    "notebooks",
]

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "solutions")
OUTPUT = Path(__file__).with_name("notebook_budget.md")
TAG = "PRODML_BUDGET_RUN"
MB = 2**20
DAY_HEADING = "## A student's day"


@dataclass
class Measurement:
    """The result of one notebook run.

    Attributes
    ----------
    notebook : str
        Its path, relative to the repository.
    seconds : float
        Wall time from starting the kernel to the end of the last cell.
    peak_rss_mb, peak_pss_mb : float
        Highest sum over the run's processes, in MiB.
    max_processes : int
        Most processes of the run alive at one sample (the kernel included).
    peak_processes : list of str
        Name and RSS of each process at the RSS peak.
    leftovers : list of str
        Processes of the run still alive after the kernel shut down (then killed).
    error : str or None
        The exception that stopped the run, if any.
    """

    notebook: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    max_processes: int = 0
    peak_processes: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    error: str | None = None


def _describe(process: psutil.Process, rss: int) -> str:
    try:  # the process may have ended since it was sampled
        words = process.cmdline()
        name = process.name()
    except psutil.Error:
        words, name = [], "(ended)"
    interesting = [w for w in words[1:4] if not w.startswith("-")] or [name]
    short = " ".join(Path(w).name if "/" in w else w for w in interesting)
    return f"{process.pid} {short[:60]} ({rss / MB:.0f} MB)"


class ProcessSampler(threading.Thread):
    """Sample the RSS and PSS of this process's descendants and of tagged processes.

    Parameters
    ----------
    tag : str
        The value of ``PRODML_BUDGET_RUN`` given to the kernel.
    interval : float
        Seconds between samples.
    scan_every : float
        Seconds between scans of the whole process table for the tag.
    """

    def __init__(self, tag: str, interval: float = 0.15, scan_every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.tag = tag
        self.interval = interval
        self.scan_every = scan_every
        self.me = psutil.Process()
        self.tagged: set[psutil.Process] = set()
        self.seen: set[psutil.Process] = set()
        self.peak_rss = 0
        self.peak_pss = 0
        self.max_processes = 0
        self.peak_processes: list[str] = []
        self.samples = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Take one last sample and stop."""
        self._stop_event.set()
        self.join()

    def _scan_for_tag(self) -> None:
        for process in psutil.process_iter():
            if process.pid == self.me.pid or process in self.tagged:
                continue
            try:
                if process.environ().get(TAG) == self.tag:
                    self.tagged.add(process)
            except (psutil.Error, OSError):
                continue

    def processes(self) -> set[psutil.Process]:
        """The run's processes alive now."""
        try:
            tree = set(self.me.children(recursive=True))
        except psutil.Error:
            tree = set()
        alive = {p for p in self.tagged if p.is_running()}
        return tree | alive

    def sample(self) -> None:
        """Add one sample to the peaks."""
        rss_total = pss_total = 0
        described = []
        processes = self.processes()
        for process in processes:
            try:
                info = process.memory_full_info()
            except psutil.AccessDenied:
                try:
                    info = process.memory_info()
                except psutil.Error:
                    continue
            except psutil.Error:
                continue
            rss_total += info.rss
            pss_total += getattr(info, "pss", info.rss)
            described.append((process, info.rss))
        self.seen |= processes
        self.samples += 1
        self.max_processes = max(self.max_processes, len(described))
        self.peak_pss = max(self.peak_pss, pss_total)
        if rss_total > self.peak_rss:
            self.peak_rss = rss_total
            self.peak_processes = [_describe(p, rss) for p, rss in described]

    def run(self) -> None:
        last_scan = 0.0
        while not self._stop_event.is_set():
            if time.monotonic() - last_scan >= self.scan_every:
                self._scan_for_tag()
                last_scan = time.monotonic()
            self.sample()
            self._stop_event.wait(self.interval)
        self.sample()


def _leftovers(sampler: ProcessSampler, wait: float) -> list[str]:
    """Wait for the run's processes to exit; describe and kill those that do not."""
    sampler._scan_for_tag()
    candidates = {p for p in sampler.seen | sampler.tagged if p.pid != sampler.me.pid}
    _, alive = psutil.wait_procs(list(candidates), timeout=wait)
    alive = [p for p in alive if p.is_running()]
    left = []
    for process in alive:
        try:
            left.append(_describe(process, process.memory_info().rss))
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=5)
    return left


def measure_notebook(
    path: Path, *, timeout: int = 900, interval: float = 0.15, leftover_wait: float = 20.0
) -> Measurement:
    """Execute a notebook in a fresh kernel and measure its wall time and peak memory.

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    timeout : int, default=900
        Seconds allowed per cell.
    interval : float, default=0.15
        Seconds between memory samples.
    leftover_wait : float, default=20.0
        Seconds the run's processes have to exit once the kernel is shut down.

    Returns
    -------
    Measurement
        Wall time, peaks, processes, leftovers, and the error if the run failed.
    """
    name = (
        str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
    )
    result = Measurement(name)
    tag = uuid.uuid4().hex
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    env = {**os.environ, TAG: tag, "BENTOML_DO_NOT_TRACK": "true"}
    sampler = ProcessSampler(tag, interval=interval)
    sampler.start()
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except Exception as exc:  # the failure is part of the report
        first_line = (str(exc).strip().splitlines() or [""])[-1]
        result.error = f"{type(exc).__name__}: {first_line[:200]}"
    finally:
        result.seconds = time.perf_counter() - start
        sampler.stop()
    result.peak_rss_mb = sampler.peak_rss / MB
    result.peak_pss_mb = sampler.peak_pss / MB
    result.max_processes = sampler.max_processes
    result.peak_processes = sampler.peak_processes
    result.leftovers = _leftovers(sampler, leftover_wait)
    return result


def notebooks(only: str | None = None) -> list[Path]:
    """The lecture and solution notebooks, optionally those whose path matches ``only``.

    ``only`` is a glob (``"notebooks/0[2-3]*"``) or, without glob characters, a substring.
    """
    found = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))
    if not only:
        return found
    pattern = only if any(c in only for c in "*?[") else f"*{only}*"
    return [p for p in found if fnmatch.fnmatch(str(p.relative_to(ROOT)), pattern)]


def day_notebooks() -> list[Path]:
    """A student's day in order: the six lectures, then the solved exercises 01 to 05."""
    names = [name for name, _, _ in SESSIONS]
    return [ROOT / "notebooks" / name for name in names] + [
        ROOT / "solutions" / name for name in names[1:]
    ]


@dataclass
class DayStep:
    """One notebook of the day, its kernel left running afterwards.

    Attributes
    ----------
    notebook : str
        Its path, relative to the repository.
    seconds : float
        Wall time from starting its kernel to the end of its last cell.
    peak_rss_mb, peak_pss_mb : float
        Highest sum, while it ran, over every kernel of the day alive and their descendants.
    kernels : int
        Kernels alive while it ran (its own included).
    idle_rss_mb, idle_pss_mb : float
        What its kernel and that kernel's descendants hold once it has ended.
    error : str or None
        The exception that stopped the run, if any.
    """

    notebook: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    kernels: int = 0
    idle_rss_mb: float = 0.0
    idle_pss_mb: float = 0.0
    error: str | None = None


def _tree_memory(pid: int) -> tuple[int, int]:
    """RSS and PSS sums of a process and its descendants (0, 0 once it has ended)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def measure_day(
    paths: list[Path],
    *,
    timeout: int = 900,
    interval: float = 0.15,
    settle: float = 5.0,
    leftover_wait: float = 30.0,
) -> tuple[list[DayStep], list[str]]:
    """Run the notebooks one after another, each in a new kernel left running; measure them.

    Parameters
    ----------
    paths : list of pathlib.Path
        The notebooks, in the day's order.
    timeout : int, default=900
        Seconds allowed per cell.
    interval : float, default=0.15
        Seconds between memory samples.
    settle : float, default=5.0
        Seconds to wait after a notebook ends before measuring its idle kernel.
    leftover_wait : float, default=30.0
        Seconds the day's processes have to exit once every kernel is shut down.

    Returns
    -------
    steps : list of DayStep
        One per notebook.
    leftovers : list of str
        Processes still alive after every kernel shut down (then killed).
    """
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag, "BENTOML_DO_NOT_TRACK": "true"}
    managers: list[KernelManager] = []
    seen: set[psutil.Process] = set()
    steps = []
    try:
        for path in paths:
            step = DayStep(
                str(path.resolve().relative_to(ROOT))
                if path.resolve().is_relative_to(ROOT)
                else str(path)
            )
            manager = KernelManager(kernel_name="python3")
            managers.append(manager)
            client = NotebookClient(
                nbformat.read(path, as_version=4),
                km=manager,  # not owned by the client: the kernel outlives the run
                timeout=timeout,
                resources={"metadata": {"path": str(path.parent.resolve())}},
            )
            sampler = ProcessSampler(tag, interval=interval)
            sampler.start()
            start = time.perf_counter()
            try:
                client.execute(env=env)
            except Exception as exc:  # the failure is part of the report
                first_line = (str(exc).strip().splitlines() or [""])[-1]
                step.error = f"{type(exc).__name__}: {first_line[:200]}"
            finally:
                step.seconds = time.perf_counter() - start
                sampler.stop()
                if client.kc is not None:
                    client.kc.stop_channels()
            seen |= sampler.seen
            step.peak_rss_mb = sampler.peak_rss / MB
            step.peak_pss_mb = sampler.peak_pss / MB
            step.kernels = sum(m.has_kernel and m.is_alive() for m in managers)
            time.sleep(settle)
            if manager.has_kernel:
                rss, pss = _tree_memory(manager.provisioner.pid)
                step.idle_rss_mb, step.idle_pss_mb = rss / MB, pss / MB
            steps.append(step)
    finally:
        for manager in managers:
            if manager.has_kernel:
                try:
                    manager.shutdown_kernel(now=False)
                except Exception as exc:  # report, and go on stopping the others
                    print(f"    could not shut down a kernel: {exc}", file=sys.stderr)
    final = ProcessSampler(tag)
    final.seen = seen
    return steps, _leftovers(final, leftover_wait)


def _day_table(steps: list[DayStep]) -> str:
    lines = [
        "| notebook | seconds | kernels alive | peak MB (RSS sum, all kernels) "
        "| peak MB (PSS sum, all kernels) | its kernel idle after: MB RSS | MB PSS | error |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in steps:
        lines.append(
            f"| `{s.notebook}` | {s.seconds:.1f} | {s.kernels} | {s.peak_rss_mb:.0f} "
            f"| {s.peak_pss_mb:.0f} | {s.idle_rss_mb:.0f} | {s.idle_pss_mb:.0f} "
            f"| {(s.error or '').replace('|', '/')} |"
        )
    return "\n".join(lines)


def _write_section(path: Path, text: str, *, day: bool) -> None:
    """Write one mode's part of the Markdown file, keeping the other mode's part."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    per_notebook, _, day_section = old.partition(DAY_HEADING)
    if day:
        kept = per_notebook.rstrip() or "# Notebook budget"
        path.write_text(kept + "\n\n" + text, encoding="utf-8")
    else:
        rest = (DAY_HEADING + day_section).rstrip() + "\n" if day_section else ""
        path.write_text(text + ("\n" + rest if rest else ""), encoding="utf-8")


def _main_day(args: argparse.Namespace) -> int:
    paths = day_notebooks()
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.is_file()]
    if missing:
        print(f"not found: {', '.join(missing)}", file=sys.stderr)
        return 1
    load_before = _load()
    print(f"a student's day: {len(paths)} notebooks, kernels left running", file=sys.stderr)
    steps, leftovers = measure_day(paths, timeout=args.timeout, interval=args.interval)
    for step in steps:
        print(
            f"  {step.notebook}: {step.seconds:.1f} s, {step.kernels} kernels, peak "
            f"{step.peak_rss_mb:.0f} MB RSS / {step.peak_pss_mb:.0f} MB PSS, its kernel idle "
            f"{step.idle_pss_mb:.0f} MB PSS" + (f", ERROR {step.error}" if step.error else ""),
            file=sys.stderr,
        )
    for line in leftovers:
        print(f"    LEFT BEHIND (killed): {line}", file=sys.stderr)
    peak_rss = max(s.peak_rss_mb for s in steps)
    peak_pss = max(s.peak_pss_mb for s in steps)
    notes = [
        f"The day's peak: {peak_rss:.0f} MB RSS sum, {peak_pss:.0f} MB PSS sum, with nothing "
        "stopped (Binder gives 2048 MB to JupyterLab and every kernel together).",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; load average "
        f"(1, 5, 15 min) {load_before} before, {_load()} after.",
        "Each notebook runs in a new kernel (nbclient, working folder the notebook's); every "
        "kernel stays alive until the day ends. Memory is sampled every "
        f"{args.interval:g} s over all the day's kernels, their descendants and any process "
        f"carrying the day's {TAG} tag; a kernel's idle figure is taken 5 s after its last cell.",
    ]
    if leftovers:
        notes.append(f"Left behind after the kernels shut down (killed): {'; '.join(leftovers)}.")
    text = (
        f"{DAY_HEADING}: six lectures, then five solved exercises, every kernel left running\n\n"
        + _day_table(steps)
        + "\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + "\n"
    )
    print(text)
    _write_section(args.output, text, day=True)
    return 0 if not leftovers and not any(s.error for s in steps) else 1


def _table(results: list[Measurement], max_seconds: float, max_mb: float) -> str:
    lines = [
        "| notebook | seconds | peak MB (RSS sum) | peak MB (PSS sum) | max processes "
        "| within budget? |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        problems = []
        if r.error:
            problems.append(f"failed: {r.error}")
        if r.seconds > max_seconds:
            problems.append(f"over {max_seconds:g} s")
        if r.peak_rss_mb > max_mb:
            problems.append(f"over {max_mb:g} MB")
        if r.leftovers:
            problems.append(f"{len(r.leftovers)} processes left behind")
        verdict = "yes" if not problems else "**no**: " + "; ".join(problems)
        lines.append(
            f"| `{r.notebook}` | {r.seconds:.1f} | {r.peak_rss_mb:.0f} | {r.peak_pss_mb:.0f} "
            f"| {r.max_processes} | {verdict.replace('|', '/')} |"
        )
    return "\n".join(lines)


def _machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {psutil.cpu_count()} CPUs, "
        f"{memory:.1f} GiB RAM, Python {platform.python_version()}"
    )


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Measure the notebooks, print the table and write ``benchmarks/notebook_budget.md``.

    Returns
    -------
    int
        0 if every notebook ran within the budget, 1 otherwise.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="PATTERN", help="glob or substring of the paths")
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time budget (90)")
    parser.add_argument("--max-mb", type=float, default=1500.0, help="RSS budget in MiB (1500)")
    parser.add_argument("--interval", type=float, default=0.15, help="sampling period (0.15 s)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (900)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the Markdown file")
    parser.add_argument("-v", "--verbose", action="store_true", help="list processes at peak")
    parser.add_argument(
        "--day", action="store_true", help="a student's day: the notebooks in order, kernels kept"
    )
    args = parser.parse_args(argv)
    if args.day:
        return _main_day(args)

    paths = notebooks(args.only)
    if not paths:
        parser.error(f"no notebook in {FOLDERS} matches {args.only!r}")
    load_before = _load()
    results = []
    for path in paths:
        print(f"running {path.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        result = measure_notebook(path, timeout=args.timeout, interval=args.interval)
        results.append(result)
        print(
            f"  {result.seconds:.1f} s, peak {result.peak_rss_mb:.0f} MB RSS / "
            f"{result.peak_pss_mb:.0f} MB PSS, {result.max_processes} processes"
            + (f", ERROR {result.error}" if result.error else ""),
            file=sys.stderr,
            flush=True,
        )
        if args.verbose:
            for line in result.peak_processes:
                print(f"    at peak: {line}", file=sys.stderr)
        for line in result.leftovers:
            print(f"    LEFT BEHIND (killed): {line}", file=sys.stderr)
    table = _table(results, args.max_seconds, args.max_mb)
    missing = [name for name, _, _ in SESSIONS if not (ROOT / "notebooks" / name).is_file()]
    notes = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; load average "
        f"(1, 5, 15 min) {load_before} before, {_load()} after.",
        f"Budget: at most {args.max_seconds:g} s and {args.max_mb:g} MB, checked against the "
        "RSS sum (conservative: shared pages counted once per process); PSS splits them.",
        f"Memory sampled every {args.interval:g} s over the kernel, its descendants and any "
        f"process carrying the run's {TAG} tag; wall time includes the kernel start.",
    ]
    if missing and not args.only:
        notes.append(f"Not measured, not in notebooks/ yet: {', '.join(missing)}.")
    text = "# Notebook budget\n\n" + table + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    print(text)
    _write_section(args.output, text, day=False)
    within = all(
        not r.error
        and not r.leftovers
        and r.seconds <= args.max_seconds
        and r.peak_rss_mb <= args.max_mb
        for r in results
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
