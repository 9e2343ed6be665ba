"""``tts-moe train acoustic`` and ``tts-moe acoustic export``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from tts_moe.cli import add_command_group, print_result
from tts_moe.errors import InputError
from tts_moe.train_cli import add_run_arguments, check_run_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    commands = add_command_group(
        subparsers, "acoustic", help="export and inspect the MoE acoustic model",
        description="The acoustic model: phonemes + speaker + style -> log-mel, with per-phoneme "
                    "mixture-of-experts routing. Train it with `tts-moe train acoustic`.")
    export = commands.add_parser(
        "export", help="write a run's model as fp16 safetensors + model card",
        description="Export RUN_DIR's latest checkpoint to DIR/acoustic.safetensors (fp16, without "
                    "the training-only aligner) and DIR/acoustic.json (config, data, steps, figures).")
    export.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a `train acoustic` run folder")
    export.add_argument("--to", required=True, type=Path, metavar="DIR",
                        help="output folder, e.g. tts_moe/acoustic/weights/")
    export.add_argument("--measured", type=Path, metavar="JSON",
                        help="benchmark results (JSON) to record in the model card")
    export.add_argument("--json", action="store_true", help="print the model card as JSON")
    export.set_defaults(func=_export)

    predict = commands.add_parser(
        "predict-mels", help="write the model's ground-truth-aligned mels of a corpus (for vocoder fine-tuning)",
        description="Teacher-forced predictions (durations aligned to each clip's own audio, its pitch and "
                    "energy) for every clip of CORPUS_DIR, as OUT/CLIP_ID.npy (float16, (80, frames)), the "
                    "layout `tts-moe train vocoder --mel-dir OUT` reads, and OUT/source.json naming the acoustic "
                    "weights (a vocoder tuned on OUT records them). Existing files are kept (resumable); a folder "
                    "holding another model's mels, or mels of unknown origin, is refused.")
    predict.add_argument("corpus", metavar="CORPUS_DIR", type=Path, help="corpus folder (metadata.jsonl)")
    predict.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    predict.add_argument("--weights", metavar="PATH", help="acoustic weights (default: shipped)")
    predict.add_argument("--max-frames", type=int, default=6000, help="padded frames per batch (default 6000)")
    predict.add_argument("--limit", type=int, help="only the first N clips")
    predict.add_argument("--overwrite", action="store_true", help="recompute files that already exist (mels of other or unknown acoustic weights in "
                              "DIR are deleted first, so the folder never mixes two models)")
    predict.add_argument("--adopt", action="store_true",
                         help="declare the mels already in DIR (written before source.json existed) to be these "
                              "weights' own instead of refusing them")
    predict.add_argument("--cache", type=Path, metavar="DIR", help="feature cache folder (default CORPUS/.cache/acoustic)")
    predict.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    predict.add_argument("--json", action="store_true", help="print the summary as JSON")
    predict.set_defaults(func=_predict_mels)


def add_train_parser(commands: argparse._SubParsersAction, name: str = "acoustic") -> argparse.ArgumentParser:
    train = commands.add_parser(
        name, help="train (or resume) the MoE acoustic model on a corpus folder",
        description="Train on a corpus built by `tts-moe corpus build` (any folder with "
                    "metadata.jsonl of audio + phonemes). Alignment is learned from the audio. "
                    "Writes RUN_DIR/config.json, RUN_DIR/log.jsonl (losses, validation, expert "
                    "shares, routing entropy) and a resumable checkpoint every --checkpoint-minutes.")
    add_run_arguments(train, weights="tts_moe/acoustic/weights", checkpoint_minutes=5.0,
                      init_help="; the aligner comes with them; such a run skips the short-sentences curriculum, "
                                "warms up for 50 steps and binarises the alignment from the start")
    train.add_argument("--dense", action="store_true",
                       help="train the dense twin (same active parameters, no routing) instead of the MoE")
    train.add_argument("--experts", type=int, help="number of experts N (default 8)")
    train.add_argument("--top-k", type=int, help="experts per phoneme k (default 2; 1 supported)")
    train.add_argument("--balance-weight", type=float,
                       help="weight of the Switch load-balancing loss (default 0.01; may change with --init-from)")
    train.add_argument("--z-weight", type=float, help="weight of the router z-loss (default 0.001)")
    train.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    train.add_argument("--max-frames", type=int, default=4000, help="padded frames per batch (default 4000)")
    train.add_argument("--decay-minutes", type=float,
                       help="end the cosine learning-rate decay after this many minutes of training wall time "
                            "instead of at --steps (for comparisons at one wall-clock budget)")
    train.add_argument("--bf16", action="store_true", help="bf16 autocast (CPU: measured faster)")
    train.add_argument("--cache", type=Path, metavar="DIR", help="feature cache folder (default CORPUS/.cache/acoustic)")
    train.set_defaults(func=_train)
    return train


def _train(args: argparse.Namespace) -> int:
    from tts_moe.acoustic.train import TrainOptions, train

    check_run_arguments(args, "max_frames")
    if args.decay_minutes is not None and not (math.isfinite(args.decay_minutes) and args.decay_minutes > 0):
        raise InputError(f"--decay-minutes must be positive, got {args.decay_minutes}")
    overrides = {}
    if args.experts is not None:
        overrides["num_experts"] = args.experts
    if args.top_k is not None:
        overrides["top_k"] = args.top_k
    for name in ("balance_weight", "z_weight"):
        if getattr(args, name) is not None:
            if getattr(args, name) < 0:
                raise InputError(f"--{name.replace('_', '-')} must not be negative, got {getattr(args, name)}")
            overrides[name] = getattr(args, name)
    options = TrainOptions(corpus=str(args.corpus), run_dir=str(args.out), steps=args.steps, seed=args.seed,
                           mixture=not args.dense, config=overrides, resume=args.resume, init_from=args.init_from,
                           lr=args.lr, max_frames=args.max_frames, bf16=args.bf16,
                           checkpoint_minutes=args.checkpoint_minutes, max_minutes=args.max_minutes,
                           decay_minutes=args.decay_minutes, threads=args.threads,
                           cache_dir=str(args.cache) if args.cache else None,
                           device=args.device, **(FROM_TRAINED if args.init_from else {}))
    state = train(options, log=lambda line: print(line, file=sys.stderr, flush=True))
    return print_result(state, args.json)


# a run that starts from trained weights skips what only a fresh model needs: the short-sentences
# curriculum, the long warm-up and the delay before the alignment is binarised
FROM_TRAINED = {"curriculum_steps": 0, "warmup_steps": 50, "binarize_after": 0}


def _predict_mels(args: argparse.Namespace) -> int:
    import torch

    from tts_moe.acoustic.predict_mels import predict_corpus_mels

    if args.max_frames < 1 or (args.limit is not None and args.limit < 1):
        raise InputError("--max-frames and --limit must be at least 1")
    if not args.corpus.is_dir():
        raise InputError(f"corpus folder not found: {args.corpus}")
    if args.threads:
        torch.set_num_threads(args.threads)
    summary = predict_corpus_mels(args.corpus, args.out, weights=args.weights, max_frames=args.max_frames,
                                  cache_dir=args.cache, limit=args.limit, overwrite=args.overwrite, adopt=args.adopt,
                                  log=(lambda line: None) if args.json else
                                  (lambda line: print(line, file=sys.stderr, flush=True)))
    return print_result(summary, args.json, lambda s: f"wrote {s['written']} mels to {s['out']} (mean L1 to the "
                                                      f"real mels {s['mean_l1']:.3f})")


def _export(args: argparse.Namespace) -> int:
    from tts_moe.acoustic.export import export_run

    measured = None
    if args.measured:
        try:
            measured = json.loads(args.measured.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"cannot read --measured {args.measured}: {error}") from None
    card = export_run(args.run_dir, args.to, measured)
    return print_result(card, args.json, lambda c: f"wrote {args.to / 'acoustic.safetensors'} and acoustic.json "
                                                   f"(step {c['training']['steps']}, "
                                                   f"{c['parameters']['inference_total'] / 1e6:.2f} M parameters)")
