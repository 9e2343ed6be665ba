"""Copy-synthesis quality figures: vocoder and Griffin-Lim on the same log-mel.

PESQ (wide band) and STOI need the optional pip packages ``pesq`` and ``pystoi``; without
them those figures are reported as missing. Arrays are mono float32 ``(time,)`` at 16 kHz.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np
import torch

from tts_moe.audio import MelConfig, load_audio, log_mel
from tts_moe.errors import MissingDependencyError


def griffin_lim(mel: np.ndarray | torch.Tensor, config: MelConfig = MelConfig(),
                iterations: int = 32) -> np.ndarray:
    """Griffin-Lim from a natural-log mel ``(n_mels, frames)`` -> ``(frames - 1) * hop``
    samples (centred frames); the magnitude is a non-negative least-squares mel inversion."""
    import librosa

    magnitude_mel = np.exp(np.asarray(mel, dtype=np.float64))
    stft = librosa.feature.inverse.mel_to_stft(
        magnitude_mel, sr=config.sample_rate, n_fft=config.n_fft, power=1.0,
        fmin=config.f_min, fmax=config.f_max, htk=False, norm="slaney")
    audio = librosa.griffinlim(stft, n_iter=iterations, hop_length=config.hop_length,
                               win_length=config.win_length, n_fft=config.n_fft, center=True,
                               random_state=0)
    return audio.astype(np.float32)


def mel_distance(estimate: np.ndarray, reference: np.ndarray, config: MelConfig = MelConfig()) -> float:
    """Mean absolute difference of natural-log mels over the common length."""
    n = min(len(estimate), len(reference))
    return float((log_mel(estimate[:n], config) - log_mel(reference[:n], config)).abs().mean())


def perceptual_scores(estimate: np.ndarray, reference: np.ndarray, sample_rate: int = 16_000) -> dict:
    """``{"pesq_wb": ..., "stoi": ...}`` (needs the ``pesq`` and ``pystoi`` packages)."""
    try:
        from pesq import pesq
        from pystoi import stoi
    except ImportError as error:
        raise MissingDependencyError(
            f"PESQ/STOI need the pip packages pesq and pystoi ({error}): pip install pesq pystoi"
        ) from None
    n = min(len(estimate), len(reference))
    estimate, reference = estimate[:n].astype(np.float64), reference[:n].astype(np.float64)
    try:
        pesq_wb = float(pesq(sample_rate, reference, estimate, "wb"))
    except Exception:  # the pesq package raises its own errors for e.g. no utterance found
        pesq_wb = float("nan")
    return {"pesq_wb": pesq_wb, "stoi": float(stoi(reference, estimate, sample_rate, extended=False))}


def compare(reference: np.ndarray, vocoder, *, with_perceptual: bool = True, griffin_lim_too: bool = True,
            extra: Callable[[np.ndarray, np.ndarray, int], dict] | None = None) -> dict:
    """Figures of vocoder (and, with ``griffin_lim_too``, Griffin-Lim) resynthesis of
    ``reference``'s log-mel: ``mel_l1_<name>`` and, with ``with_perceptual``, ``pesq_wb_<name>``
    and ``stoi_<name>`` for name in vocoder, griffin_lim; ``extra(output, reference, sample_rate)``
    returns more ``{key: value}`` figures per output (stored as ``<key>_<name>``; a key that
    would replace one of the figures above is an error)."""
    config = vocoder.config.mel_config
    mel = log_mel(reference, config)
    outputs = {"vocoder": vocoder.synthesize(mel)[: len(reference)]}
    if griffin_lim_too:
        outputs["griffin_lim"] = griffin_lim(mel.numpy(), config)[: len(reference)]
    figures = {"seconds": len(reference) / config.sample_rate}
    for name, audio in outputs.items():
        figures[f"mel_l1_{name}"] = mel_distance(audio, reference, config)
    if with_perceptual:
        for name, audio in outputs.items():
            for key, value in perceptual_scores(audio, reference, config.sample_rate).items():
                figures[f"{key}_{name}"] = value
    if extra is not None:
        for name, audio in outputs.items():
            more = {f"{key}_{name}": value for key, value in extra(audio, reference, config.sample_rate).items()}
            if clash := sorted(set(more) & set(figures)):
                raise ValueError(f"extra figures would replace {clash}")
            figures.update(more)
    return figures


def copy_synthesis_figures(vocoder, path: str | os.PathLike) -> dict:
    """:func:`compare` for one audio file (PESQ/STOI only when their packages exist)."""
    reference = load_audio(path, vocoder.sample_rate)
    try:
        return compare(reference, vocoder)
    except MissingDependencyError:
        return {**compare(reference, vocoder, with_perceptual=False),
                "note": "PESQ/STOI skipped: pip install pesq pystoi"}
