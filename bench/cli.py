"""``tts-moe bench``: run the benchmarks and write bench/REPORT.md (same as ``python -m bench``)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from bench.__main__ import add_arguments

    parser = subparsers.add_parser("bench", help="run the benchmarks and write the scoreboard (bench/REPORT.md)")
    add_arguments(parser)
    parser.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from bench.__main__ import run

    return run(args)
