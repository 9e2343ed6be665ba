"""Resumable training checkpoints without pickles: tensors in safetensors, scalars in JSON.

``RUN_DIR/checkpoint/`` holds ``generator.safetensors``, ``detector.safetensors`` (fp32),
``optimizer.safetensors`` (state tensors keyed ``PARAM_INDEX.NAME``) and ``state.json``
(step, wall time, held-out figures, optimizer param groups). A new checkpoint is written
to a temporary folder and swapped in by renames; ``.checkpoint-old`` is the fallback.
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


def save_checkpoint(run_dir: Path, modules: dict[str, torch.nn.Module],
                    optimizer: torch.optim.Optimizer, state: dict) -> Path:
    new, final, old = run_dir / NEW, run_dir / FOLDER, run_dir / OLD
    optim = optimizer.state_dict()
    tensors = {f"{index}.{name}": (v if torch.is_tensor(v) else torch.tensor(v)).detach().clone().contiguous()
               for index, slots in optim["state"].items() for name, v in slots.items()}
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in optim["param_groups"]]
    try:
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        for name, module in modules.items():
            save_file({k: v.detach().float().contiguous() for k, v in module.state_dict().items()},
                      str(new / f"{name}.safetensors"))
        save_file(tensors, str(new / "optimizer.safetensors"))
        (new / "state.json").write_text(json.dumps({**state, "param_groups": groups}, indent=2) + "\n",
                                        encoding="utf-8")
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
                    optimizer: torch.optim.Optimizer | None) -> dict:
    """Restore ``modules`` (and ``optimizer``) in place; return the saved state."""
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        for name, module in modules.items():
            module.load_state_dict(load_file(str(folder / f"{name}.safetensors")))
        if optimizer is not None:
            slots: dict[int, dict] = {}
            for key, tensor in load_file(str(folder / "optimizer.safetensors")).items():
                index, name = key.split(".", 1)
                slots.setdefault(int(index), {})[name] = tensor
            groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in state["param_groups"]]
            optimizer.load_state_dict({"state": slots, "param_groups": groups})
    except (OSError, json.JSONDecodeError, SafetensorError, KeyError, RuntimeError, ValueError) as error:
        raise InputError(f"cannot resume from {folder}: checkpoint incomplete or corrupt ({error})") from None
    state.pop("param_groups", None)
    return state
