"""Shipped weights on disk, shared by every model package: fp16 safetensors plus a JSON
model card, written atomically and loaded strictly (names and shapes checked). No pickles.

A weights file holds ``MODULE.PARAM`` keys for each named module, e.g. ``generator.*`` and
``detector.*`` (a file of a single module may use the empty name: plain ``PARAM`` keys);
the card holds at least ``{"config": {...}}`` and, by convention,
``training`` and ``measured`` sections.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from tts_moe.errors import InputError, OutputError


def save_fp16(folder: str | os.PathLike, weights_name: str, card_name: str,
              modules: dict[str, torch.nn.Module | dict[str, torch.Tensor]], card: dict, *, what: str) -> Path:
    """Write ``folder/weights_name`` (fp16) and ``folder/card_name`` atomically; ``modules``
    maps names to modules or to state dicts."""
    from safetensors.torch import save_file

    folder = Path(folder)
    states = {name: m.state_dict() if isinstance(m, torch.nn.Module) else m for name, m in modules.items()}
    tensors = {f"{name}.{key}" if name else key: value.detach().to(torch.float16).contiguous()
               for name, state in states.items() for key, value in state.items()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{weights_name}.tmp"
        save_file(tensors, str(temp), metadata={"format": "pt", "dtype": "float16"})
        os.replace(temp, folder / weights_name)
        temp = folder / f".{card_name}.tmp"
        temp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temp, folder / card_name)
    except OSError as error:
        raise OutputError(f"cannot write {what} weights to {folder}: {error}") from None
    return folder / weights_name


def read_card(path: Path, *, what: str) -> dict:
    """The model card at ``path``; it must hold a ``config`` object."""
    try:
        card = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{what} model card {path} is unreadable: {error}") from None
    if not isinstance(card, dict) or not isinstance(card.get("config"), dict):
        raise InputError(f"{what} model card {path} has no 'config' object")
    return card


def read_fp16(path: Path, name: str, *, what: str) -> dict[str, torch.Tensor]:
    """The fp32 state dict stored under prefix ``name.`` in a safetensors file (every
    tensor when ``name`` is empty)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as error:
        raise InputError(f"cannot read {what} weights {path}: {error}") from None
    prefix = f"{name}." if name else ""
    return {k[len(prefix):]: v.float() for k, v in tensors.items() if k.startswith(prefix)}


def load_fp16(path: Path, modules: dict[str, torch.nn.Module], *, what: str) -> None:
    """Load a safetensors file into ``modules`` (keys ``NAME.PARAM``, upcast to fp32)."""
    for name, module in modules.items():
        strict_load(module, read_fp16(path, name, what=what), f"{path} ({name})")


def strict_load(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str,
                expected: dict[str, torch.Tensor] | None = None) -> None:
    """``module.load_state_dict(state)`` with a readable error for missing, unexpected or
    wrongly shaped tensors; ``expected`` (default: the module's whole state dict) names the
    tensors the file must hold exactly."""
    full = expected is None
    expected = module.state_dict() if full else expected
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    wrong = sorted(k for k in expected.keys() & state.keys() if state[k].shape != expected[k].shape)
    if missing or unexpected or wrong:
        raise InputError(
            f"weights {source} do not fit the model: {len(missing)} missing (e.g. {missing[:2]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:2]}), {len(wrong)} of the wrong shape "
            f"(e.g. {wrong[:2]}); is it the right file and model size?"
        )
    module.load_state_dict(state, strict=full)
