"""``tts-moe synth``: a script in, one watermarked, ledger-logged audio file out.

All work goes through :class:`tts_moe.synthesis.Synthesizer`; when a model (acoustic,
vocoder or watermark) is missing the command stops with exit code 4 before writing anything:
there is no unwatermarked fallback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tts_moe.audio import FORMATS, format_for_path
from tts_moe.errors import InputError, OutputError, TextError
from tts_moe.limits import MAX_SCRIPT_BYTES



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


def _parse_bias(values: list[str]) -> dict[int, float]:
    bias = {}
    for value in values or []:
        expert, _, amount = value.partition("=")
        try:
            bias[int(expert)] = float(amount) if amount else 10.0
        except ValueError:
            raise InputError(f"--expert-bias takes EXPERT=AMOUNT (e.g. 3=2.5), got {value!r}") from None
    return bias


def _parse_mix(value: str | None) -> tuple[str, float] | None:
    if not value:
        return None
    style, _, weight = value.partition(":")
    try:
        return style, float(weight) if weight else 0.5
    except ValueError:
        raise InputError(f"--mix takes STYLE[:WEIGHT] (e.g. whisper:0.3), got {value!r}") from None


def run(args: argparse.Namespace) -> int:
    from tts_moe.script import format_for_path as script_format_for_path, parse_script
    from tts_moe.synthesis import Synthesizer
    from tts_moe.synthesis.subtitles import write_subtitles

    out = Path(args.output)
    check_output_path(out, args.format)
    text = read_script(args.script)
    script_format = args.script_format or ("auto" if args.script == "-" else script_format_for_path(args.script))
    script = parse_script(text, script_format)  # markup errors (exit 2) before any model loads
    synth = Synthesizer.from_pretrained(args.acoustic, args.vocoder, args.watermark, ledger_path=args.ledger,
                                        keep_routing=False, vocoder_precision=args.vocoder_precision)
    result = synth.synthesize(
        script, out, text=text, voice=args.voice, style=args.style, script_format=script_format, rate=args.rate,
        pitch=args.pitch, pitch_range=args.pitch_range, volume=args.volume, style_mix=_parse_mix(args.mix),
        expert_bias=_parse_bias(args.expert_bias), dense=args.dense, audio_format=args.format,
        store_text=args.store_text, progress=None if not args.quiet else False, resume=args.resume)
    report = result.to_dict()
    for warning in result.warnings:
        print(f"tts-moe synth: warning: {warning}", file=sys.stderr)
    if args.subtitles:
        cues = result.word_cues if args.word_level else result.cues
        target = out.with_suffix(f".{args.subtitles}")
        write_subtitles(target, cues, args.subtitles)
        report["subtitles"] = str(target)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        minutes = result.duration / 60
        total = result.stage_seconds.get("total", 0.0)
        print(f"wrote {out} ({minutes:.1f} min, {len(result.cues)} sentences, watermark payload {result.payload}, "
              f"ledger clip {result.clip_id[:12]}; real-time factor {total / max(result.duration, 1e-9):.3f})",
              file=sys.stderr)
        if args.subtitles:
            print(f"wrote {report['subtitles']}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="synthesise a script (text file or '-' for stdin) into one audio file",
        description="Turn a long-form script (plain text, Markdown or SSML; dialogue tags switch "
                    "voice and style) into one watermarked, ledger-logged audio file.",
    )
    parser.add_argument("script", help="script file (UTF-8 text) or '-' for standard input")
    parser.add_argument("-o", "--output", required=True, help="output audio file")
    parser.add_argument("--voice", default=None, help="voice name (default: the model's preferred voice)")
    parser.add_argument("--style", default=None, help="style name, e.g. neutral, fast, slow, high, low, wide, "
                        "monotone, whisper")
    parser.add_argument("--format", choices=sorted(FORMATS), default=None,
                        help="output format (default: from the output file's extension)")
    parser.add_argument("--script-format", choices=("auto", "text", "markdown", "ssml"), default=None,
                        help="how to read the script (default: from its extension, else by content)")
    parser.add_argument("--subtitles", choices=("srt", "vtt"), help="also write OUTPUT.srt or OUTPUT.vtt")
    parser.add_argument("--word-level", action="store_true", help="subtitles per word instead of per sentence")
    parser.add_argument("--rate", type=float, default=1.0, help="speaking-rate multiplier (default 1.0)")
    parser.add_argument("--pitch", type=float, default=0.0, help="pitch shift in semitones (default 0)")
    parser.add_argument("--pitch-range", type=float, default=1.0, help="pitch movement scale (0 = monotone)")
    parser.add_argument("--volume", type=float, default=0.0, help="gain in dB (default 0)")
    parser.add_argument("--mix", metavar="STYLE[:WEIGHT]", help="blend a second style into --style")
    parser.add_argument("--expert-bias", action="append", metavar="EXPERT=AMOUNT",
                        help="add AMOUNT to an expert's gate logit (repeatable; large forces it)")
    parser.add_argument("--dense", action="store_true", help="run every expert (dense fallback path)")
    parser.add_argument("--ledger", help="provenance ledger file (default: $TTS_MOE_LEDGER or the user data folder)")
    parser.add_argument("--store-text", action="store_true", help="keep the script text in the ledger (off: hash only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true",
                        help="keep finished parts in .OUTPUT.parts/ so an interrupted run continues where it "
                             "stopped when run again with --resume")
    parser.add_argument("--acoustic", metavar="PATH", help="acoustic model weights (default: shipped)")
    parser.add_argument("--vocoder", metavar="PATH",
                        help="vocoder weights (default: the shipped set tuned for the acoustic weights, else the "
                             "general one)")
    from vocoder.precision import PRECISIONS, SYNTHESIS_PRECISION

    parser.add_argument("--vocoder-precision", choices=PRECISIONS, default=SYNTHESIS_PRECISION,
                        help="vocoder backbone precision (default auto: bf16 on CPUs with bf16 units, where it is "
                             "~1.7x faster at the same measured quality; fp32 elsewhere)")
    parser.add_argument("--watermark", metavar="PATH", help="watermark weights (default: shipped)")
    parser.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    parser.set_defaults(func=run)
