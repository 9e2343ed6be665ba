"""Each teacher renders a short clip at 16 kHz; styles move duration and F0 the right way."""

from __future__ import annotations

import numpy as np
import pytest

from tts_moe.corpus.engines import get_engine
from tts_moe.corpus.engines.espeak import prepare_data_root
from tts_moe.corpus.signal import SAMPLE_RATE, measure, process_clip
from tts_moe.corpus.speakers import get_speaker

pytestmark = pytest.mark.needs_teachers
TEXT = "The quick brown fox jumps over the lazy dog near the river bank."
IPA = "x" * 50  # phone count is irrelevant here


def render(speaker_id: str, style: str, tmp_path, data_root=None):
    speaker = get_speaker(speaker_id)
    engine = get_engine(speaker.engine, data_root)
    work = tmp_path / f"{speaker_id}-{style}"
    work.mkdir()
    (clip,) = engine.render(speaker, style, [TEXT], work)
    if isinstance(clip, Exception):
        raise clip
    return clip


@pytest.fixture(autouse=True)
def _teachers_present(request, require_engine):
    """Skip when a teacher this test uses is not installed."""
    for speaker_id in ("espeak-en-us+m3", "flite-slt", "festival-kal", "hts-slt"):
        speaker = get_speaker(speaker_id)
        if speaker_id in request.node.name or "speaker_id" not in request.fixturenames:
            require_engine(speaker.engine, speaker.voice)


@pytest.mark.parametrize("speaker_id", ["espeak-en-us+m3", "flite-slt", "festival-kal", "hts-slt"])
def test_engine_renders_a_short_clip(speaker_id, tmp_path):
    clip = render(speaker_id, "neutral", tmp_path)
    assert clip.audio.ndim == 1 and clip.audio.dtype == np.float32
    seconds = clip.audio.size / SAMPLE_RATE  # read_wav resamples every teacher to 16 kHz
    assert 2.0 < seconds < 7.0
    assert np.isfinite(clip.audio).all() and np.abs(clip.audio).max() > 0.01
    if speaker_id != "espeak-en-us+m3":
        ends = [end for _, end in clip.timings]
        assert len(ends) > 30 and ends == sorted(ends)
        assert abs(ends[-1] - seconds) < 0.12  # the last phone ends with the audio


def test_rate_styles_change_duration(tmp_path):
    for speaker_id in ("espeak-en-us+m3", "hts-slt"):
        fast = render(speaker_id, "fast", tmp_path).audio.size
        slow = render(speaker_id, "slow", tmp_path).audio.size
        assert fast < 0.8 * slow, speaker_id


def test_pitch_styles_change_f0(tmp_path):
    for speaker_id in ("flite-slt", "festival-kal"):
        high = measure(process_clip(render(speaker_id, "high", tmp_path).audio).audio, IPA)
        low = measure(process_clip(render(speaker_id, "low", tmp_path).audio).audio, IPA)
        assert high["f0_median"] > 1.3 * low["f0_median"], speaker_id


def test_whisper_keeps_the_speaker_variant_and_is_unvoiced(tmp_path):
    root = prepare_data_root(tmp_path / "espeak", ["m3"])
    variant = (root / "espeak-ng-data" / "voices" / "!v" / "m3-whisper").read_text()
    assert "pitch 80 122" in variant and "breath 75" in variant  # m3's pitch + whisper breath
    whisper = measure(process_clip(render("espeak-en-us+m3", "whisper", tmp_path, str(root)).audio).audio, IPA)
    neutral = measure(process_clip(render("espeak-en-us+m3", "neutral", tmp_path).audio).audio, IPA)
    assert whisper["voiced_fraction"] < 0.5 * neutral["voiced_fraction"]


def test_festival_batches_do_not_carry_state(tmp_path):
    """A clip renders the same alone or after others in one festival process (resume safety)."""
    speaker = get_speaker("festival-kal")
    engine = get_engine("festival")
    texts = ["First sentence is here.", "Does it carry state?", TEXT]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    batch = engine.render(speaker, "slow", texts, tmp_path / "a")
    alone = engine.render(speaker, "slow", [TEXT], tmp_path / "b")
    assert np.array_equal(batch[2].audio, alone[0].audio)
    assert batch[2].timings == alone[0].timings
