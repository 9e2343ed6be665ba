"""The frame shared by the per-clip vocoder probes (``bench.vocoder_ceiling``,
``bench.vocoder_regions``, ``bench.vocoder_drift``): their common arguments, the loop over held-out clips, per-speaker
rows and the saved results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

from bench._vocoder_quality import corpus_clips, per_speaker
from bench.acoustic import DEFAULT_CORPUS
from bench.common import Row, print_table, write_results
from tts_moe.paths import REPO_ROOT


def add_arguments(parser: argparse.ArgumentParser, results: str, per_speaker_default: int,
                  max_seconds: float) -> None:
    """``--weights --corpus --per-speaker --max-seconds --threads --results``."""
    parser.add_argument("--weights", default=str(REPO_ROOT / "vocoder" / "weights"), help="vocoder folder")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="test corpus (default heldout-test)")
    parser.add_argument("--per-speaker", type=int, default=per_speaker_default,
                        help=f"clips per speaker (default {per_speaker_default})")
    parser.add_argument("--max-seconds", type=float, default=max_seconds,
                        help=f"use the first N seconds of each clip (default {max_seconds:g})")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", default=results, help=f"results name: bench/results/NAME.json ({results})")


def run_clips(args: argparse.Namespace, vocoder, score: Callable[[np.ndarray], dict],
              describe: Callable[[dict], str]) -> list[dict]:
    """``[{"clip", "speaker", **score(audio)}]`` over ``args.per_speaker`` clips of every
    speaker of ``args.corpus`` (float32 audio at the vocoder's rate, at most
    ``args.max_seconds``), printing ``describe(row)`` after each."""
    from tts_moe.audio import load_audio

    rate = vocoder.config.mel_config.sample_rate
    per_clip = []
    for clip in corpus_clips(args.corpus, args.per_speaker, vocoder.card.get("training")):
        audio = np.asarray(load_audio(clip["path"], rate), dtype=np.float32)[: int(args.max_seconds * rate)]
        row = {"clip": clip["path"], "speaker": clip["speaker"], **score(audio)}
        per_clip.append(row)
        print(f"{clip['speaker']}: {describe(row)}", flush=True)
    return per_clip


def speaker_rows(per_clip: list[dict], keys: tuple[str, ...], label: str) -> list[Row]:
    """One row per speaker: ``"SPEAKER: LABEL"`` with the means of ``keys``, ``"a / b"``."""
    means = [per_speaker(per_clip, key) for key in keys]
    return [Row(f"{speaker}: {label}", " / ".join(f"{m[speaker]:.2f}" for m in means)) for speaker in means[0]]


def save(args: argparse.Namespace, title: str, rows: list[Row], per_clip: list[dict]) -> None:
    """Print the table and write ``bench/results/<args.results>.json`` with every clip."""
    print_table(title, rows)
    path = write_results(args.results, title, rows, {"weights": args.weights, "corpus": str(args.corpus),
                                                      "clips": per_clip})
    print(f"\nwrote {path}")
