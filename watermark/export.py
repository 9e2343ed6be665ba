"""Export a training run as shipped weights: fp16 safetensors + JSON model card."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from tts_moe.errors import InputError
from tts_moe.checkpoint import find_checkpoint, load_checkpoint
from watermark.model import WatermarkConfig, build_networks, parameter_count
from watermark.watermarker import DEFAULT_THRESHOLD, Watermarker

CARD_KEYS = ("batch_size", "segment_seconds", "lr", "seed", "preset", "weights", "codecs",
             "splice_probability", "bf16", "init_from")


def figures_from_bench(path: str | os.PathLike) -> tuple[float | None, dict]:
    """(calibrated threshold, {metric: value}) from a ``bench/watermark.py`` results file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = {row["metric"]: row["value"] for row in data["rows"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read watermark bench results {path}: {error}") from None
    return data.get("threshold"), rows


def export_run(run_dir: str | os.PathLike, to: str | os.PathLike, *,
               detection_threshold: float = DEFAULT_THRESHOLD, measured: dict | None = None,
               mark_snr_db: float | None = None) -> dict:
    """Write ``to/watermark.safetensors`` and ``to/watermark.json``; returns the card.

    ``detection_threshold`` should come from ``bench/watermark.py`` (calibrated for a false
    positive rate of 1e-3 on unmarked speech); 0.5 until then. ``mark_snr_db``: ship the
    mark at this level (card ``config.target_snr_db``) instead of the training level."""
    run = Path(run_dir)
    if not (run / "config.json").is_file():
        raise InputError(f"{run} is not a watermark run folder (no config.json)")
    checkpoint = find_checkpoint(run)
    if checkpoint is None:
        raise InputError(f"{run} has no checkpoint yet: train first (`tts-moe watermark train`)")
    saved = json.loads((run / "config.json").read_text(encoding="utf-8"))
    trained = WatermarkConfig.from_dict(saved["watermark"])
    networks = build_networks(trained if mark_snr_db is None else replace(trained, target_snr_db=float(mark_snr_db)))
    state = load_checkpoint(checkpoint, {"generator": networks.generator, "detector": networks.detector}, {})
    options = saved.get("options", {})
    card = {
        "model": "tts-moe watermark: AudioSeal architecture (SEANet generator + detector), "
                 "16 kHz, trained from scratch; 16-bit payload in the keyed spread-spectrum channel of "
                 "watermark/payload.py (card key payload)",
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "weights_dtype": "float16",
        "parameters": {"generator": parameter_count(networks.generator),
                       "detector": parameter_count(networks.detector)},
        "config": networks.config.to_dict(),
        "detection_threshold": detection_threshold,
        "training_target_snr_db": trained.target_snr_db,
        # verify uses decoded payloads to find ledger clips only when this is >= 0.95
        "payload_bit_accuracy": (measured or {}).get("bit accuracy: clean"),
        "training": {"steps": state.get("step"), "wall_seconds": round(state.get("wall_seconds", 0.0), 1),
                     "corpus": state.get("corpus"), "corpus_hours": state.get("corpus_hours"),
                     "train_clips": state.get("train_clips"),
                     "options": {k: options.get(k) for k in CARD_KEYS if k in options}},
        "measured": {"validation": state.get("validation", [])[-1:],
                     **({"bench": measured} if measured else
                        {"note": "run `python -m bench.watermark --weights DIR` for the robustness table"})},
    }
    Watermarker(networks, card).save_pretrained(to, card)
    return card
