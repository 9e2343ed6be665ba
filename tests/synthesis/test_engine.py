"""SpeechEngine: the vocoder runs in calls of at most ``max_vocoder_frames`` padded frames."""

from __future__ import annotations

import numpy as np
import torch

from tts_moe.synthesis.engine import SpeechEngine
from tts_moe.synthesis.plan import Job


def _jobs(count: int) -> list[Job]:
    return [Job(index=i, text="x", words=["x"], phonemes="x", ids=[5 + (k % 20) for k in range(4 + 3 * i)],
                voice="flite-slt", style="neutral", rate=1.0, pitch=0.0, volume=0.0, pause_before=0.0)
            for i in range(count)]


class RecordingVocoder:
    """Wraps a vocoder and records the ``(rows, n_mels, frames)`` shape of every call."""

    def __init__(self, vocoder):
        self.vocoder, self.calls = vocoder, []

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        self.calls.append(tuple(mel.shape))
        return self.vocoder(mel)


def _render(parts, budget: int):
    acoustic, vocoder, _ = parts
    recorder = RecordingVocoder(vocoder)
    engine = SpeechEngine(acoustic, recorder, max_vocoder_frames=budget)
    torch.manual_seed(0)
    return engine, recorder, engine.render(_jobs(6))


def test_vocoder_calls_stay_within_the_frame_budget(parts):
    engine, whole, reference = _render(parts, 10**9)
    assert len(whole.calls) == 1  # one batch, one call
    frames = [len(r.audio) // engine.hop for r in reference]
    budget = max(frames) + 1  # room for the longest row alone, never for all six
    _, split, rendered = _render(parts, budget)
    assert len(split.calls) > 1
    assert all(rows * length <= budget or rows == 1 for rows, _, length in split.calls)
    for a, b in zip(reference, rendered):
        assert a.job is not b.job and a.job.index == b.job.index
        assert len(a.audio) == len(b.audio) == int(a.durations.sum()) * engine.hop


def test_every_row_is_vocoded_once_even_when_longer_than_the_budget(parts):
    engine, recorder, rendered = _render(parts, 1)
    assert len(recorder.calls) == 6 and all(rows == 1 for rows, _, _ in recorder.calls)
    assert all(len(r.audio) > 0 and np.isfinite(r.audio).all() for r in rendered)
