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


def f0_track(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN F0 per 10 ms frame and a voicing mask, both ``(frames,)``.

    librosa's ``yin`` has no voicing decision, so a frame counts as voiced when its
    normalised autocorrelation at the YIN period exceeds ``VOICING_THRESHOLD`` and its energy
    is within 30 dB of the loudest frame.
    """
    import librosa

    f0 = librosa.yin(audio, fmin=F0_MIN, fmax=F0_MAX, sr=SAMPLE_RATE,
                     frame_length=F0_FRAME, hop_length=F0_HOP, center=True)
    padded = np.pad(audio.astype(np.float64), F0_FRAME // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, F0_FRAME)[::F0_HOP][: f0.size]
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    voiced = np.zeros(f0.size, dtype=bool)
    loud = energy > energy.max() - ACTIVE_THRESHOLD_DB
    lags = np.rint(SAMPLE_RATE / f0).astype(int)
    for i in np.flatnonzero(loud):
        lag = lags[i]
        a, b = frames[i, : F0_FRAME - lag], frames[i, lag:]
        denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
        voiced[i] = denom > 0 and np.dot(a, b) / denom > VOICING_THRESHOLD
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
