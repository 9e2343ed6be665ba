"""Prosody and pause values: every accepted form and the errors for the rest."""

from __future__ import annotations

import math

import pytest

from tts_moe.script.prosody import (
    parse_pause,
    parse_pitch,
    parse_rate,
    parse_strength,
    parse_time,
    parse_volume,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("x-slow", 0.6), ("fast", 1.25), ("medium", 1.0), ("1.5", 1.5), ("150%", 1.5), ("+20%", 1.2),
    ("-25%", 0.75), ("default", None), (" FAST ", 1.25),
])
def test_rate(value: str, expected: float | None) -> None:
    result = parse_rate(value)
    assert result is None if expected is None else result == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [
    ("+2st", 2.0), ("-3.5st", -3.5), ("2st", 2.0), ("high", 4.0), ("x-low", -8.0), ("default", None),
    ("+100%", 12.0), ("-50%", -12.0),
])
def test_pitch(value: str, expected: float | None) -> None:
    result = parse_pitch(value)
    assert result is None if expected is None else math.isclose(result, expected)


@pytest.mark.parametrize(("value", "expected"), [
    ("+6dB", 6.0), ("-3db", -3.0), ("soft", -6.0), ("x-loud", 12.0), ("silent", -96.0), ("default", None),
])
def test_volume(value: str, expected: float | None) -> None:
    assert parse_volume(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("500ms", 0.5), ("1.2s", 1.2), ("2 s", 2.0), ("strong", 0.7), ("none", 0.0)])
def test_pause(value: str, expected: float) -> None:
    assert parse_pause(value) == pytest.approx(expected)


@pytest.mark.parametrize(("parser", "value", "words"), [
    (parse_rate, "zoom", "not understood"), (parse_rate, "0.1", "out of range"), (parse_rate, "-1.2", "out of range"),
    (parse_rate, "nan", "not understood"), (parse_pitch, "+20Hz", "Hz"), (parse_pitch, "-100%", "nothing"),
    (parse_pitch, "+30st", "out of range"), (parse_pitch, "loud", "not understood"), (parse_volume, "+6", "not understood"),
    (parse_volume, "+50dB", "out of range"), (parse_pause, "2min", "not understood"), (parse_pause, "90s", "limit"),
    (parse_time, "strong", "500ms"), (parse_time, "-1s", "500ms"), (parse_strength, "huge", "strength"),
])
def test_bad_values_say_what_is_accepted(parser, value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parser(value)
