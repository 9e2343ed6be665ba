"""Export a training run's generator as shipped weights: fp16 safetensors + model card."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from tts_moe.errors import InputError
from tts_moe.checkpoint import find_checkpoint
from vocoder.config import VocoderConfig
from tts_moe.weights import read_fp16, strict_load
from vocoder.loader import Vocoder
from vocoder.model import Generator, parameter_count

CARD_KEYS = ("batch_size", "segment_seconds", "lr", "schedule", "disc_start_step", "adversarial",
             "mel_weight", "stft_weight", "adv_weight", "fm_weight", "bf16", "seed", "preset",
             "init_from", "grow_layers", "phase_terms", "mel_phase_terms", "loss_resolutions", "mel_dir", "holdout_speakers", "holdout_fraction", "discriminator", "f0_weight")
MODEL_NAMES = {
    "istft": "tts-moe vocoder: ConvNeXt backbone at mel frame rate + inverse-STFT head",
    "harmonic": "tts-moe vocoder: ConvNeXt backbone at mel frame rate + harmonic-plus-noise head "
                "(predicted F0 drives a pulse train and noise, filtered per STFT bin)",
}


def export_run(run_dir: str | os.PathLike, to: str | os.PathLike) -> dict:
    """Write ``to/vocoder.safetensors`` (fp16) and ``to/vocoder.json``; returns the card."""
    run = Path(run_dir)
    config_path = run / "config.json"
    if not config_path.is_file():
        raise InputError(f"{run} is not a vocoder run folder (no config.json)")
    checkpoint = find_checkpoint(run)
    if checkpoint is None:
        raise InputError(f"{run} has no checkpoint yet: train first (`tts-moe vocoder train`)")
    saved = json.loads(config_path.read_text(encoding="utf-8"))
    state = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
    config = VocoderConfig.from_dict(saved["vocoder"])
    generator = Generator(config)
    weights = checkpoint / "generator.safetensors"
    strict_load(generator, read_fp16(weights, "", what="vocoder checkpoint"), str(weights))
    options = saved.get("options", {})
    card = {
        "model": MODEL_NAMES[config.head],
        "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "weights_dtype": "float16",
        "parameters": parameter_count(generator),
        "config": config.to_dict(),
        "training": {
            "steps": state["step"],
            "wall_seconds": round(state.get("wall_seconds", 0.0), 3),
            "corpus": state.get("corpus"),
            "corpus_kind": state.get("corpus_kind"),
            "corpus_hours": state.get("corpus_hours"),
            "speakers": state.get("corpus_speakers"),
            "held_out_speakers": state.get("held_out_speakers"),
            "train_clips": state.get("train_clips"),
            "held_out_clips": state.get("held_out_clips"),
            "mel_source": state.get("mel_source"),
            # tuned on these acoustic weights' predicted mels: Synthesizer picks it for them
            "tuned_for_acoustic": state.get("acoustic_fingerprint"),
            "options": {k: options.get(k) for k in CARD_KEYS if k in options},
        },
        "measured": {
            "validation": state.get("validation", [])[-1:],
            "note": "held-out log-mel L1 at the last checkpoint; run `python -m bench.vocoder "
                    "--weights DIR --corpus HELD_OUT --update-card` for PESQ/STOI/RTF",
        },
    }
    Vocoder(generator, card).save_pretrained(to, card)
    return card
