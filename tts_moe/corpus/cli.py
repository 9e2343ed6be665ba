"""``tts-moe corpus build``, ``tts-moe corpus import`` and ``tts-moe corpus stats``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tts_moe.cli import add_command_group, print_result
from tts_moe.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``corpus`` command with its ``build``, ``import`` and ``stats`` subcommands."""
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

    importer = commands.add_parser(
        "import", help="convert an LJ Speech or VCTK dataset into a training corpus folder (resumable)",
        description="Convert a dataset in the LJ Speech layout (metadata.csv, wavs/) or the VCTK layout "
                    "(txt/, wav48_silence_trimmed/ or wav48/) into a corpus folder like `corpus build` "
                    "writes: audio/SPEAKER/neutral/ID.flac (16 kHz mono, trimmed, loudness-normalised), "
                    "metadata.jsonl with en-us phonemes, manifest.json. The project's held-out LJ Speech "
                    "test/val sentences are left out. Rerunning the same command resumes.",
    )
    importer.add_argument("format", choices=("ljspeech", "vctk"), help="layout of SRC")
    importer.add_argument("src", metavar="SRC", type=Path, help="dataset folder (e.g. LJSpeech-1.1/, VCTK-Corpus/)")
    importer.add_argument("out_dir", metavar="OUT", type=Path,
                          help="corpus folder (new, empty or an earlier import of SRC)")
    importer.add_argument("--limit", type=int, help="import only the first N clips, sorted by id (a quick trial)")
    importer.add_argument("--speakers", help="VCTK only: comma-separated speakers, e.g. p225,p226 (default all)")
    importer.add_argument("--jobs", type=int, default=2, help="worker processes for the audio (default 2)")
    importer.add_argument("--json", action="store_true", help="print the import report as JSON")
    importer.set_defaults(func=_import)

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


def _import(args: argparse.Namespace) -> int:
    from tts_moe.corpus.importers import import_corpus

    speakers = [s.strip() for s in args.speakers.split(",") if s.strip()] if args.speakers else None
    if args.speakers is not None and not speakers:
        raise InputError("--speakers is empty: give comma-separated VCTK speakers, e.g. p225,p226")
    report = import_corpus(args.format, args.src, args.out_dir, limit=args.limit, speakers=speakers,
                           jobs=args.jobs, log=lambda message: print(message, file=sys.stderr))
    return print_result(report.to_json(), args.json, _describe_import)


def _describe_import(data: dict) -> str:
    """The text form of :meth:`~tts_moe.corpus.importers.ImportReport.to_json`."""
    lines = [f"{data['out']}: {data['imported']} clips imported ({data['hours_imported']:.3f} h), "
             f"{data['already_present']} already present; {data['hours_in_corpus']:.3f} h, "
             f"{len(data['speakers'])} speaker(s) in the corpus ({', '.join(data['speakers'][:8])}"
             f"{' ...' if len(data['speakers']) > 8 else ''})"]
    for reason, entry in data["skipped"].items():
        lines.append(f"skipped {entry['count']} ({reason.replace('_', ' ')}): {', '.join(entry['first'])}"
                     f"{' ...' if entry['count'] > len(entry['first']) else ''}")
    if data["training_refusal"]:
        lines.append(f"warning: `tts-moe train acoustic` refuses this corpus: {data['training_refusal']}")
    return "\n".join(lines)


def _stats(args: argparse.Namespace) -> int:
    from tts_moe.corpus.stats import corpus_stats, format_stats

    stats = corpus_stats(args.corpus)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0
