"""``tts-moe watermark train | export | embed | detect``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tts_moe.cli import add_command_group, print_result
from tts_moe.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``watermark`` command group."""
    commands = add_command_group(
        subparsers, "watermark",
        help="train, export, embed and detect the audio watermark (AudioSeal architecture)",
        description="Imperceptible, localised audio watermark with a 16-bit payload: AudioSeal's "
                    "SEANet generator and detector at 16 kHz, trained by this toolkit.",
    )

    add_train_parser(commands)

    export = commands.add_parser(
        "export", help="write a run's networks as fp16 safetensors + model card",
        description="Export RUN_DIR's latest checkpoint to DIR/watermark.safetensors (fp16) and "
                    "DIR/watermark.json (config, threshold, training facts).",
    )
    export.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a `watermark train` run folder")
    export.add_argument("--to", required=True, type=Path, metavar="DIR", help="output folder, e.g. watermark/weights/")
    export.add_argument("--threshold", type=float, default=None,
                        help="detection threshold to store (default: the one calibrated in --measured, else 0.5)")
    export.add_argument("--measured", metavar="JSON",
                        help="bench/watermark.py results for these weights: their calibrated threshold, "
                             "robustness figures and clean bit accuracy go into the model card")
    export.add_argument("--mark-snr", type=float, default=None, metavar="DB",
                        help="ship the SEANet mark at this level below the audio instead of the training level "
                             "(choose it with `python -m bench.watermark --mark-snr DB`)")
    export.add_argument("--json", action="store_true", help="print the model card as JSON")
    export.set_defaults(func=_export)

    embed = commands.add_parser("embed", help="embed a 16-bit payload into an audio file",
                                description="Read IN (resampled to 16 kHz mono), embed PAYLOAD and "
                                            "write OUT atomically (wav, flac, ogg or mp3 by extension).")
    embed.add_argument("audio", metavar="IN", type=Path, help="input audio file")
    embed.add_argument("output", metavar="OUT", type=Path, help="output audio file")
    embed.add_argument("--payload", type=int, required=True, help="integer 0..65535 to embed")
    embed.add_argument("--weights", metavar="PATH", help="watermark folder or .safetensors (default: shipped)")
    embed.add_argument("--json", action="store_true", help="machine-readable output")
    embed.set_defaults(func=_embed)

    detect = commands.add_parser("detect", help="detect the watermark and its payload in an audio file",
                                 description="Report the detection probability, the marked segments "
                                             "(seconds), the marked fraction and the decoded payload.")
    detect.add_argument("audio", metavar="IN", type=Path, help="audio file (any rate; resampled to 16 kHz)")
    detect.add_argument("--weights", metavar="PATH", help="watermark folder or .safetensors (default: shipped)")
    detect.add_argument("--threshold", type=float, help="detection threshold (default: the model card's)")
    detect.add_argument("--frames", action="store_true", help="with --json: include per-frame probabilities")
    detect.add_argument("--json", action="store_true", help="machine-readable output")
    detect.set_defaults(func=_detect)


def add_train_parser(commands: argparse._SubParsersAction, name: str = "train") -> argparse.ArgumentParser:
    """The training subcommand (also reachable as `tts-moe train watermark`)."""
    train = commands.add_parser(
        name, help="train (or resume) the watermark networks on a corpus folder",
        description="Train generator and detector jointly on random speech segments of a corpus "
                    "built by `tts-moe corpus build`, with random edits (codecs via ffmpeg, "
                    "filters, noise, speed, echo, volume, cropping, splicing). Writes "
                    "RUN_DIR/config.json, RUN_DIR/log.jsonl and a resumable checkpoint "
                    "(safetensors + JSON) every --checkpoint-minutes.",
    )
    train.add_argument("corpus", metavar="CORPUS_DIR", type=Path, help="training corpus folder")
    train.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder")
    train.add_argument("--steps", type=int, default=20_000, help="total optimizer steps (default 20000)")
    train.add_argument("--batch", type=int, default=16, help="segments per batch (default 16)")
    train.add_argument("--segment-seconds", type=float, default=1.0, help="segment length (default 1.0)")
    train.add_argument("--preset", default="compact", help="network size: compact (default; RTF 0.008), base (RTF 0.013), tiny (tests) or official")
    train.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its checkpoint")
    train.add_argument("--init-from", metavar="PATH", help="start from exported watermark weights (folder or .safetensors)")
    train.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    train.add_argument("--no-codecs", action="store_true", help="skip the ffmpeg codec edits (faster, less robust)")
    train.add_argument("--bf16", action="store_true", help="bf16 autocast for the two networks")
    train.add_argument("--checkpoint-minutes", type=float, default=10.0, help="checkpoint interval (default 10)")
    train.add_argument("--max-minutes", type=float, help="stop (with a checkpoint) after this many minutes")
    train.add_argument("--log-every", type=int, default=10, help="steps per log line (default 10)")
    train.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    train.add_argument("--seed", type=int, default=0, help="seed of initialisation, batches and edits (default 0)")
    train.add_argument("--json", action="store_true", help="print the final state as JSON")
    train.set_defaults(func=_train)
    return train


def _train(args: argparse.Namespace) -> int:
    from watermark.train import TrainOptions, train

    for name in ("steps", "batch", "log_every"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.segment_seconds < 0.2:
        raise InputError(f"--segment-seconds must be at least 0.2, got {args.segment_seconds}")
    if not args.corpus.is_dir():
        raise InputError(f"corpus folder not found: {args.corpus}")
    options = TrainOptions(
        corpus=str(args.corpus), run_dir=str(args.out), steps=args.steps, batch_size=args.batch,
        segment_seconds=args.segment_seconds, seed=args.seed, preset=args.preset, resume=args.resume,
        init_from=args.init_from, lr=args.lr, codecs=not args.no_codecs, bf16=args.bf16,
        checkpoint_minutes=args.checkpoint_minutes, max_minutes=args.max_minutes,
        log_every=args.log_every, threads=args.threads,
    )
    state = train(options, log=lambda line: print(line, file=sys.stderr, flush=True))
    return print_result(state, args.json)


def _export(args: argparse.Namespace) -> int:
    from watermark.export import export_run

    from watermark.export import figures_from_bench

    calibrated, measured = figures_from_bench(args.measured) if args.measured else (None, None)
    threshold = args.threshold if args.threshold is not None else (calibrated or 0.5)
    if not 0.0 < threshold < 1.0:
        raise InputError(f"--threshold must be between 0 and 1, got {threshold}")
    if args.mark_snr is not None and not 0.0 < args.mark_snr < 80.0:
        raise InputError(f"--mark-snr must be between 0 and 80 dB, got {args.mark_snr}")
    card = export_run(args.run_dir, args.to, detection_threshold=threshold, measured=measured,
                      mark_snr_db=args.mark_snr)
    return print_result(card, args.json, lambda c: f"wrote {args.to / 'watermark.safetensors'} and watermark.json "
                                                   f"(step {c['training']['steps']})")


def _embed(args: argparse.Namespace) -> int:
    from tts_moe.audio import load_audio, write_audio
    from watermark.watermarker import Watermarker, check_payload

    check_payload(args.payload)
    marker = Watermarker.from_pretrained(args.weights)
    marked = marker.embed(load_audio(args.audio), args.payload)
    write_audio(args.output, marked)
    report = {"input": str(args.audio), "output": str(args.output), "payload": args.payload,
              "seconds": round(marked.size / marker.sample_rate, 3)}
    return print_result(report, args.json, lambda r: f"wrote {r['output']} with payload {r['payload']}")


def _detect(args: argparse.Namespace) -> int:
    from tts_moe.audio import load_audio
    from watermark.verify import detection_lines
    from watermark.watermarker import Watermarker

    marker = Watermarker.from_pretrained(args.weights)
    found = marker.detect(load_audio(args.audio, allow_silent=True), threshold=args.threshold)

    def describe(_: dict) -> str:
        first, *rest = detection_lines(found)
        return "\n".join([f"{args.audio}: {first}", *(f"  {line}" for line in rest)])

    return print_result({"input": str(args.audio), **found.to_dict(frames=args.frames)}, args.json, describe)
