"""Resumable training checkpoints without pickles: tensors in safetensors, scalars in JSON.

Shared by every training loop (vocoder, watermark, acoustic). Layout of
``RUN_DIR/checkpoint/``, for modules ``{NAME: module}`` and optimizers ``{OPT: optimizer}``::

    NAME.safetensors            fp32 weights of each module (e.g. generator, discriminator)
    optim_OPT.safetensors       optimizer state tensors, keys "PARAM_INDEX.NAME"
    state.json                  step, wall time, validation figures, optimizer param groups

A new checkpoint is written to a temporary folder and swapped in with renames, so a crash
leaves either the old or the new checkpoint (``.checkpoint-old`` is tried as a fallback).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from tts_moe.errors import InputError, OutputError

FOLDER, OLD, NEW = "checkpoint", ".checkpoint-old", ".checkpoint-new"


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict]]:
    """Split an optimizer state dict into flat tensors and JSON-able param groups."""
    state = optimizer.state_dict()
    tensors = {}
    for index, slots in state["state"].items():
        for name, value in slots.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{index}.{name}"] = tensor.detach().contiguous().clone()
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()}
              for g in state["param_groups"]]
    return tensors, groups


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                      groups: list[dict]) -> None:
    state: dict[int, dict] = {}
    for key, tensor in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = tensor
    groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in groups]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def save_checkpoint(run_dir: Path, modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], state: dict) -> Path:
    """Write modules, optimizers and ``state`` (JSON-able) as the run's checkpoint."""
    new, final, old = run_dir / NEW, run_dir / FOLDER, run_dir / OLD
    try:
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        groups = {}
        for name, module in modules.items():
            weights = {k: v.detach().float().contiguous() for k, v in module.state_dict().items()}
            save_file(weights, str(new / f"{name}.safetensors"))
        for name, optimizer in optimizers.items():
            tensors, groups[name] = optimizer_tensors(optimizer)
            save_file(tensors, str(new / f"optim_{name}.safetensors"))
        (new / "state.json").write_text(
            json.dumps({**state, "param_groups": groups}, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        raise OutputError(f"cannot write checkpoint in {run_dir}: {error}") from None
    return final


def find_checkpoint(run_dir: Path) -> Path | None:
    for name in (FOLDER, OLD):
        if (run_dir / name / "state.json").is_file():
            return run_dir / name
    return None


def load_checkpoint(folder: Path, modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer]) -> dict:
    """Restore modules and optimizers in place from ``folder``; return the saved state
    (without the optimizers' param groups, which live in the optimizers again)."""
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        for name, module in modules.items():
            module.load_state_dict(load_file(str(folder / f"{name}.safetensors")))
        for name, optimizer in optimizers.items():
            tensors = load_file(str(folder / f"optim_{name}.safetensors"))
            restore_optimizer(optimizer, tensors, state["param_groups"][name])
    except (OSError, json.JSONDecodeError, SafetensorError, KeyError, RuntimeError, ValueError) as error:
        raise InputError(f"cannot resume from {folder}: checkpoint incomplete or corrupt ({error})") from None
    state.pop("param_groups", None)
    return state
