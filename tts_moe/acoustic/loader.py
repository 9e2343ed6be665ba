"""Shipped acoustic-model weights: ``tts_moe/acoustic/weights/acoustic.safetensors`` (fp16:
the inference modules, plus the small aligner that only training uses) and the model card
``acoustic.json`` (``{"config": AcousticConfig, "training": ..., "measured": ...}``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.model import AcousticModel
from tts_moe.errors import InputError, ModelNotAvailableError
from tts_moe.text.symbols import SymbolTable
from tts_moe.weights import read_card as read_shared_card, read_fp16, save_fp16, strict_load

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_NAME, CARD_NAME = "acoustic.safetensors", "acoustic.json"
WHAT = "acoustic model"


def resolve(path: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(weights file, card file) for a folder or a ``.safetensors`` path (default: shipped)."""
    default = path is None
    path = WEIGHTS_DIR if default else Path(path)
    weights, card = (path / WEIGHTS_NAME, path / CARD_NAME) if default or path.is_dir() else (
        path, path.with_suffix(".json"))
    if not weights.is_file():
        hint = " (train one with `tts-moe train acoustic` and export it)" if default else ""
        raise ModelNotAvailableError(f"acoustic model weights not found: {weights}{hint}")
    if not card.is_file():
        raise InputError(f"acoustic model card not found beside {weights}: expected {card}")
    return weights, card


def read_card(path: str | os.PathLike | None = None) -> dict:
    return read_shared_card(resolve(path)[1], what=WHAT)


def inference_state(model: AcousticModel) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if not k.startswith("aligner.")}


def fingerprint(model: AcousticModel) -> str:
    """16 hex digits identifying ``model``'s inference weights (sha256 over their fp16 bytes,
    in name order): what a cloned voice was fitted to (:mod:`voices.enroll`) and what a vocoder
    fine-tuned on predicted mels suits (:func:`vocoder.loader.weights_for_acoustic`)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(inference_state(model).items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to(torch.float16).contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def save_pretrained(model: AcousticModel, folder: str | os.PathLike, card: dict) -> Path:
    """Export ``model`` (fp16) with ``card`` (config filled in): the inference modules under
    ``model.*`` and the small training-only aligner under ``aligner.*`` (so that training can
    resume from shipped weights with its alignment intact)."""
    card = {**card, "config": model.config.to_dict()}
    return save_fp16(folder, WEIGHTS_NAME, CARD_NAME,
                     {"model": inference_state(model), "aligner": model.aligner.state_dict()}, card, what=WHAT)


def load_weights(model: AcousticModel, path: str | os.PathLike | None = None) -> None:
    """Load shipped/exported weights into ``model``: the inference modules strictly, the
    aligner when the file has it (older exports did not: it then keeps its state)."""
    weights, _ = resolve(path)
    strict_load(model, read_fp16(weights, "model", what=WHAT), str(weights), expected=inference_state(model))
    aligner = read_fp16(weights, "aligner", what=WHAT)
    if aligner:
        strict_load(model.aligner, aligner, f"{weights} (aligner)")


def load_model(path: str | os.PathLike | None = None) -> AcousticModel:
    """The acoustic model from shipped (default) or exported weights, in eval mode, fp32.

    Refuses a card whose symbol table does not match this toolkit's, saying what differs."""
    card = read_card(path)
    config = AcousticConfig.from_dict(card["config"])
    symbols = SymbolTable()
    if config.symbols_version != symbols.version or config.n_symbols != len(symbols):
        raise InputError(
            f"acoustic model {resolve(path)[0]} was trained with symbol table {config.symbols_version!r} "
            f"({config.n_symbols} symbols) but this toolkit uses {symbols.version!r} ({len(symbols)} symbols)")
    model = AcousticModel(config)
    load_weights(model, path)
    return model.eval()
