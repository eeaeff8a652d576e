"""Command line of the exercises: ``build`` the student notebooks, ``grade`` collected ones.

Usage::

    python -m prodml_workshop.exercises build [--solutions solutions] [--exercises exercises]
    python -m prodml_workshop.exercises grade PATH... [--csv OUT.csv] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys

from prodml_workshop.exercises.build import build
from prodml_workshop.exercises.grade import format_table, grade, write_csv


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m prodml_workshop.exercises")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="write exercises/ from solutions/")
    b.add_argument("--solutions", default="solutions")
    b.add_argument("--exercises", default="exercises")
    g = commands.add_parser("grade", help="execute notebooks and report each question's status")
    g.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    g.add_argument("--csv", help="also write notebook,question,status to this file")
    g.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in build(args.solutions, args.exercises):
            print(f"wrote {path}")
        return 0
    rows = grade(args.paths, timeout=args.timeout)
    print(format_table(rows))
    if args.csv:
        write_csv(rows, args.csv)
        print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
