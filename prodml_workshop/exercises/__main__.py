"""Command line of the exercises: ``build`` the student notebooks, ``grade`` collected ones.

Usage::

    python -m prodml_workshop.exercises build [--solutions solutions] [--exercises exercises]
    python -m prodml_workshop.exercises grade PATH... [--csv OUT.csv] [--timeout SECONDS]
        [--jobs N] [--check-time-limit SECONDS]

``grade`` prints one line per question; with ``--csv`` it also writes every question's status,
message and written answer to ``OUT.csv``, and the points of each student and notebook to
``OUT_summary.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from prodml_workshop.exercises.build import build
from prodml_workshop.exercises.grade import (
    GradeRow,
    default_jobs,
    format_table,
    grade,
    summary_path,
    write_csv,
    write_summary,
)
from prodml_workshop.exercises.verdicts import Status


def _progress(start: float) -> Callable[[Path, list[GradeRow]], None]:
    def show(notebook: Path, rows: list[GradeRow]) -> None:
        counts = {s: sum(r.status is s for r in rows) for s in Status}
        done = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        print(f"[{time.monotonic() - start:6.1f} s] {notebook}: {done}", file=sys.stderr)

    return show


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m prodml_workshop.exercises")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="write exercises/ from solutions/")
    b.add_argument("--solutions", default="solutions")
    b.add_argument("--exercises", default="exercises")
    g = commands.add_parser("grade", help="execute notebooks and report each question's status")
    g.add_argument("paths", nargs="+", help="notebooks, or folders of them (one per student)")
    g.add_argument(
        "--csv", help="also write each question's status, message and answer to this file, "
        "and each student's points to <name>_summary.csv beside it"
    )  # fmt: skip
    g.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    g.add_argument(
        "--jobs", type=int, default=None,
        help=f"notebooks graded at a time (default here: {default_jobs()}, from the cores and "
        "the free memory)",
    )  # fmt: skip
    g.add_argument(
        "--check-time-limit", type=float, default=None,
        help="seconds allowed per check, for questions without a limit of their own "
        "(default: 60)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in build(args.solutions, args.exercises):
            print(f"wrote {path}")
        return 0
    start = time.monotonic()
    rows = grade(
        args.paths,
        timeout=args.timeout,
        jobs=args.jobs,
        check_time_limit=args.check_time_limit,
        progress=_progress(start),
    )
    print(format_table(rows))
    if args.csv:
        write_csv(rows, args.csv)
        summary = write_summary(rows, summary_path(args.csv))
        print(f"wrote {args.csv} and {summary}")
    print(f"graded {len({r.notebook for r in rows})} notebooks in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
