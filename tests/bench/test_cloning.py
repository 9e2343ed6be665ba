"""bench.cloning: the pure helpers (reference selection by duration)."""

import numpy as np
import soundfile

from bench.cloning import take_seconds


def _clip(path, seconds, sample_rate=16000):
    soundfile.write(str(path), np.zeros(int(seconds * sample_rate), dtype=np.float32), sample_rate)
    return path


def test_take_seconds_stops_once_enough_audio(tmp_path):
    refs = [(_clip(tmp_path / f"r{i}.wav", 12.0), f"text {i}") for i in range(5)]
    chosen = take_seconds(refs, 30.0)
    assert [text for _, text in chosen] == ["text 0", "text 1", "text 2"]  # 36 s >= 30 s, 24 s is not
    assert take_seconds(refs, 24.0) == refs[:2]


def test_take_seconds_returns_everything_when_short(tmp_path):
    refs = [(_clip(tmp_path / "a.wav", 3.0), "a"), (_clip(tmp_path / "b.wav", 4.0), "b")]
    assert take_seconds(refs, 60.0) == refs
    assert take_seconds(refs, 0.0) == []
