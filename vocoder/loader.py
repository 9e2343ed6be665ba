"""The public vocoder: load/save shipped weights, check input mels, synthesise.

Weights ship as ``DIR/vocoder.safetensors`` (fp16) with a model card ``DIR/vocoder.json``
(``{"config": VocoderConfig dict, "training": ..., "measured": ...}``). Loading upcasts to
fp32 and refuses weights made for a different mel analysis. No pickles are ever loaded.

Two sets may ship: ``vocoder/weights/`` (trained on real mels: copy synthesis, any mel) and
``vocoder/synthesis_weights/`` (fine-tuned on the shipped acoustic model's predicted mels; its
card's ``training.tuned_for_acoustic`` holds that model's fingerprint).
:func:`weights_for_acoustic` picks the second only for the acoustic weights it was tuned on.

>>> vocoder = Vocoder.from_pretrained()          # vocoder/weights/ inside the package
>>> audio = vocoder(mel)                         # (n_mels, frames) -> (frames * hop,)
>>> audio = vocoder.synthesize(long_mel)         # chunked, numpy (frames * hop,)
>>> fast = Vocoder.from_pretrained(precision="auto")  # bf16 backbone where the CPU has bf16 units
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError, ModelNotAvailableError
from tts_moe.weights import read_card, read_fp16, save_fp16, strict_load
from vocoder.chunking import DEFAULT_CHUNK_FRAMES, DEFAULT_CROSSFADE_FRAMES, default_overlap, iter_chunks
from vocoder.config import VocoderConfig, mel_differences
from vocoder.harmonic import PhaseChain
from vocoder.model import Generator
from vocoder.precision import backbone_autocast, resolve_precision

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights"
SYNTHESIS_WEIGHTS = Path(__file__).resolve().parent / "synthesis_weights"
WEIGHTS_NAME, CARD_NAME = "vocoder.safetensors", "vocoder.json"
# A natural-log magnitude mel never goes below log(floor); allow a little undershoot from a
# regression model, but values far outside mean a different scale (dB, power, log10, ...).
UNDERSHOOT, MAX_LOG_MEL = 4.0, 10.0


def check_mel(mel: torch.Tensor | np.ndarray, config: VocoderConfig) -> torch.Tensor:
    """Validate a log-mel and return it as float32 ``(batch, n_mels, frames)``.

    Accepts ``(n_mels, frames)`` or ``(batch, n_mels, frames)``. Raises :class:`InputError`
    for another shape, zero frames, NaN/Inf, or values outside the natural-log-magnitude range
    of :class:`tts_moe.audio.MelConfig` (values slightly below the floor are clamped to it).
    """
    tensor = torch.as_tensor(mel)
    if not (tensor.is_floating_point()):
        raise InputError(f"mel must be a floating-point array, got {tensor.dtype}")
    if tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim != 3 or tensor.shape[1] != config.n_mels:
        raise InputError(
            f"mel must have shape (n_mels={config.n_mels}, frames) or (batch, {config.n_mels}, "
            f"frames), got {tuple(torch.as_tensor(mel).shape)}"
        )
    if tensor.shape[0] == 0 or tensor.shape[2] == 0:
        raise InputError(f"mel has zero frames or an empty batch: shape {tuple(tensor.shape)}")
    tensor = tensor.float()
    finite = torch.isfinite(tensor)
    if not finite.all():
        bad = (~finite).nonzero()[0].tolist()
        raise InputError(f"mel holds {int((~finite).sum())} NaN/Inf values (first at batch, "
                         f"bin, frame = {tuple(bad)})")
    floor = math.log(config.mel["log_floor"])
    low, high = float(tensor.min()), float(tensor.max())
    if low < floor - UNDERSHOOT or high > MAX_LOG_MEL:
        raise InputError(
            f"mel values span [{low:.1f}, {high:.1f}] but a natural-log magnitude mel lies in "
            f"[{floor:.1f}, about 2.5 at full scale]: was it made with tts_moe.audio.log_mel "
            "(not dB, power or log10)?"
        )
    return tensor.clamp(min=floor)


class Vocoder:
    """A generator plus its config; call it on log-mels. Runs under ``inference_mode``.

    ``precision``: ``"fp32"`` (default), ``"bf16"`` (the backbone under bf16 autocast, as in
    ``--bf16`` training; the head stays float32) or ``"auto"`` (bf16 only where the device
    has native bf16 units, see :mod:`vocoder.precision`)."""

    def __init__(self, generator: Generator, card: dict | None = None, *, precision: str = "fp32"):
        self.generator = generator.eval()
        self.config: VocoderConfig = generator.config
        self.card = card or {"config": self.config.to_dict()}
        self.device = next(generator.parameters()).device
        self.precision = resolve_precision(precision, self.device)

    def _autocast(self):
        return backbone_autocast(self.precision, self.device)

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def __call__(self, mel: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Whole-utterance synthesis: ``(n_mels, frames)`` -> ``(frames * hop,)``, or
        ``(batch, n_mels, frames)`` -> ``(batch, frames * hop)``; float32 in [-1, 1].

        Mels of different lengths: pad them to one length with the log floor and cut item
        ``i`` to ``frames_i * hop`` samples (its last ``receptive_field_frames`` frames then
        differ slightly from unpadded synthesis)."""
        squeeze = torch.as_tensor(mel).ndim == 2
        tensor = check_mel(mel, self.config)
        with torch.inference_mode(), self._autocast():
            audio = self.generator(tensor).clamp(-1.0, 1.0)
        return audio[0] if squeeze else audio

    def stream(self, mel: torch.Tensor | np.ndarray, *, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
               overlap_frames: int | None = None,
               crossfade_frames: int = DEFAULT_CROSSFADE_FRAMES) -> Iterator[np.ndarray]:
        """Chunked synthesis of one mel ``(n_mels, frames)``: yields float32 pieces
        ``(samples,)`` that concatenate to ``frames * hop`` samples (see
        :mod:`vocoder.chunking`; the default overlap makes it match whole synthesis)."""
        tensor = check_mel(mel, self.config)
        if tensor.shape[0] != 1:
            raise InputError(f"stream() takes one mel (n_mels, frames), got batch {tensor.shape[0]}")
        if overlap_frames is None:
            overlap_frames = default_overlap(self.config.receptive_field_frames, crossfade_frames)
        chain = PhaseChain(self.generator) if self.generator.harmonic else (
            lambda mel_slice, span: self.generator(mel_slice))

        def generate(mel_slice: torch.Tensor, span) -> torch.Tensor:
            # Modes are entered per chunk: held across a ``yield`` they would leak into the
            # caller's code (inference mode, autocast) while this generator is suspended.
            with torch.inference_mode(), self._autocast():
                return chain(mel_slice, span)

        for piece in iter_chunks(generate, tensor, self.hop_length, chunk_frames=chunk_frames,
                                 overlap_frames=overlap_frames, crossfade_frames=crossfade_frames):
            yield piece[0].clamp(-1.0, 1.0).numpy()

    def synthesize(self, mel: torch.Tensor | np.ndarray, **chunking) -> np.ndarray:
        """Chunked synthesis of one mel ``(n_mels, frames)`` -> float32 ``(frames * hop,)``."""
        return np.concatenate(list(self.stream(mel, **chunking)))

    # ------------------------------------------------------------------ saving and loading
    def save_pretrained(self, folder: str | os.PathLike, card: dict | None = None) -> Path:
        """Write fp16 ``vocoder.safetensors`` and the model card ``vocoder.json`` into
        ``folder`` (created if needed); returns the weights path."""
        card = {**(card or self.card), "config": self.config.to_dict()}
        path = save_fp16(folder, WEIGHTS_NAME, CARD_NAME, {"": self.generator}, card, what="vocoder")
        self.card = card
        return path

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None, *,
                        mel_config: MelConfig = MelConfig(), device: str = "cpu",
                        precision: str = "fp32") -> "Vocoder":
        """Load ``path`` (a folder with vocoder.safetensors + vocoder.json, or the
        .safetensors file itself; default: the weights shipped in ``vocoder/weights/``).

        Raises :class:`ModelNotAvailableError` when nothing is there and :class:`InputError`
        when the files are corrupt or the model was trained for a different ``mel_config``
        (or ``precision`` is unknown). ``precision``: see :class:`Vocoder`.
        """
        weights_path, card_path = _resolve(path)
        card = read_card(card_path, what="vocoder")
        config = VocoderConfig.from_dict(card["config"])
        differences = mel_differences(mel_config.to_dict(), config.mel)
        if differences:
            raise InputError(
                f"vocoder {weights_path} was trained for a different mel analysis ("
                + "; ".join(differences) + "): use a vocoder trained on these mels"
            )
        generator = Generator(config)
        strict_load(generator, read_fp16(weights_path, "", what="vocoder"), str(weights_path))
        return cls(generator.to(device), card, precision=precision)


def tuned_for(path: str | os.PathLike) -> str | None:
    """The acoustic fingerprint the vocoder at ``path`` was fine-tuned for (None: real mels)."""
    _, card_path = _resolve(path)
    return (read_card(card_path, what="vocoder").get("training") or {}).get("tuned_for_acoustic")


def weights_for_acoustic(acoustic_model, synthesis_weights: Path | None = None) -> Path:
    """The shipped vocoder to pair with ``acoustic_model``: the synthesis set when it was tuned
    on exactly these weights' predicted mels (their fingerprint), else the general set (a
    vocoder tuned to one model's artefacts is not trusted with another's)."""
    synthesis_weights = Path(synthesis_weights or SYNTHESIS_WEIGHTS)
    if not (synthesis_weights / WEIGHTS_NAME).is_file():
        return DEFAULT_WEIGHTS
    from tts_moe.acoustic.loader import fingerprint

    try:
        tuned = tuned_for(synthesis_weights)
    except InputError as error:  # a broken optional set must not stop synthesis
        warnings.warn(f"ignoring the synthesis vocoder ({error}); using {DEFAULT_WEIGHTS}", stacklevel=2)
        return DEFAULT_WEIGHTS
    return synthesis_weights if tuned == fingerprint(acoustic_model) else DEFAULT_WEIGHTS


def _resolve(path: str | os.PathLike | None) -> tuple[Path, Path]:
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if path.is_dir():
        weights, card = path / WEIGHTS_NAME, path / CARD_NAME
    else:
        weights, card = path, path.with_suffix(".json")
    if not weights.is_file():
        hint = (" (no trained vocoder ships yet: train one with `tts-moe vocoder train` and "
                "`tts-moe vocoder export`)") if path == DEFAULT_WEIGHTS else ""
        raise ModelNotAvailableError(f"vocoder weights not found: {weights}{hint}")
    if not card.is_file():
        raise InputError(f"vocoder model card not found beside {weights}: expected {card}")
    return weights, card
