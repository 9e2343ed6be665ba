"""The generator: a ConvNeXt backbone at mel frame rate and an inverse-STFT head.

All heavy computation runs at frame rate (62.5 frames/s at 16 kHz, hop 256); the only
sample-rate work is one inverse real FFT per frame and an overlap-add. That is what makes
this design cheap on CPU compared with upsampling vocoders (HiFi-GAN).

Time alignment: mel frame ``t`` is centred on sample ``t * hop`` (centred analysis, see
:func:`tts_moe.audio.log_mel`), and the head synthesises one ``n_fft``-long frame centred on
the same sample. The output covers samples ``[0, frames * hop)``. For a clip of ``L``
samples, ``frames = L // hop + 1``, so the output is ``frames * hop`` samples: the clip
length rounded up past the next multiple of ``hop`` (``L < frames * hop <= L + hop``), and
``output[:L]`` lines up with the clip.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import nn
from torch.nn import functional as F

from vocoder.config import PHASE_FIELDS, VocoderConfig
from vocoder.harmonic import HarmonicNoiseHead, HarmonicOutput
from vocoder.overlap_add import overlap_add
from vocoder.precision import fp32_linear


class ConvNeXtBlock(nn.Module):
    """Depthwise conv -> LayerNorm -> pointwise MLP -> layer scale, with a residual.

    ``(batch, dim, frames)`` -> same shape. Only the depthwise conv mixes frames, so each
    block widens the receptive field by ``kernel_size // 2`` frames per side.
    """

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int, layer_scale: float):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = self.dwconv(x).transpose(1, 2)  # (batch, frames, dim)
        x = self.pwconv2(F.gelu(self.pwconv1(self.norm(x))))
        return residual + (self.gamma * x).transpose(1, 2)


class ISTFTHead(nn.Module):
    """Per-frame log-magnitude and phase -> waveform by inverse FFT and overlap-add.

    ``(batch, frames, dim)`` -> ``(batch, frames * hop)``. Frame ``t`` is centred on sample
    ``t * hop``; the sum is divided by the overlap of the squared windows (never zero here
    because ``n_fft >= 2 * hop``), so the head needs no ``torch.istft`` and exports to ONNX
    with a matmul DFT if ever needed.
    """

    def __init__(self, dim: int, n_fft: int, hop: int, max_log_magnitude: float):
        super().__init__()
        self.n_fft, self.hop, self.max_log_magnitude = n_fft, hop, max_log_magnitude
        self.n_bins = n_fft // 2 + 1
        self.proj = nn.Linear(dim, 2 * self.n_bins)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = fp32_linear(self.proj, x).transpose(1, 2)  # (batch, 2 * bins, frames)
        log_mag, phase = x[:, : self.n_bins], x[:, self.n_bins :]
        magnitude = torch.exp(log_mag.clamp(max=self.max_log_magnitude))
        spectrum = torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase))
        frames = torch.fft.irfft(spectrum, n=self.n_fft, dim=1) * self.window[:, None]
        return overlap_add(frames, self.hop, self.window)


class Generator(nn.Module):
    """Log-mel ``(batch, n_mels, frames)`` -> audio ``(batch, frames * hop)``.

    ``config.head`` picks the output stage: ``"istft"`` predicts log-magnitude and phase per
    frame (:class:`ISTFTHead`); ``"harmonic"`` predicts F0 and filter gains for an F0-driven
    source (:class:`vocoder.harmonic.HarmonicNoiseHead`). No normalisation over time or batch
    anywhere, so the result for one frame depends only on mel frames within
    ``config.receptive_field_frames`` of it (and, for the harmonic head, on the phase it is
    anchored to), which is what makes chunked synthesis exact, see :mod:`vocoder.chunking`.
    """

    def __init__(self, config: VocoderConfig):
        super().__init__()
        self.config = config
        k = config.kernel_size
        self.embed = nn.Conv1d(config.n_mels, config.dim, k, padding=k // 2)
        self.norm = nn.LayerNorm(config.dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(config.dim, config.intermediate_dim, k, 1.0 / config.num_layers)
            for _ in range(config.num_layers)
        )
        self.final_norm = nn.LayerNorm(config.dim, eps=1e-6)
        if config.head == "harmonic":
            self.head = HarmonicNoiseHead(config.dim, config.mel_config, config.n_fft, config.max_log_magnitude,
                                          config.phase_terms, config.mel_phase_terms)
        else:
            self.head = ISTFTHead(config.dim, config.n_fft, config.hop_length, config.max_log_magnitude)
        self.apply(_init_weights)
        if config.head == "harmonic":
            self.head.init_output()

    @property
    def harmonic(self) -> bool:
        return self.config.head == "harmonic"

    def features(self, mel: torch.Tensor) -> torch.Tensor:
        """Backbone output ``(batch, frames, dim)``."""
        x = self.embed(mel)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        return self.final_norm(x.transpose(1, 2))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        if self.harmonic:
            return self.synthesise(mel).audio
        return self.head(self.features(mel))

    def synthesise(self, mel: torch.Tensor, **source) -> HarmonicOutput:
        """Harmonic head only: the full :class:`HarmonicOutput`; ``source`` passes
        ``log_f0`` (teacher forcing), ``anchor_frame``/``anchor_phase`` and ``noise_offset``
        on to :meth:`HarmonicNoiseHead.forward`."""
        if not self.harmonic:
            raise TypeError("synthesise() needs a vocoder with the harmonic head")
        return self.head(self.features(mel), mel, **source)


def load_grown(generator: Generator, source: Generator) -> int:
    """Load ``source``'s weights into ``generator``, whose config is the same except more
    backbone blocks and/or more harmonic-head phase terms (of either kind). The extra blocks (after the
    source's) get a zero layer scale, so they are identities, and the extra phase terms start
    at zero: ``generator`` computes exactly what ``source`` does until training moves them.
    Returns the number of new blocks."""
    extra = len(generator.blocks) - len(source.blocks)
    added = [getattr(generator.config, name) - getattr(source.config, name) for name in PHASE_FIELDS]
    comparable = replace(source.config, num_layers=generator.config.num_layers, version=generator.config.version,
                         **{name: getattr(generator.config, name) for name in PHASE_FIELDS})
    if extra < 0 or min(added) < 0 or comparable != generator.config:
        raise ValueError("load_grown needs the source config with at least as many layers and phase terms, "
                         "nothing else changed")
    state = source.state_dict()
    wider = any(added)
    if wider:
        state = {key: value for key, value in state.items() if not key.startswith("head.proj.")}
    missing, unexpected = generator.load_state_dict(state, strict=False)
    new_prefixes = tuple(f"blocks.{i}." for i in range(len(source.blocks), len(generator.blocks)))
    new_prefixes += ("head.proj.",) if wider else ()
    if unexpected or any(not key.startswith(new_prefixes) for key in missing):
        raise ValueError(f"weights do not line up: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        for block in generator.blocks[len(source.blocks):]:
            block.gamma.zero_()
    if wider:
        generator.head.load_narrower(source.head)
    return extra


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv1d, nn.Linear)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        nn.init.zeros_(module.bias)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def output_samples(frames: int, hop: int) -> int:
    """Output length of the generator for ``frames`` mel frames."""
    return frames * hop


def frames_for_seconds(seconds: float, sample_rate: int, hop: int) -> int:
    """Mel frames whose synthesis is about ``seconds`` long (at least one)."""
    return max(1, math.ceil(seconds * sample_rate / hop))
