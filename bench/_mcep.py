"""Mel-cepstra for mel-cepstral distortion, in plain numpy.

Analysis (16 kHz): centred frames every 10 ms (``HOP`` = 160 samples, the frame grid of
:func:`tts_moe.corpus.signal.f0_track`, so frame ``i`` of both is centred on sample
``160 * i`` and the two tracks have the same length ``1 + len(audio) // 160``); a 25 ms
Hann window inside a 512-point FFT; power spectrum -> ``N_MELS`` = 40 triangular HTK-mel
bands over 0-8 kHz; natural log of the band *amplitudes* (``0.5 * ln(power)``, floored
at -100 dB); then the cepstrum over the mel-frequency axis, a 1/N-scaled DCT-II:

    c_m = (1 / N) * sum_k L_k * cos(pi * m * (k + 1/2) / N),   m = 0 .. 24

With this scaling the band log-amplitudes expand as ``L(theta) = c_0 + 2 * sum c_m cos(m
theta)`` on the warped axis, the convention of a true (mel-)cepstrum of the log
amplitude spectrum, which is what the standard MCD formula assumes. It is the "MFCC-style"
mel-cepstrum (from a mel filterbank, which also smooths out the pitch harmonics) rather than
an SPTK ``mcep`` estimate; figures are comparable in scale, not digit for digit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms
N_FFT = 512
N_MELS = 40
ORDER = 24  # c_1 .. c_24 are compared; c_0 (level) is left out
POWER_FLOOR = 1e-10  # band power floor: amplitude 1e-5, -100 dB


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """Triangular HTK-mel filters ``(N_MELS, N_FFT // 2 + 1)`` over 0 .. 8 kHz (peak 1)."""
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    bins = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """1/N-scaled DCT-II basis ``(ORDER + 1, N_MELS)``."""
    m = np.arange(ORDER + 1)[:, None]
    k = np.arange(N_MELS)[None, :]
    return np.cos(np.pi * m * (k + 0.5) / N_MELS) / N_MELS


def frame_count(samples: int) -> int:
    """Number of analysis frames for a clip of ``samples`` samples."""
    return 1 + samples // HOP


def mel_cepstrum(audio: np.ndarray) -> np.ndarray:
    """Mel-cepstra ``(frames, ORDER + 1)`` (c_0 first) of a 16 kHz clip ``(time,)``."""
    padded = np.pad(np.asarray(audio, dtype=np.float64), N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    frames = frames[: frame_count(len(audio))]
    window = np.zeros(N_FFT)
    start = (N_FFT - WINDOW) // 2
    window[start:start + WINDOW] = np.hanning(WINDOW)
    power = np.abs(np.fft.rfft(frames * window, N_FFT)) ** 2  # (frames, bins)
    bands = power @ mel_filterbank().T  # (frames, N_MELS)
    log_amplitude = 0.5 * np.log(np.maximum(bands, POWER_FLOOR))
    return log_amplitude @ _dct_matrix().T
