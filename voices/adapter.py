"""A cloned voice's adapter: small weight changes to the frozen acoustic model's decoder.

One speaker vector moves the shipped model only as far as its conditioning layers reach; a
voice far from every built-in speaker (flite ``awb``) stays recognisably someone else. The
adapter adds, for the parameters it targets (by default the mel decoder: its blocks, final
norm and output projection), a low-rank change to every matrix or convolution weight
``W + up @ down`` (``down`` ``(rank, fan_in)``, ``up`` ``(out, rank)``, ``up`` starting at
zero so a new adapter changes nothing) and a full change to every vector (biases, norms).

The shipped model is never modified: :meth:`VoiceAdapter.apply` returns a model that shares
every untouched parameter with it and holds its own merged copy of the targeted ones (the
decoder: 2.97 M of the shipped 8.0 M weights, ~12 MB of fp32 per adapted voice while it is
loaded), so synthesis with an adapted voice costs the compute of the base model. Packs store
the factors as fp16 ``adapter.safetensors`` (:mod:`voices.pack`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass

import torch

from tts_moe.errors import InputError

DEFAULT_TARGETS = ("decoder.", "decoder_norm.", "mel_out.")


@dataclass
class AdapterConfig:
    """How an adapter is made (saved in the voice manifest under ``adapter``)."""

    rank: int = 4
    targets: tuple[str, ...] = DEFAULT_TARGETS  # parameter-name prefixes of the acoustic model
    steps: int = 150
    lr: float = 1e-3
    speaker_lr: float = 1e-2  # the speaker vector keeps adapting alongside

    def to_dict(self) -> dict:
        return {**asdict(self), "targets": list(self.targets)}

    @classmethod
    def from_dict(cls, data: dict) -> "AdapterConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "targets" in known:
            known["targets"] = tuple(known["targets"])
        return cls(**known)


def _check_finite(tensors: dict[str, torch.Tensor], where: str) -> None:
    bad = sorted(k for k, v in tensors.items() if not torch.isfinite(v).all())
    if bad:
        raise InputError(f"{where}: non-finite values in {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}")


class VoiceAdapter:
    """Low-rank factors and vector offsets for some parameters of an acoustic model.

    ``factors[name] = (down (rank, fan_in), up (out, rank))`` for weights with two or more
    dimensions; ``offsets[name]`` ``(size,)`` for one-dimensional parameters."""

    def __init__(self, factors: dict[str, tuple[torch.Tensor, torch.Tensor]], offsets: dict[str, torch.Tensor]) -> None:
        self.factors, self.offsets = factors, offsets

    @classmethod
    def create(cls, model: torch.nn.Module, config: AdapterConfig, *, seed: int = 0) -> "VoiceAdapter":
        """A zero adapter (the model unchanged) for the parameters ``config.targets`` name."""
        generator = torch.Generator().manual_seed(seed)
        factors, offsets = {}, {}
        for name, weight in model.named_parameters():
            if not name.startswith(config.targets):
                continue
            if weight.ndim == 1:
                offsets[name] = torch.zeros_like(weight)
            else:
                fan_in = math.prod(weight.shape[1:])
                down = torch.randn(config.rank, fan_in, generator=generator) / math.sqrt(fan_in)
                factors[name] = (down, torch.zeros(weight.shape[0], config.rank))
        if not factors and not offsets:
            raise InputError(f"adapter targets {list(config.targets)} match no parameter of the acoustic model")
        return cls(factors, offsets)

    def parameters(self) -> list[torch.Tensor]:
        return [t for pair in self.factors.values() for t in pair] + list(self.offsets.values())

    def requires_grad_(self, flag: bool = True) -> "VoiceAdapter":
        for tensor in self.parameters():
            tensor.requires_grad_(flag)
        return self

    def size(self) -> int:
        return sum(t.numel() for t in self.parameters())

    def merged(self, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """``{name: base weight + change}`` for every targeted parameter (differentiable in
        the adapter; use with :func:`torch.func.functional_call`)."""
        base = dict(model.named_parameters())
        out = {name: base[name].detach() + offset for name, offset in self.offsets.items()}
        for name, (down, up) in self.factors.items():
            out[name] = base[name].detach() + (up @ down).view_as(base[name])
        return out

    @torch.no_grad()
    def apply(self, model: torch.nn.Module) -> torch.nn.Module:
        """A copy of ``model`` with the changes merged in; untouched parameters are shared."""
        merged = self.merged(model)
        shared = {id(p): p for name, p in model.named_parameters() if name not in merged}
        adapted = copy.deepcopy(model, memo=shared)
        for name, value in merged.items():
            adapted.get_parameter(name).copy_(value)
        return adapted.eval()

    # ------------------------------------------------------------------ storage
    def tensors(self) -> dict[str, torch.Tensor]:
        """Flat fp16 tensors for safetensors: ``down.NAME``, ``up.NAME``, ``offset.NAME``;
        raises when a value is not finite (a diverged fit) or overflows fp16."""
        out = {f"offset.{n}": t for n, t in self.offsets.items()}
        for name, (down, up) in self.factors.items():
            out[f"down.{name}"], out[f"up.{name}"] = down, up
        out = {k: v.detach().to(torch.float16).contiguous() for k, v in out.items()}
        _check_finite(out, "the fitted adapter (enrollment diverged; try fewer --adapter-steps)")
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], model: torch.nn.Module, where: str) -> "VoiceAdapter":
        """Read :meth:`tensors` back, checking every name and shape against ``model``."""
        base = dict(model.named_parameters())
        _check_finite(tensors, where)
        factors, offsets, downs, ups = {}, {}, {}, {}
        for key, tensor in tensors.items():
            kind, _, name = key.partition(".")
            if kind not in ("down", "up", "offset") or name not in base:
                raise InputError(f"{where}: {key!r} is not a change to a parameter of this acoustic model")
            {"down": downs, "up": ups, "offset": offsets}[kind][name] = tensor.float()
        for name, offset in offsets.items():
            if offset.shape != base[name].shape:
                raise InputError(f"{where}: offset for {name} has shape {tuple(offset.shape)}, "
                                 f"the model's parameter {tuple(base[name].shape)}")
        if set(downs) != set(ups):
            raise InputError(f"{where}: low-rank factors come in pairs; unpaired: {sorted(set(downs) ^ set(ups))}")
        for name in downs:
            down, up, weight = downs[name], ups[name], base[name]
            if (down.ndim, up.ndim) != (2, 2) or up.shape[0] != weight.shape[0] or up.shape[1] != down.shape[0] \
                    or down.shape[1] != math.prod(weight.shape[1:]):
                raise InputError(f"{where}: factors for {name} ({tuple(up.shape)} @ {tuple(down.shape)}) do not fit "
                                 f"the model's parameter {tuple(weight.shape)}; enroll the voice again")
            factors[name] = (down, up)
        return cls(factors, offsets)
