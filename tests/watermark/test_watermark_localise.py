"""Segment extraction and the Detection summary on hand-made detector outputs."""

from __future__ import annotations

import numpy as np
import pytest

from watermark.localise import marked_segments, summarise, window_score


def frames(*runs: tuple[float, int]) -> np.ndarray:
    """Concatenate (probability, frame count) runs."""
    return np.concatenate([np.full(n, p, np.float32) for p, n in runs])


def test_half_marked_clip_gives_one_segment_with_times():
    probs = frames((0.05, 100), (0.95, 100))  # 2 s unmarked, 2 s marked (20 ms frames)
    assert marked_segments(probs, 0.5) == [(2.0, 4.0)]


def test_short_gaps_are_bridged_and_short_blips_dropped():
    probs = frames((0.9, 50), (0.1, 3), (0.9, 50), (0.1, 50), (0.9, 2), (0.1, 20))
    assert marked_segments(probs, 0.5, merge_gap_s=0.1, min_segment_s=0.1) == [(0.0, 2.06)]
    assert len(marked_segments(probs, 0.5, merge_gap_s=0.0, min_segment_s=0.0)) == 3


def test_no_marked_frames_gives_no_segments():
    assert marked_segments(frames((0.2, 80)), 0.5) == []


def test_window_score_finds_the_best_second():
    probs = frames((0.0, 200), (1.0, 50), (0.0, 200))
    assert window_score(probs, 50) == pytest.approx(1.0)
    assert window_score(probs, 100) == pytest.approx(0.5)
    assert window_score(frames((0.7, 10)), 50) == pytest.approx(0.7)  # shorter than the window


def test_summary_decodes_payload_over_marked_frames_only():
    probs = frames((0.02, 100), (0.98, 100))
    payload_bits = np.array([(0xBEEF >> (15 - i)) & 1 for i in range(16)])
    logits = np.empty((16, 200), np.float32)
    logits[:, 100:] = np.where(payload_bits, 3.0, -3.0)[:, None]  # marked half: the payload
    logits[:, :100] = np.where(payload_bits, -9.0, 9.0)[:, None]  # unmarked half: the opposite, louder
    found = summarise(probs, logits, threshold=0.5, duration=4.0)
    assert found.detected and found.payload == 0xBEEF
    assert found.marked_fraction == pytest.approx(0.5)
    assert found.segments == [(2.0, 4.0)]
    assert all(c == pytest.approx(abs(2 / (1 + np.exp(-3)) - 1), abs=1e-3) for c in found.bit_confidence)
    data = found.to_dict()
    assert data["segments"] == [[2.0, 4.0]] and "frame_probabilities" not in data
    assert len(found.to_dict(frames=True)["frame_probabilities"]) == 200


def test_summary_of_an_unmarked_clip():
    found = summarise(frames((0.1, 100)), np.zeros((16, 100)), threshold=0.5, duration=2.0)
    assert not found.detected and found.payload is None and found.segments == []
    assert found.marked_fraction == 0.0
