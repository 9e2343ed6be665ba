"""Export a training run's latest checkpoint as shipped weights + model card."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tts_moe import __version__
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.loader import save_pretrained
from tts_moe.acoustic.model import AcousticModel
from tts_moe.checkpoint import find_checkpoint, load_checkpoint
from tts_moe.errors import InputError

EXPERT_PLACEMENT = (
    "Experts replace the feed-forward of the last encoder blocks (moe_layers): there each "
    "phoneme's state already carries its context, and the duration, pitch and energy predictors "
    "read the result directly, so the gate (which also sees the speaker and style vector) "
    "decides per phoneme which expert shapes that phoneme's prosody. The decoder is shared and "
    "dense: it renders frames, which is the same job for every style."
)


def trained_voices(corpus: str | None, config: AcousticConfig) -> dict[str, dict]:
    """Per speaker: language and the styles it was trained on (from the corpus metadata,
    when the corpus is still on disk; else every style of the config)."""
    styles: dict[str, set[str]] = {}
    if corpus and (Path(corpus) / "metadata.jsonl").is_file():
        from tts_moe.corpus.metadata import load_metadata

        for record in load_metadata(Path(corpus), repair=False).values():
            styles.setdefault(record["speaker"], set()).add(record["style"])
    return {speaker: {"language": config.speaker_languages.get(speaker, "en-us"),
                      "styles": [s for s in config.styles if s in styles.get(speaker, config.styles)]}
            for speaker in config.speakers}


def export_run(run_dir: str | os.PathLike, to: str | os.PathLike, measured: dict | None = None) -> dict:
    """Write ``to/acoustic.safetensors`` + ``to/acoustic.json`` from ``run_dir``; returns the card."""
    run = Path(run_dir)
    config_path = run / "config.json"
    if not config_path.is_file():
        raise InputError(f"{run} is not an acoustic training run (no config.json)")
    saved = json.loads(config_path.read_text(encoding="utf-8"))
    checkpoint = find_checkpoint(run)
    if checkpoint is None:
        raise InputError(f"{run} holds no checkpoint yet")
    config = AcousticConfig.from_dict(saved["acoustic"])
    model = AcousticModel(config)
    state = load_checkpoint(checkpoint, {"model": model}, {})
    total = sum(p.numel() for p in model.parameters())
    aligner = sum(p.numel() for p in model.aligner.parameters())
    moe_blocks = [model.encoder[i].ff for i in config.moe_layers] if config.mixture else []
    expert_params = sum(p.numel() for ff in moe_blocks for p in (ff.w_in, ff.b_in, ff.w_out, ff.b_out))
    active = total - aligner - expert_params + expert_params * config.top_k // max(config.num_experts, 1)
    card = {
        "model": "tts-moe acoustic",
        "voices": trained_voices(state.get("corpus"), config),
        "toolkit_version": __version__,
        "kind": "mixture of experts" if config.mixture else "dense twin",
        "expert_placement": EXPERT_PLACEMENT if config.mixture else None,
        "parameters": {"inference_total": total - aligner, "active_per_phoneme": active,
                       "aligner_for_training": aligner},
        "training": {
            "corpus": state.get("corpus"), "corpus_hours": state.get("corpus_hours"),
            "train_clips": state.get("train_clips"), "held_out_clips": state.get("held_out_clips"),
            "steps": state.get("step"), "wall_seconds": round(state.get("wall_seconds", 0.0), 1),
            "options": saved["options"],
        },
        "validation": state.get("validation", [])[-1:] ,
        "measured": measured or {},
    }
    save_pretrained(model, to, card)
    return card
