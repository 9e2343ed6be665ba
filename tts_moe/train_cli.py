"""``tts-moe train acoustic | vocoder | watermark``: one entry point for every training loop
(the vocoder and watermark loops are also reachable as ``tts-moe vocoder train`` and
``tts-moe watermark train``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tts_moe.cli import add_command_group
from tts_moe.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    from tts_moe.acoustic import cli as acoustic_cli
    from vocoder import cli as vocoder_cli
    from watermark import cli as watermark_cli

    commands = add_command_group(
        subparsers, "train", help="train a model (acoustic, vocoder or watermark) on a corpus folder",
        description="Training entry points. Every run is seeded, logged to RUN_DIR/log.jsonl and "
                    "resumable with --resume; export the result with `tts-moe MODEL export`.")
    acoustic_cli.add_train_parser(commands, "acoustic")
    vocoder_cli.add_train_parser(commands, "vocoder")
    watermark_cli.add_train_parser(commands, "watermark")


DEFAULT_STEPS = 20_000


def _saved_steps(run: Path) -> int | None:
    """The total steps recorded in ``run/config.json`` (None when absent or unreadable)."""
    try:
        saved = json.loads((Path(run) / "config.json").read_text(encoding="utf-8"))
        return int(saved["options"]["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def add_run_arguments(train: argparse.ArgumentParser, *, weights: str, checkpoint_minutes: float,
                      init_help: str = "") -> None:
    """The options every training command shares: corpus, run folder, steps, resuming,
    checkpoints, device/threads, seed and ``--json``. ``weights`` names the model's shipped
    weights folder for the ``--init-from`` help; model-specific options are added by the caller."""
    train.add_argument("corpus", metavar="CORPUS_DIR", type=Path, help="training corpus folder")
    train.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder")
    train.add_argument("--steps", type=int, default=None,
                       help=f"total optimizer steps (default {DEFAULT_STEPS}; with --resume: the run's own, "
                            "so the learning-rate schedule is not silently changed)")
    train.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its checkpoint")
    train.add_argument("--init-from", metavar="PATH",
                       help=f"start from exported weights, e.g. {weights} (folder or .safetensors){init_help}")
    train.add_argument("--checkpoint-minutes", type=float, default=checkpoint_minutes,
                       help=f"checkpoint interval (default {checkpoint_minutes:g})")
    train.add_argument("--max-minutes", type=float, help="stop (with a checkpoint) after this many minutes")
    train.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    train.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    train.add_argument("--seed", type=int, default=0, help="seed of initialisation and batches (default 0)")
    train.add_argument("--json", action="store_true", help="print the final state as JSON")


def check_run_arguments(args: argparse.Namespace, *positive: str) -> None:
    """Fill in ``--steps`` (the resumed run's own, else the default) and refuse a missing
    corpus folder and non-positive counts (``--steps`` and ``positive``)."""
    if args.steps is None:
        args.steps = _saved_steps(args.out) if args.resume else None
        args.steps = args.steps or DEFAULT_STEPS
    for name in ("steps", *positive):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise InputError(f"--max-minutes must be positive, got {args.max_minutes}")
    if not args.corpus.is_dir():
        raise InputError(f"corpus folder not found: {args.corpus}")
