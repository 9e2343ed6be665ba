"""``tts-moe synth``: a script in, one watermarked, ledger-logged audio file out.

The text front end runs now; the acoustic model, vocoder, watermark and ledger stages join
as they land (issues 3-7). Until a trained acoustic model ships, the command reads and
checks the whole script, then stops with exit code 4 and says so; it never writes a file
that is not watermarked and logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tts_moe.audio import FORMATS, format_for_path
from tts_moe.errors import InputError, ModelNotAvailableError, OutputError, TextError

MAX_SCRIPT_BYTES = 20 * 1024 * 1024


def read_script(source: str) -> str:
    """Read a script from a file path or ``-`` (stdin) as UTF-8 text, with clear errors."""
    if source == "-":
        raw = sys.stdin.buffer.read(MAX_SCRIPT_BYTES + 1)
        name = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"script not found: {path}")
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            raise TextError(
                f"{path} is {path.stat().st_size / 2**20:.1f} MiB; scripts are limited to "
                f"{MAX_SCRIPT_BYTES // 2**20} MiB: split it into parts"
            )
        raw = path.read_bytes()
        name = str(path)
    if len(raw) > MAX_SCRIPT_BYTES:
        raise TextError(f"{name} is over {MAX_SCRIPT_BYTES // 2**20} MiB: split it into parts")
    if b"\x00" in raw:
        raise TextError(f"{name} looks like a binary file (it contains NUL bytes), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise TextError(
            f"{name} is not UTF-8 text (invalid byte at line {line}, offset {error.start})"
        ) from None


def check_output_path(out: Path, format: str | None) -> str:
    """Validate the output location before any synthesis work; returns the format name."""
    name = format_for_path(out, format)
    if not out.parent.is_dir():
        raise OutputError(f"output folder does not exist: {out.parent}")
    if out.is_dir():
        raise OutputError(f"output path is a folder: {out}")
    return name


def run(args: argparse.Namespace) -> int:
    from tts_moe.text import TextFrontend

    out = Path(args.output)
    check_output_path(out, args.format)
    script = read_script(args.script)
    utterances = TextFrontend().prepare(script)
    phonemes = sum(len(u.ids) for u in utterances)
    summary = {"sentences": len(utterances), "phonemes": phonemes, "output": str(out)}
    if args.json:
        print(json.dumps({"read": summary}))
    else:
        print(f"read {len(utterances)} sentences ({phonemes} phoneme symbols)", file=sys.stderr)
    raise ModelNotAvailableError(
        "no trained acoustic model ships yet, so no audio was written. The text front end "
        "read the whole script; synthesis, watermarking and the ledger arrive with the "
        "acoustic model, vocoder and watermark (see the README's status table)."
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="synthesise a script (text file or '-' for stdin) into one audio file",
        description="Turn a long-form script into one watermarked, ledger-logged audio file.",
    )
    parser.add_argument("script", help="script file (UTF-8 text) or '-' for standard input")
    parser.add_argument("-o", "--output", required=True, help="output audio file")
    parser.add_argument("--voice", default=None, help="voice name (see 'tts-moe voices list')")
    parser.add_argument("--style", default=None, help="style name, e.g. neutral, fast, whisper")
    parser.add_argument(
        "--format", choices=sorted(FORMATS), default=None,
        help="output format (default: from the output file's extension)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    parser.set_defaults(func=run)
