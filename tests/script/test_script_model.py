"""Voicing composition (nested tags) and the Segment/Script data model."""

from __future__ import annotations

from tts_moe.script import Segment, Voicing
from tts_moe.script.model import PITCH_RANGE, RATE_RANGE, VOLUME_RANGE


def test_compose_multiplies_rate_adds_pitch_and_volume() -> None:
    v = Voicing().compose("rate", 1.5).compose("rate", 2.0)
    assert v.rate == 3.0
    v = v.compose("pitch", 2.0).compose("pitch", -5.0).compose("volume", 6.0).compose("volume", 3)
    assert (v.pitch, v.volume) == (-3.0, 9.0)


def test_compose_clamps_to_ranges() -> None:
    v = Voicing().compose("rate", 4.0).compose("rate", 4.0)
    assert v.rate == RATE_RANGE[1]
    v = Voicing().compose("pitch", 20.0).compose("pitch", 20.0).compose("volume", -96.0).compose("volume", -96.0)
    assert v.pitch == PITCH_RANGE[1] and v.volume == VOLUME_RANGE[0]


def test_voice_and_style_replace_and_none_resets() -> None:
    v = Voicing(voice="a", style="b", rate=2.0).compose("voice", "c").compose("style", None).compose("rate", None)
    assert v == Voicing(voice="c")


def test_segment_voicing_round_trip() -> None:
    seg = Segment("hi", voice="v", style="s", rate=1.2, pitch=-1.0, volume=3.0)
    assert seg.voicing == Voicing("v", "s", 1.2, -1.0, 3.0)
