"""Clip post-processing and measurements: silence trim, loudness, F0, speaking rate.

All audio is float32 ``(time,)`` at 16 kHz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
TARGET_ACTIVE_DBFS = -23.0  # RMS over active-speech frames after normalisation
PEAK_LIMIT_DBFS = -1.0
TRIM_THRESHOLD_DB = 40.0  # frames this far below the loudest frame count as silence
TRIM_PAD_S = 0.03  # keep this much silence at each end
ACTIVE_THRESHOLD_DB = 30.0
FRAME = 320  # 20 ms
HOP = 80  # 5 ms
F0_MIN, F0_MAX = 40.0, 500.0  # low espeak/diphone styles reach 50-60 Hz
F0_FRAME = 1024  # 64 ms: more than two periods of the lowest F0 (fewer octave errors)
F0_HOP = 160  # 10 ms
VOICING_THRESHOLD = 0.5  # normalised autocorrelation at the YIN period
MIN_VOICED_FRAMES = 20  # fewer voiced 10 ms frames: no F0 figures
MIN_VOICED_FRACTION = 0.15  # speech is ~60-80 % voiced; below this (a whisper) F0 is noise
NON_PHONE = set("ˈˌːˑ͡‿") | set(" \t.,;:!?\"'()-—–…")


@dataclass
class Processed:
    """A trimmed, normalised clip and what was done to it."""

    audio: np.ndarray  # (time,)
    trim_start_s: float
    gain_db: float
    peak_dbfs: float
    peak_limited: bool


def _frame_rms_db(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """Frame energies in dB, ``(frames,)``; frame i starts at sample ``i * hop``."""
    if audio.size < frame:
        audio = np.pad(audio, (0, frame - audio.size))
    n = 1 + (audio.size - frame) // hop
    view = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop][:n]
    power = np.mean(view.astype(np.float64) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)


def trim_silence(audio: np.ndarray) -> tuple[np.ndarray, float]:
    """Cut leading/trailing silence (keeping ``TRIM_PAD_S``); returns (audio, start_s)."""
    db = _frame_rms_db(audio, FRAME, HOP)
    active = np.flatnonzero(db > db.max() - TRIM_THRESHOLD_DB)
    if active.size == 0:
        return audio, 0.0
    pad = int(TRIM_PAD_S * SAMPLE_RATE)
    start = max(0, active[0] * HOP - pad)
    end = min(audio.size, active[-1] * HOP + FRAME + pad)
    return audio[start:end], start / SAMPLE_RATE


def normalise_loudness(audio: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Scale so the active-speech RMS is ``TARGET_ACTIVE_DBFS``, never peaking above
    ``PEAK_LIMIT_DBFS`` (gain is lowered instead: no clipping). Returns (audio, gain_db,
    peak_limited)."""
    db = _frame_rms_db(audio, FRAME, HOP)
    active = db[db > db.max() - ACTIVE_THRESHOLD_DB]
    active_db = 10 * np.log10(np.mean(10 ** (active / 10)))
    gain_db = TARGET_ACTIVE_DBFS - active_db
    peak = float(np.max(np.abs(audio))) or 1e-9
    limited = 20 * np.log10(peak) + gain_db > PEAK_LIMIT_DBFS
    if limited:
        # a little headroom so 16-bit rounding cannot cross the limit
        gain_db = PEAK_LIMIT_DBFS - 0.05 - 20 * np.log10(peak)
    return (audio * 10 ** (gain_db / 20)).astype(np.float32), float(gain_db), bool(limited)


def process_clip(audio: np.ndarray) -> Processed:
    """Trim, then loudness-normalise a 16 kHz clip."""
    trimmed, start = trim_silence(np.asarray(audio, dtype=np.float32))
    out, gain_db, limited = normalise_loudness(trimmed)
    peak = float(np.max(np.abs(out))) or 1e-9
    return Processed(out, start, gain_db, 20 * float(np.log10(peak)), limited)


YIN_THRESHOLD = 0.1  # cumulative-mean-normalised difference that counts as a period


def f0_track(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN F0 per 10 ms frame and a voicing mask, both ``(frames,)``, vectorised over frames.

    Plain numpy (no numba: librosa's JIT cache proved unsafe when corpus workers compile it
    concurrently). For each centred 64 ms frame: the YIN difference function over lags
    ``SAMPLE_RATE / F0_MAX .. SAMPLE_RATE / F0_MIN`` (from an FFT cross-correlation and
    running energies), its cumulative-mean normalisation, the first local minimum under
    ``YIN_THRESHOLD`` (else the global minimum), refined by parabolic interpolation. A frame
    is voiced when the normalised correlation at that lag exceeds ``VOICING_THRESHOLD`` and
    its energy is within ``ACTIVE_THRESHOLD_DB`` of the loudest frame.
    """
    tau_min = int(np.floor(SAMPLE_RATE / F0_MAX))
    tau_max = int(np.ceil(SAMPLE_RATE / F0_MIN))
    window = F0_FRAME - tau_max - 1  # integration length (lags up to tau_max + 1 fit)
    padded = np.pad(np.asarray(audio, dtype=np.float64), F0_FRAME // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, F0_FRAME)[::F0_HOP]  # (n, W)
    n_fft = 1 << int(np.ceil(np.log2(F0_FRAME + window)))
    spectrum = np.fft.rfft(frames, n_fft) * np.conj(np.fft.rfft(frames[:, :window], n_fft))
    correlation = np.fft.irfft(spectrum, n_fft)[:, : tau_max + 2]  # r(tau), (n, tau_max + 2)
    squares = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(tau_max + 2)
    energy_0 = squares[:, window:window + 1]  # (n, 1)
    energy_tau = squares[:, lags + window] - squares[:, lags]  # (n, tau_max + 2)
    difference = np.maximum(energy_0 + energy_tau - 2 * correlation, 0.0)
    cumulative = np.cumsum(difference[:, 1:], axis=1)
    cmnd = np.ones_like(difference)
    cmnd[:, 1:] = difference[:, 1:] * lags[1:] / np.maximum(cumulative, 1e-12)

    inner = np.arange(max(tau_min, 1), tau_max + 1)  # lags with both neighbours available
    values = cmnd[:, inner]
    is_min = (values <= cmnd[:, inner - 1]) & (values < cmnd[:, inner + 1])
    candidate = is_min & (values < YIN_THRESHOLD)
    first = np.where(candidate.any(axis=1), candidate.argmax(axis=1), values.argmin(axis=1))
    tau = inner[first]
    rows = np.arange(frames.shape[0])
    left, centre, right = cmnd[rows, tau - 1], cmnd[rows, tau], cmnd[rows, tau + 1]
    curvature = left - 2 * centre + right
    shift = np.where(np.abs(curvature) > 1e-12, (left - right) / (2 * curvature + 1e-30), 0.0)
    f0 = SAMPLE_RATE / (tau + np.clip(shift, -1, 1))

    frame_energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = frame_energy > frame_energy.max() - ACTIVE_THRESHOLD_DB
    norm = np.sqrt(energy_0[:, 0] * energy_tau[rows, tau])
    periodicity = np.where(norm > 0, correlation[rows, tau] / np.maximum(norm, 1e-30), 0.0)
    voiced = loud & (periodicity > VOICING_THRESHOLD)
    return f0.astype(np.float32), voiced


def count_phones(ipa: str) -> int:
    """Number of phone symbols in an IPA string (stress, length, spaces, punctuation excluded)."""
    return sum(1 for char in ipa if char not in NON_PHONE)


def measure(audio: np.ndarray, phonemes: str) -> dict:
    """Per-clip measurements stored in the metadata and used for style verification.

    ``f0_median``/``f0_std`` in Hz over voiced frames; ``f0_median_st`` is the median in
    semitones re 100 Hz; ``f0_spread_st`` a robust spread, (p90 - p10) / 2.563 of the
    semitone track (equals the standard deviation for a normal distribution).
    """
    duration = audio.size / SAMPLE_RATE
    f0, voiced = f0_track(audio)
    phones = count_phones(phonemes)
    result = {
        "duration": round(duration, 4),
        "n_phones": phones,
        "sec_per_phone": round(duration / phones, 5) if phones else None,
        "voiced_fraction": round(float(voiced.mean()), 4) if voiced.size else 0.0,
        "f0_median": None, "f0_std": None, "f0_median_st": None, "f0_spread_st": None,
    }
    if voiced.sum() >= MIN_VOICED_FRAMES and voiced.mean() >= MIN_VOICED_FRACTION:
        hz = f0[voiced].astype(np.float64)
        st = 12 * np.log2(hz / 100.0)
        p10, p90 = np.percentile(st, [10, 90])
        result.update(
            f0_median=round(float(np.median(hz)), 2),
            f0_std=round(float(np.std(hz)), 2),
            f0_median_st=round(float(np.median(st)), 3),
            f0_spread_st=round(float((p90 - p10) / 2.563), 3),
        )
    return result
