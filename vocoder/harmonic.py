"""Harmonic-plus-noise head: an F0-driven source, shaped per frame in the STFT domain.

The teacher voices are source-filter synthesisers (pulse trains and noise through
time-varying filters), so instead of predicting phase the head rebuilds that structure:

1. **F0**: one channel of the backbone predicts natural-log F0 per frame (trained against
   the corpus' YIN track, see :mod:`vocoder.dataset`); training feeds the true track to the
   source (teacher forcing), inference the predicted one.
2. **Source**: a band-limited pulse train (every harmonic of F0 below Nyquist at amplitude
   one, summed in closed form by the Dirichlet kernel) whose phase integrates F0 linearly
   interpolated between frame centres, plus white noise from a fixed table indexed by the
   absolute sample position (so chunked and whole synthesis see the same noise).
3. **Filter**: per frame and STFT bin, a harmonic gain (made minimum-phase through the real
   cepstrum, like the all-pole filters of the teacher voices) and a noise gain, both predicted
   as log-gain residuals over an envelope read straight from the input mel (the filterbank's
   band averages, interpolated across bins), so an untrained head already follows the mel.
   With ``phase_terms = K > 0`` the head also predicts a phase residual per frame,
   ``sum_k c_k sin(k * omega)`` over the bins' angular frequency ``omega`` in ``[0, pi]``
   (zero at DC and Nyquist), and with ``mel_phase_terms = M > 0`` ``M`` more terms
   ``sin(k * omega_mel)`` on a mel-warped axis (``omega_mel = pi * mel(f) / mel(Nyquist)``,
   HTK mel), whose wiggles are finest where the first harmonics lie; the sum is
   added to the minimum phase: not every teacher's pulse and
   filter are minimum phase (eSpeak sums sine waves, festival's diphones carry natural
   residuals); ``python -m bench.vocoder_ceiling`` measures what fitting these terms alone,
   per frame and clip, adds to a trained head (the model card quotes the figures).
4. **Output**: ``STFT(pulse) * H_harmonic + STFT(noise) * H_noise``, inverse FFT and
   overlap-add (:func:`vocoder.model.overlap_add`).

Frame ``t`` is centred on sample ``t * hop`` as in the rest of the vocoder. The phase of
frame ``t`` is ``anchor_phase + 2 pi * (C[t] - C[anchor])`` where ``C`` integrates F0 over
the frames, so a chunk can be anchored at a frame whose phase the previous chunk computed
(:class:`PhaseChain`), which keeps chunked synthesis continuous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tts_moe.audio import MelConfig, mel_filterbank
from vocoder.overlap_add import overlap_add
from vocoder.precision import fp32_linear, full_precision

LOG_F0_MEAN = math.log(150.0)  # normalisation of the F0 channel (teacher voices: ~80-300 Hz)
LOG_F0_STD = 0.4
F0_MIN, F0_MAX = 40.0, 800.0
NOISE_TABLE_SECONDS = 4
NOISE_SEED = 20261122


@dataclass
class HarmonicOutput:
    """``audio (batch, frames * hop)``, ``log_f0 (batch, frames)`` predicted, and the phase
    of each frame centre ``frame_phase (batch, frames)`` (float64 radians)."""

    audio: torch.Tensor
    log_f0: torch.Tensor
    frame_phase: torch.Tensor


def envelope_prior(mel_config: MelConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """``(weights (bins, n_mels), bias (bins,))`` so that ``weights @ log_mel + bias`` is the
    log STFT magnitude each bin would have if its band were flat: the band average (mel value
    over the filter's area), interpolated across bins by the filters' own overlap."""
    bank = mel_filterbank(mel_config).double()  # (bins, n_mels)
    area = bank.sum(dim=0).clamp(min=1e-12)  # (n_mels,)
    coverage = bank.sum(dim=1)  # (bins,)
    covered = torch.nonzero(coverage > 1e-9).squeeze(1)
    weights = bank / coverage.clamp(min=1e-12)[:, None]
    bins = torch.arange(bank.shape[0])
    nearest = covered[(bins[:, None] - covered[None, :]).abs().argmin(dim=1)]
    weights = weights[nearest]  # bins no filter covers copy the nearest covered bin
    bias = -(weights * area.log()[None, :]).sum(dim=1)
    return weights.float(), bias.float()


def frame_phases(f0: torch.Tensor, hop: int, sample_rate: int, anchor_frame: int = 0,
                 anchor_phase: torch.Tensor | None = None) -> torch.Tensor:
    """Phase (float64 radians) at each frame centre, ``(batch, frames)``, for F0 ``(batch,
    frames)`` in Hz linearly interpolated between centres (the last frame holds its value);
    ``anchor_phase (batch,)`` is the phase at ``anchor_frame`` (zero when None)."""
    f0 = f0.double()
    following = torch.cat([f0[:, 1:], f0[:, -1:]], dim=1)
    # samples of one frame interval: sum_{j < hop} f0_t + (f0_{t+1} - f0_t) j / hop
    per_frame = 2 * math.pi / sample_rate * (hop * f0 + (following - f0) * (hop - 1) / 2)
    phase = torch.cumsum(per_frame, dim=1) - per_frame  # exclusive: phase at centre t
    phase = phase - phase[:, anchor_frame : anchor_frame + 1]
    if anchor_phase is not None:
        phase = phase + anchor_phase.double()[:, None]
    return phase


def sample_phases(f0: torch.Tensor, frame_phase: torch.Tensor, hop: int, sample_rate: int) -> torch.Tensor:
    """Phase of every sample ``(batch, frames * hop)`` in ``[-pi, pi)``, float32."""
    f0 = f0.float()
    following = torch.cat([f0[:, 1:], f0[:, -1:]], dim=1)
    j = torch.arange(hop, dtype=torch.float32, device=f0.device)
    # sum over samples i < j of f0_t + (f0_{t+1} - f0_t) i / hop; under 2 pi * F0_MAX * hop /
    # rate (80 rad) within a frame, so float32 keeps it to ~1e-5 rad once the frame phase
    # has been wrapped in float64
    local = f0[..., None] * j + (following - f0)[..., None] * (j * (j - 1) / (2 * hop))
    start = torch.remainder(frame_phase, 2 * math.pi).float()
    phase = start[..., None] + (2 * math.pi / sample_rate) * local  # (batch, frames, hop)
    phase = torch.remainder(phase + math.pi, 2 * math.pi) - math.pi
    return phase.reshape(f0.shape[0], -1)


def pulse_train(phase: torch.Tensor, harmonics: torch.Tensor) -> torch.Tensor:
    """``sum_{k=1..K} cos(k * phase)`` per sample by the Dirichlet kernel; ``phase`` and
    ``harmonics`` (K, float) are ``(batch, samples)``."""
    half = 0.5 * phase
    denominator = 2 * torch.sin(half)
    near_zero = denominator.abs() < 1e-4
    value = torch.sin((harmonics + 0.5) * phase) / torch.where(near_zero, torch.ones_like(denominator), denominator) - 0.5
    return torch.where(near_zero, harmonics, value)


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """HTK mel scale (the phase basis' warp; the analysis filterbank itself is Slaney)."""
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def phase_basis(n_bins: int, linear_terms: int, mel_terms: int, sample_rate: int) -> torch.Tensor:
    """``(n_bins, linear_terms + mel_terms)``: ``sin(k * omega)`` for ``k = 1..linear_terms``
    over the bins' angular frequency ``omega`` in ``[0, pi]``, then ``sin(k * omega_mel)``
    for ``k = 1..mel_terms`` on the mel-warped axis (both zero at DC and Nyquist)."""
    omega = torch.linspace(0.0, math.pi, n_bins)
    linear = torch.sin(omega[:, None] * torch.arange(1, linear_terms + 1)[None, :])
    mel = hz_to_mel(torch.linspace(0.0, sample_rate / 2, n_bins, dtype=torch.float64))
    omega_mel = math.pi * mel / mel[-1]
    warped = torch.sin(omega_mel[:, None] * torch.arange(1, mel_terms + 1, dtype=torch.float64)[None, :])
    return torch.cat([linear, warped.float()], dim=1)


def minimum_phase(log_magnitude: torch.Tensor, n_fft: int, extra_phase: torch.Tensor | None = None) -> torch.Tensor:
    """The minimum-phase spectrum with log magnitude ``(batch, bins, frames)`` (bins =
    ``n_fft // 2 + 1``), via the folded real cepstrum; complex, same shape. ``extra_phase``
    (same shape, radians) is added to the minimum phase."""
    cepstrum = torch.fft.irfft(log_magnitude, n=n_fft, dim=1)
    fold = torch.zeros(n_fft, dtype=cepstrum.dtype, device=cepstrum.device)
    fold[0] = 1.0
    fold[1 : n_fft // 2] = 2.0
    fold[n_fft // 2] = 1.0
    phase = torch.fft.rfft(cepstrum * fold[None, :, None], n=n_fft, dim=1).imag
    if extra_phase is not None:
        phase = phase + extra_phase
    magnitude = torch.exp(log_magnitude)  # the real part of that rfft, exactly
    return torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase))  # 3x faster than complex exp


class HarmonicNoiseHead(nn.Module):
    """Backbone features ``(batch, frames, dim)`` and the input mel ``(batch, n_mels, frames)``
    -> :class:`HarmonicOutput`."""

    def __init__(self, dim: int, mel_config: MelConfig, n_fft: int, max_log_magnitude: float,
                 phase_terms: int = 0, mel_phase_terms: int = 0):
        super().__init__()
        self.n_fft, self.hop, self.sample_rate = n_fft, mel_config.hop_length, mel_config.sample_rate
        self.max_log_magnitude = max_log_magnitude
        self.n_bins = n_fft // 2 + 1
        self.phase_terms, self.mel_phase_terms = phase_terms, mel_phase_terms
        self.proj = nn.Linear(dim, self.outputs(self.n_bins, phase_terms + mel_phase_terms))
        self.register_buffer("phase_basis", phase_basis(self.n_bins, phase_terms, mel_phase_terms, self.sample_rate),
                             persistent=False)  # (bins, phase_terms + mel_phase_terms)
        weights, bias = envelope_prior(mel_config)
        self.register_buffer("prior_weights", weights, persistent=False)
        self.register_buffer("prior_bias", bias, persistent=False)
        window = torch.hann_window(n_fft)
        self.register_buffer("window", window, persistent=False)
        self.harmonic_scale = float(window.sum()) / 2  # STFT peak of a unit cosine
        self.noise_scale = float(window.pow(2).sum().sqrt())  # rms STFT bin of unit noise
        generator = torch.Generator().manual_seed(NOISE_SEED)
        table = torch.randn(NOISE_TABLE_SECONDS * self.sample_rate, generator=generator)
        self.register_buffer("noise_table", table, persistent=False)

    @staticmethod
    def outputs(n_bins: int, phase_terms: int) -> int:
        """Rows of the projection: harmonic and noise log-gain residuals (``n_bins`` each), the
        phase terms, then normalised log-F0 (always the last row)."""
        return 2 * n_bins + phase_terms + 1

    @property
    def phase_rows(self) -> slice:
        """The projection rows (and head-input channels) holding the phase terms: the linear
        ones, then the mel-warped ones."""
        return slice(2 * self.n_bins, 2 * self.n_bins + self.phase_terms + self.mel_phase_terms)

    def init_output(self) -> None:
        """Start near the mel envelope: zero harmonic residuals, noise 2 nepers (17 dB) under
        the envelope, no phase residual, F0 at the normalisation mean (call after the generic
        weight init)."""
        nn.init.zeros_(self.proj.bias)
        with torch.no_grad():
            self.proj.bias[self.n_bins : 2 * self.n_bins] = -2.0
            self.proj.weight[self.phase_rows] = 0.0

    def load_narrower(self, source: "HarmonicNoiseHead") -> None:
        """Copy ``source``'s projection, which has fewer phase terms (linear and/or mel-warped),
        leaving the extra terms' rows at zero, so this head renders exactly what ``source`` does."""
        if (source.n_bins != self.n_bins or source.phase_terms > self.phase_terms
                or source.mel_phase_terms > self.mel_phase_terms):
            raise ValueError("load_narrower needs the same bins and no more phase terms of either kind")
        first = self.phase_rows.start
        linear = range(first, first + source.phase_terms)
        warped = range(first + self.phase_terms, first + self.phase_terms + source.mel_phase_terms)
        kept = [*range(first), *linear, *warped, self.proj.out_features - 1]  # source's rows, in order
        with torch.no_grad():
            self.proj.weight.zero_()
            self.proj.bias.zero_()
            self.proj.weight[kept] = source.proj.weight
            self.proj.bias[kept] = source.proj.bias

    def noise(self, batch: int, samples: int, offset: int | torch.Tensor = 0) -> torch.Tensor:
        """Unit white noise ``(batch, samples)`` read from the table at absolute sample
        positions ``offset + n`` (``offset`` an int or a ``(batch,)`` tensor)."""
        size = self.noise_table.numel()
        if isinstance(offset, int) and offset % size + samples <= size:  # one slice (inference)
            return self.noise_table[offset % size : offset % size + samples].expand(batch, samples)
        positions = torch.arange(samples, device=self.noise_table.device)
        offset = torch.as_tensor(offset, device=positions.device).reshape(-1, 1)
        index = torch.remainder(offset + positions[None, :], size)
        return self.noise_table[index].expand(batch, samples)

    def forward(self, x: torch.Tensor, mel: torch.Tensor, *, log_f0: torch.Tensor | None = None,
                anchor_frame: int = 0, anchor_phase: torch.Tensor | None = None,
                noise_offset: int | torch.Tensor = 0) -> HarmonicOutput:
        """``log_f0 (batch, frames)`` replaces the predicted F0 as the source's pitch (teacher
        forcing); ``anchor_frame``/``anchor_phase (batch,)`` fix the source phase at one frame
        (see :func:`frame_phases`); ``noise_offset`` (int or ``(batch,)``) is the absolute
        sample position of the first output sample in the noise table."""
        return self.synthesise_from(self.project(x), mel, log_f0=log_f0, anchor_frame=anchor_frame,
                                    anchor_phase=anchor_phase, noise_offset=noise_offset)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features ``(batch, frames, dim)`` -> the head's inputs ``(batch, outputs,
        frames)`` (see :meth:`outputs`), float32."""
        return fp32_linear(self.proj, x).transpose(1, 2)

    def synthesise_from(self, out: torch.Tensor, mel: torch.Tensor, *, log_f0: torch.Tensor | None = None,
                        anchor_frame: int = 0, anchor_phase: torch.Tensor | None = None,
                        noise_offset: int | torch.Tensor = 0) -> HarmonicOutput:
        """:meth:`forward` from the projection's output ``out (batch, outputs, frames)``
        (harmonic and noise log-gain residuals, phase terms, normalised log-F0, see
        :meth:`outputs`): the source and filters alone, e.g. to fit ``out`` directly
        (``bench.vocoder_ceiling``)."""
        with full_precision(out):  # the source and the filters always in float32
            return self._render(out.float(), mel.float(), log_f0, anchor_frame, anchor_phase, noise_offset)

    def _render(self, out, mel, log_f0, anchor_frame, anchor_phase, noise_offset) -> HarmonicOutput:
        """The body of :meth:`synthesise_from`, float32 inputs, autocast off."""
        batch, _, frames = out.shape
        predicted_log_f0 = LOG_F0_MEAN + LOG_F0_STD * out[:, -1]
        source_log_f0 = predicted_log_f0.detach() if log_f0 is None else log_f0
        f0 = source_log_f0.exp().clamp(F0_MIN, F0_MAX)
        frame_phase = frame_phases(f0, self.hop, self.sample_rate, anchor_frame, anchor_phase)
        phase = sample_phases(f0, frame_phase, self.hop, self.sample_rate)
        harmonics = torch.floor(0.5 * self.sample_rate / f0).repeat_interleave(self.hop, dim=1)
        pulses = pulse_train(phase, harmonics)
        noise = self.noise(batch, frames * self.hop, noise_offset)

        prior = torch.einsum("fm,bmt->bft", self.prior_weights, mel.float()) + self.prior_bias[:, None]
        cap = self.max_log_magnitude
        log_harmonic = (prior + out[:, : self.n_bins]).clamp(max=cap)
        log_noise = (prior + out[:, self.n_bins : 2 * self.n_bins]).clamp(max=cap)
        extra_phase = None
        if self.phase_basis.shape[1]:
            terms = out[:, self.phase_rows]  # (batch, K, frames)
            extra_phase = torch.einsum("fk,bkt->bft", self.phase_basis, terms)
        harmonic_filter = minimum_phase(log_harmonic, self.n_fft, extra_phase)
        spectrum = (self._stft(pulses, frames) * harmonic_filter / self.harmonic_scale
                    + self._stft(noise, frames) * torch.exp(log_noise) / self.noise_scale)
        segments = torch.fft.irfft(spectrum, n=self.n_fft, dim=1) * self.window[:, None]
        return HarmonicOutput(overlap_add(segments, self.hop, self.window), predicted_log_f0, frame_phase)

    def _stft(self, signal: torch.Tensor, frames: int) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, bins, frames)``, frame ``t`` centred on ``t * hop``."""
        spec = torch.stft(signal, self.n_fft, self.hop, window=self.window, center=True,
                          pad_mode="reflect", return_complex=True)
        return spec[..., :frames]


class PhaseChain:
    """Adapts a harmonic generator to :func:`vocoder.chunking.iter_chunks`: each chunk is
    anchored at its core's first frame, whose phase the previous chunk computed inside its
    own exact zone (so neighbouring chunks agree where they are crossfaded), and reads the
    noise table at absolute sample positions."""

    def __init__(self, generator: nn.Module):
        self.generator = generator
        self.phase = None  # phase at the next core's first frame, (batch,)

    def __call__(self, mel: torch.Tensor, span) -> torch.Tensor:
        out = self.generator.synthesise(mel, anchor_frame=span.core_start - span.start,
                                        anchor_phase=self.phase, noise_offset=span.start * self.generator.config.hop_length)
        self.phase = out.frame_phase[:, min(span.core_end - span.start, out.frame_phase.shape[1] - 1)]
        return out.audio
