"""The ``tts-moe`` command line: one parser, subcommands contributed by their packages.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds its
subcommand(s) and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and
returning an exit code) on each parser. Errors derived from :class:`TTSMoeError` are printed
as one clear line on stderr and turned into their exit code; nothing else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

from tts_moe import __version__
from tts_moe.errors import TTSMoeError

COMMAND_MODULES = (
    "tts_moe.synth_cli",
    "tts_moe.train_cli",
    "tts_moe.acoustic.cli",
    "tts_moe.text.cli",
    "tts_moe.corpus.cli",
    "vocoder.cli",
    "watermark.cli",
    "watermark.ledger.cli",
    "watermark.verify_cli",
    "voices.cli",
    "demo.cli",
    "bench.cli",
)


def add_command_group(
    subparsers: argparse._SubParsersAction, name: str, *, help: str, description: str
) -> argparse._SubParsersAction:
    """Add a command with subcommands (``tts-moe NAME SUB ...``); returns their subparsers.

    Run without a subcommand, the group prints its help on stderr and exits with 2.
    """
    group = subparsers.add_parser(name, help=help, description=description)
    group.set_defaults(func=lambda args: (group.print_help(sys.stderr), 2)[1])
    return group.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")


def print_result(data: Any, as_json: bool, describe: Callable[[Any], str] | None = None) -> int:
    """A handler's report on stdout: ``data`` as indented JSON when ``as_json`` (``--json``),
    else the text ``describe(data)`` (nothing when ``describe`` is None). Returns 0, the
    handler's exit code."""
    if as_json:
        print(json.dumps(data, indent=2))
    elif describe is not None:
        print(describe(data))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tts-moe",
        description="Mixture-of-experts text-to-speech with watermarked, consent-tracked output.",
    )
    parser.add_argument("--version", action="version", version=f"tts-moe {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except TTSMoeError as error:
        print(f"tts-moe {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"tts-moe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
