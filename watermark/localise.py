"""From per-sample detector outputs to a localised :class:`Detection`.

Per-sample probabilities are pooled into frames (20 ms by default); frames above the
threshold are "marked"; runs of marked frames become segments ``(start_s, end_s)`` (gaps
shorter than ``merge_gap_s`` are bridged, segments shorter than ``min_segment_s`` dropped).
The clip's overall probability is the best mean frame probability over any window of
``window_s`` (the whole clip when shorter), so a clip that is only partly generated still
scores high while scattered false frames do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FRAME_SECONDS = 0.02


@dataclass
class Detection:
    """What :meth:`Watermarker.detect` found in one clip."""

    detected: bool
    probability: float  # overall score in [0, 1] (see module docstring)
    threshold: float
    marked_fraction: float  # share of frames above the threshold
    segments: list[tuple[float, float]]  # (start, end) seconds of marked audio
    payload: int | None  # 16-bit payload decoded (None: no marked frame)
    bit_probabilities: list[float]  # P(bit = 1), most significant first (whole clip or marked frames)
    bit_confidence: list[float]  # |2 p - 1| per bit
    duration: float  # seconds
    frame_seconds: float = FRAME_SECONDS
    speed: float = 1.0  # speed factor at which the payload channel found its pattern (1: unchanged)
    frame_probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)

    def to_dict(self, *, frames: bool = False) -> dict:
        data = {k: getattr(self, k) for k in ("detected", "probability", "threshold", "marked_fraction",
                                               "payload", "bit_probabilities", "bit_confidence",
                                               "duration", "frame_seconds", "speed")}
        data["segments"] = [[round(a, 3), round(b, 3)] for a, b in self.segments]
        if frames:
            data["frame_probabilities"] = [round(float(p), 4) for p in self.frame_probabilities]
        return data


def marked_segments(frame_probabilities: np.ndarray, threshold: float, *,
                    frame_seconds: float = FRAME_SECONDS, merge_gap_s: float = 0.1,
                    min_segment_s: float = 0.1) -> list[tuple[float, float]]:
    """Runs of frames with probability >= ``threshold`` as ``(start_s, end_s)`` pairs."""
    above = np.asarray(frame_probabilities) >= threshold
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
    merged: list[list[int]] = []
    gap = merge_gap_s / frame_seconds
    for start, end in runs:
        if merged and start - merged[-1][1] <= gap:
            merged[-1][1] = end
        else:
            merged.append([int(start), int(end)])
    keep = min_segment_s / frame_seconds
    return [(round(s * frame_seconds, 4), round(e * frame_seconds, 4)) for s, e in merged if e - s >= keep]


def window_score(frame_probabilities: np.ndarray, window_frames: int) -> float:
    """Highest mean probability over ``window_frames`` consecutive frames."""
    probs = np.asarray(frame_probabilities, dtype=np.float64)
    if probs.size == 0:
        return 0.0
    width = max(1, min(window_frames, probs.size))
    sums = np.convolve(probs, np.ones(width), mode="valid")
    return float(sums.max() / width)


def summarise(frame_probabilities: np.ndarray, frame_bit_logits: np.ndarray, *, threshold: float,
              duration: float, frame_seconds: float = FRAME_SECONDS, window_s: float = 1.0,
              bit_probabilities: np.ndarray | None = None, payload_score: float | None = None,
              speed: float = 1.0) -> Detection:
    """Build a :class:`Detection` from frame probabilities ``(frames,)`` and frame bit
    logits ``(nbits, frames)``. ``bit_probabilities`` ``(nbits,)``: ``P(bit = 1)`` from a
    clip-level payload channel (:mod:`watermark.payload`); without it the bits come from the
    frame bit logits pooled over the marked frames. ``payload_score``: that channel's
    clip-level detection score; the clip's probability is the higher of it and the best
    window of frame probabilities, so a clip whose frames the detector misses (8 kHz audio,
    3 kHz low-pass) is still detected, without segments. ``payload`` is None when the clip is
    not detected and no frame is marked. ``speed``: the factor at which that channel found its
    pattern (1: unchanged)."""
    probs = np.asarray(frame_probabilities, dtype=np.float32)
    marked = probs >= threshold
    probability = window_score(probs, int(round(window_s / frame_seconds)))
    if payload_score is not None:
        probability = max(probability, float(payload_score))
    detected = probability >= threshold
    if bit_probabilities is not None:
        p_one = np.asarray(bit_probabilities, dtype=np.float64)
    elif marked.any():
        pooled = np.asarray(frame_bit_logits)[:, marked].mean(axis=1)
        p_one = 1.0 / (1.0 + np.exp(-pooled))
    else:
        p_one = None
    if p_one is not None:
        bits = (p_one > 0.5).astype(np.int64)
        found = marked.any() or detected
        payload = int((bits * (1 << np.arange(bits.size - 1, -1, -1))).sum()) if found else None
        bit_probs = [round(float(p), 4) for p in p_one]
        confidence = [round(float(abs(2 * p - 1)), 4) for p in p_one]
    else:
        payload, bit_probs, confidence = None, [], []
    return Detection(
        detected=bool(detected), probability=round(probability, 6), threshold=threshold,
        marked_fraction=round(float(marked.mean()) if probs.size else 0.0, 4),
        segments=marked_segments(probs, threshold, frame_seconds=frame_seconds),
        payload=payload, bit_probabilities=bit_probs, bit_confidence=confidence,
        duration=round(duration, 4), frame_seconds=frame_seconds, speed=round(float(speed), 4),
        frame_probabilities=probs,
    )
