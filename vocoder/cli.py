"""``tts-moe vocoder train | export | pitch | copy-synth``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tts_moe.cli import add_command_group, print_result
from tts_moe.errors import InputError
from tts_moe.train_cli import add_run_arguments, check_run_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``vocoder`` command with ``train``, ``export``, ``pitch`` and ``copy-synth``."""
    commands = add_command_group(
        subparsers, "vocoder",
        help="train, export and check the neural vocoder (log-mel -> waveform)",
        description="The neural vocoder: a ConvNeXt backbone at mel frame rate with an "
                    "inverse-STFT head, trained adversarially on a teacher corpus.",
    )

    add_train_parser(commands)

    export = commands.add_parser(
        "export", help="write a run's generator as fp16 safetensors + model card",
        description="Export RUN_DIR's latest checkpoint to DIR/vocoder.safetensors (fp16) and "
                    "DIR/vocoder.json (config, training data, steps, wall time, figures).",
    )
    export.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a `vocoder train` run folder")
    export.add_argument("--to", required=True, type=Path, metavar="DIR", help="output folder, e.g. vocoder/weights/")
    export.add_argument("--json", action="store_true", help="print the model card as JSON")
    export.set_defaults(func=_export)

    pitch = commands.add_parser(
        "pitch", help="compute a corpus' YIN pitch tracks into a --pitch-cache file, in parallel",
        description="Fill the pitch-track file that `vocoder train --pitch-cache FILE` reads, so a "
                    "first run on a fresh machine does not spend its first ~1,500 steps at half speed "
                    "computing them. Tracks already in FILE are kept and skipped.",
    )
    pitch.add_argument("corpus", metavar="CORPUS_DIR", type=Path, help="training corpus folder")
    pitch.add_argument("--cache", required=True, type=Path, metavar="FILE",
                       help="pitch-track file (.npz), e.g. CORPUS_DIR.pitch.npz")
    pitch.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    pitch.add_argument("--json", action="store_true", help="print the summary as JSON")
    pitch.set_defaults(func=_pitch)

    copy = commands.add_parser(
        "copy-synth", help="measure mel -> vocoder round trip of a clip (writes no audio)",
        description="Developer diagnostic: analyse IN (log-mel), resynthesise it with the "
                    "vocoder and with Griffin-Lim, and report mel distance (and PESQ/STOI when "
                    "installed). It deliberately writes NO audio: every synthesis path of the "
                    "toolkit must watermark, and this one cannot yet. Figures are printed and "
                    "saved to bench/results/vocoder_copy_synth.json.",
    )
    copy.add_argument("audio", metavar="IN", type=Path, help="audio file (any rate; resampled to 16 kHz)")
    copy.add_argument("--weights", metavar="PATH", help="vocoder folder or .safetensors (default: shipped)")
    from vocoder.precision import PRECISIONS

    copy.add_argument("--precision", choices=PRECISIONS, default="fp32",
                      help="backbone precision (bf16: faster on CPUs with bf16 units; default fp32)")
    copy.add_argument("--json", action="store_true", help="machine-readable output")
    copy.set_defaults(func=_copy_synth)


def add_train_parser(commands: argparse._SubParsersAction, name: str = "train") -> argparse.ArgumentParser:
    """The training subcommand (also reachable as `tts-moe train vocoder`)."""
    train = commands.add_parser(
        name, help="train (or resume) a vocoder on a corpus folder",
        description="Train on random segments of a corpus built by `tts-moe corpus build`. "
                    "Writes RUN_DIR/config.json, RUN_DIR/log.jsonl (losses, steps/s) and a "
                    "resumable checkpoint (safetensors + JSON) every --checkpoint-minutes.",
    )
    add_run_arguments(train, weights="vocoder/weights", checkpoint_minutes=15.0)
    train.add_argument("--batch", type=int, default=16, help="segments per batch (default 16)")
    train.add_argument("--segment-seconds", type=float, default=1.0, help="segment length (default 1.0)")
    train.add_argument("--preset", default="hn-base",
                       help="generator: hn-base (harmonic-plus-noise head, 7.7 M, default: the shipped one) or "
                            "hn-small (2.8 M), small or base (Vocos-style iSTFT head); hn-tiny and tiny are for "
                            "tests")
    train.add_argument("--mel-dir", metavar="DIR", help="fine-tune on predicted mels: DIR/ID.npy or "
                       "DIR/ID.safetensors ('mel', shape (n_mels, frames)) per clip id")
    train.add_argument("--pitch-cache", metavar="FILE",
                       help="harmonic head: a pitch-track file shared by runs on the same corpus; read at the "
                            "start and updated at every checkpoint, so a new run skips the YIN pass over clips "
                            "an earlier run analysed (each run folder also keeps its own copy)")
    train.add_argument("--allow-missing-mels", action="store_true",
                       help="with --mel-dir: use computed mels for clips without a predicted one")
    train.add_argument("--disc-start", type=int, default=1000,
                       help="step at which the discriminators join (default 1000; before: mel + STFT losses only)")
    train.add_argument("--disc-batch", type=int, default=8,
                       help="segments of each batch the discriminators see (default 8; 0 = all)")
    train.add_argument("--lr", type=float, default=5e-4, help="peak learning rate (default 5e-4)")
    train.add_argument("--schedule", choices=("cosine", "exponential"), default="cosine")
    train.add_argument("--bf16", action="store_true",
                       help="bf16 autocast for the generator's backbone and the discriminators (the head and "
                            "the losses stay float32); faster on CPUs with bf16 matmuls, see bench.vocoder")
    train.add_argument("--grow-layers", type=int, default=0, metavar="N",
                       help="with --init-from: append N backbone blocks that start as identities, so "
                            "training continues from the same output with more capacity")
    train.add_argument("--phase-terms", type=int, default=None, metavar="K",
                       help="harmonic head: predict K sine terms of a phase residual on the minimum-phase "
                            "filter per frame (with --init-from the new terms start at zero, so training "
                            "continues from the same output; default: the preset's or the initial weights')")
    train.add_argument("--mel-phase-terms", type=int, default=None, metavar="M",
                       help="harmonic head: M more phase-residual terms on a mel-warped frequency axis, finer "
                            "at low frequencies (starting at zero like --phase-terms)")
    train.add_argument("--loss-resolutions", metavar="N:HOP:MELS,...",
                       help="resolutions of the mel and STFT losses, n_fft:hop:n_mels each, averaged "
                            "(default 512:128:40,1024:256:80,2048:512:128; a short window such as 128:32:16 "
                            "sees the waveform within one pitch period, so the harmonics' relative phase)")
    train.add_argument("--holdout-speakers", default="", help="comma-separated speakers kept out of training")
    train.set_defaults(func=_train)
    return train


def _train(args: argparse.Namespace) -> int:
    from vocoder.losses import parse_resolutions
    from vocoder.train import TrainOptions, train

    check_run_arguments(args, "batch")
    if args.segment_seconds <= 0.1:
        raise InputError(f"--segment-seconds must exceed 0.1, got {args.segment_seconds}")
    options = TrainOptions(
        corpus=str(args.corpus), run_dir=str(args.out), steps=args.steps, batch_size=args.batch,
        segment_seconds=args.segment_seconds, seed=args.seed, device=args.device,
        preset=args.preset, resume=args.resume, init_from=args.init_from, mel_dir=args.mel_dir,
        pitch_cache=str(args.pitch_cache) if args.pitch_cache else None,
        allow_missing_mels=args.allow_missing_mels, disc_start_step=args.disc_start,
        disc_batch=args.disc_batch or None, lr=args.lr,
        schedule=args.schedule, bf16=args.bf16, grow_layers=args.grow_layers, phase_terms=args.phase_terms,
        mel_phase_terms=args.mel_phase_terms,
        **({"loss_resolutions": parse_resolutions(args.loss_resolutions)} if args.loss_resolutions else {}),
        holdout_speakers=tuple(s for s in args.holdout_speakers.split(",") if s),
        checkpoint_minutes=args.checkpoint_minutes, max_minutes=args.max_minutes,
        threads=args.threads,
    )
    state = train(options, log=lambda line: print(line, file=sys.stderr, flush=True))
    return print_result(state, args.json)


def _export(args: argparse.Namespace) -> int:
    from vocoder.export import export_run

    card = export_run(args.run_dir, args.to)
    return print_result(card, args.json, lambda c: f"wrote {args.to / 'vocoder.safetensors'} and vocoder.json "
                                                   f"(step {c['training']['steps']}, {c['parameters'] / 1e6:.2f} M "
                                                   "parameters)")


def _pitch(args: argparse.Namespace) -> int:
    from vocoder.pitch_cache import fill_pitch_cache

    summary = fill_pitch_cache(args.corpus, args.cache, jobs=args.jobs,
                               log=lambda line: print(line, file=sys.stderr, flush=True))
    return print_result(summary, args.json, lambda s: f"{s['cache']}: {s['computed']} tracks computed, "
                                                     f"{s['reused']} reused ({s['clips']} clips, {s['seconds']} s)")


def _copy_synth(args: argparse.Namespace) -> int:
    from vocoder.evaluate import copy_synthesis_figures
    from vocoder.loader import Vocoder

    vocoder = Vocoder.from_pretrained(args.weights, precision=args.precision)
    figures = copy_synthesis_figures(vocoder, args.audio)
    from bench.common import Row, write_results

    rows = [Row(k, v) for k, v in figures.items() if isinstance(v, (int, float))]
    path = write_results("vocoder_copy_synth", f"copy synthesis of {args.audio}", rows,
                         {"input": str(args.audio), "weights": str(args.weights or "shipped"),
                          "precision": vocoder.precision})
    return print_result({**figures, "results": str(path)}, args.json,
                        lambda _: "\n".join([*(f"{key}: {value}" for key, value in figures.items()), f"saved {path}"]))
