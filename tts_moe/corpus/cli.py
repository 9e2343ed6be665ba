"""``tts-moe corpus build`` and ``tts-moe corpus stats``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tts_moe.cli import add_command_group
from tts_moe.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``corpus`` command with its ``build`` and ``stats`` subcommands."""
    commands = add_command_group(
        subparsers, "corpus", help="render and inspect teacher corpora",
        description="Render multi-speaker, multi-style training corpora with the Debian teacher "
                    "synthesizers (espeak-ng, flite, festival, hts_engine).",
    )

    build = commands.add_parser(
        "build", help="render a teacher corpus folder (resumable)",
        description="Render a corpus into OUT_DIR: audio/SPEAKER/STYLE/ID.flac (16 kHz mono), "
                    "metadata.jsonl, manifest.json, cells.json. Rerunning the same command "
                    "resumes: finished clips are skipped.",
    )
    build.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="corpus folder (new, empty or an earlier build)")
    size = build.add_mutually_exclusive_group()
    size.add_argument("--hours", type=float, help="audio hours to render, equal per speaker, "
                      "neutral weighted 2:1 against each other style (default 1.0)")
    size.add_argument("--clips-per-cell", type=int, help="exactly N clips per (speaker, style) cell")
    build.add_argument("--speakers", default="training",
                       help="'training' (default), 'reserved' (cloning-evaluation voices, into their "
                            "own folder) or a comma-separated list of speaker ids; training and "
                            "reserved voices are never mixed")
    build.add_argument("--styles", default="all",
                       help="comma-separated styles (neutral, fast, slow, high, low, wide, monotone, "
                            "whisper) or 'all' (default); each speaker renders only those its teacher "
                            "supports and that pass the measured check")
    build.add_argument("--texts", choices=("train", "val", "test"), default="train",
                       help="text split: train (LJ Speech train + web sentences, default), val or "
                            "test (LJ Speech held-out sentences, for benchmarks only)")
    build.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    build.add_argument("--seed", type=int, default=0, help="seed of the text assignment (default 0)")
    build.add_argument("--batch-size", type=int, default=8, help="clips per work unit (default 8)")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    build.set_defaults(func=_build)

    stats = commands.add_parser(
        "stats", help="hours, clip counts and per-cell style measurements of a corpus",
        description="Hours per speaker and style, clip counts, seconds per phoneme and F0 per "
                    "(speaker, style) cell against the speaker's neutral, and which styles "
                    "were verified.",
    )
    stats.add_argument("corpus", metavar="DIR", type=Path, help="corpus folder")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(func=_stats)


def _build(args: argparse.Namespace) -> int:
    from tts_moe.corpus.build import BuildOptions, build_corpus, report_json

    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    hours = args.hours if args.hours is not None or args.clips_per_cell is not None else 1.0
    log = (lambda message: print(message, file=sys.stderr))
    options = BuildOptions(
        out_dir=args.out_dir, hours=hours, clips_per_cell=args.clips_per_cell,
        speakers=args.speakers, styles=args.styles, texts=args.texts, jobs=args.jobs,
        seed=args.seed, batch_size=args.batch_size, log=log,
    )
    report = build_corpus(options)
    if args.json:
        print(report_json(report))
    else:
        print(f"{args.out_dir}: {report.rendered} clips rendered ({report.audio_seconds / 3600:.3f} h), "
              f"{report.skipped} already done, {len(report.failed)} failed, "
              f"{report.hours_built:.3f} h in the corpus; {report.wall_seconds:.1f} s wall")
    return 1 if report.failed else 0


def _stats(args: argparse.Namespace) -> int:
    from tts_moe.corpus.stats import corpus_stats, format_stats

    stats = corpus_stats(args.corpus)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0
