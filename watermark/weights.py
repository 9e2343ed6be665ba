"""Weights on disk: our own (fp16 safetensors + JSON model card) and official AudioSeal
state dicts (``.pth`` read with ``torch.load(weights_only=True)``, or ``.safetensors``).

Layout of our weights folder (default ``watermark/weights/``)::

    watermark.safetensors   generator.* and detector.* tensors, float16
    watermark.json          model card: {"config": WatermarkConfig, "detection_threshold": ...}
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import torch

from tts_moe.errors import InputError, ModelNotAvailableError
from tts_moe.weights import load_fp16, read_card as read_shared_card, save_fp16, strict_load

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_NAME, CARD_NAME = "watermark.safetensors", "watermark.json"


def resolve(path: str | os.PathLike | None) -> tuple[Path, Path]:
    """(weights file, card file) for a folder or a ``.safetensors`` path (default: shipped)."""
    default = path is None
    path = WEIGHTS_DIR if default else Path(path)
    weights, card = (path / WEIGHTS_NAME, path / CARD_NAME) if path.is_dir() or default else (
        path, path.with_suffix(".json"))
    if not weights.is_file():
        hint = (" (no trained watermark ships yet: train one with `tts-moe watermark train` and "
                "`tts-moe watermark export`, or point at a folder of official AudioSeal checkpoints)"
                ) if default else (" (or a folder with one official AudioSeal generator*.pth and "
                                   "detector*.pth)" if path.is_dir() else "")
        raise ModelNotAvailableError(f"watermark weights not found: {weights}{hint}")
    if not card.is_file():
        raise InputError(f"watermark model card not found beside {weights}: expected {card}")
    return weights, card


OFFICIAL_SUFFIXES = (".pth", ".pt", ".safetensors")


def find_official_pair(folder: str | os.PathLike | None) -> tuple[Path, Path] | None:
    """(generator, detector) files of official AudioSeal checkpoints in ``folder`` (names
    containing "generator" and "detector", e.g. ``generator_base.pth``), or None when the
    folder holds our own weights, nothing of the kind, or more than one candidate of a kind."""
    if folder is None or not Path(folder).is_dir() or (Path(folder) / WEIGHTS_NAME).is_file():
        return None
    files = [p for p in sorted(Path(folder).iterdir()) if p.suffix in OFFICIAL_SUFFIXES and p.is_file()]
    generators = [p for p in files if "generator" in p.name.lower()]
    detectors = [p for p in files if "detector" in p.name.lower()]
    if len(generators) == 1 and len(detectors) == 1:
        return generators[0], detectors[0]
    return None


def read_card(path: Path) -> dict:
    return read_shared_card(path, what="watermark")


def save_weights(folder: str | os.PathLike, modules: dict[str, torch.nn.Module], card: dict) -> Path:
    """Write ``folder/watermark.safetensors`` (fp16) and ``folder/watermark.json`` atomically."""
    return save_fp16(folder, WEIGHTS_NAME, CARD_NAME, modules, card, what="watermark")


def load_weights(path: Path, modules: dict[str, torch.nn.Module]) -> None:
    """Load our safetensors file into ``modules`` (keys ``NAME.PARAM``), checking names/shapes."""
    load_fp16(path, modules, what="watermark")


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from ``.safetensors`` or a torch file (never unpickling arbitrary objects).

    Accepts a plain ``{name: tensor}`` or a checkpoint with the dict under ``"model"``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (OSError, SafetensorError) as error:
            raise InputError(f"cannot read {path}: {error}") from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "global" not in str(error).lower():
            raise InputError(f"cannot read checkpoint {path}: not a torch file ({_last_line(error)})") from None
        raise InputError(
            f"{path} holds Python objects besides tensors, which are not loaded for safety "
            f"({_last_line(error)}). Re-save only its state dict, e.g. "
            "torch.save(checkpoint['model'], 'generator_state.pth'), or as safetensors"
        ) from None
    except Exception as error:  # torch.load raises many types for a damaged file
        raise InputError(f"cannot read checkpoint {path}: not a readable torch file ({error})") from None
    if isinstance(data, dict) and isinstance(data.get("model"), dict):
        data = data["model"]
    if not isinstance(data, dict) or not all(torch.is_tensor(v) for v in data.values()):
        raise InputError(f"{path} is not a state dict (a mapping of names to tensors)")
    return data


def _last_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "global" in line.lower()]
    return (named or lines or [type(error).__name__])[-1]


_RENAMES = ((r"\.conv\.(weight|bias)$", r".conv.inner_conv.\1"),
            (r"\.convtr\.(weight|bias)$", r".convtr.inner_conv.\1"))


def adapt_state_dict(state: dict[str, torch.Tensor], expected: set[str]) -> dict[str, torch.Tensor]:
    """Fit an AudioSeal state dict to the 0.2.0 module names: fold weight norm
    (``weight_g``/``weight_v`` or ``parametrizations.weight.original0/1``) into ``weight``
    and add the ``inner_conv`` level where older checkpoints lack it."""
    folded: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for g_name, v_name in ((".weight_g", ".weight_v"),
                               (".parametrizations.weight.original0", ".parametrizations.weight.original1")):
            if key.endswith(g_name):
                prefix = key[: -len(g_name)]
                v = state[prefix + v_name]
                norm = v.flatten(1).norm(dim=1).reshape(-1, *([1] * (v.ndim - 1)))
                folded[prefix + ".weight"] = v * (value / norm)
                break
        else:
            if not key.endswith((".weight_v", ".parametrizations.weight.original1")):
                folded[key] = value
    adapted = {}
    for key, value in folded.items():
        if key not in expected:
            for pattern, replacement in _RENAMES:
                candidate = re.sub(pattern, replacement, key)
                if candidate in expected:
                    key = candidate
                    break
        adapted[key] = value
    return adapted


def load_official(module: torch.nn.Module, path: str | os.PathLike, what: str) -> None:
    state = adapt_state_dict(read_state_dict(path), set(module.state_dict()))
    strict_load(module, {k: v.float() for k, v in state.items()}, f"{path} ({what})")
