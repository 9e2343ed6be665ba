"""Parse prosody and pause values written in SSML attributes or dialogue tags.

Each parser takes the value as written and returns a number, or ``None`` for
``"default"`` (reset to the synthesizer's default). A bad value raises ``ValueError``
whose message says what is accepted; the format parsers add line and column.

==========  ===================================================================
``rate``    ``x-slow`` ``slow`` ``medium`` ``fast`` ``x-fast``; a multiplier
            (``1.2``); ``120%`` (= 1.2); ``+20%`` / ``-20%`` (relative change).
            Result: multiplier in :data:`~tts_moe.script.model.RATE_RANGE`.
``pitch``   ``x-low`` ``low`` ``medium`` ``high`` ``x-high``; ``+2st`` / ``-3.5st``
            (semitones); ``+10%`` / ``-10%`` (frequency change). Result: semitones.
``volume``  ``silent`` ``x-soft`` ``soft`` ``medium`` ``loud`` ``x-loud``; ``+6dB`` /
            ``-3dB``. Result: gain in dB.
``pause``   ``500ms``, ``1.2s``, or a strength ``none`` ... ``x-strong``. Result: seconds.
==========  ===================================================================
"""

from __future__ import annotations

import math
import re

from tts_moe.script.model import PITCH_RANGE, RATE_RANGE, VOLUME_RANGE
from tts_moe.script.pauses import BREAK_STRENGTHS, MAX_BREAK_SECONDS

RATE_NAMES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "fast": 1.25, "x-fast": 1.6}
PITCH_NAMES = {"x-low": -8.0, "low": -4.0, "medium": 0.0, "high": 4.0, "x-high": 8.0}
#: ``silent`` is a -96 dB gain (the 16-bit floor): the text keeps its time but is inaudible.
VOLUME_NAMES = {"silent": -96.0, "x-soft": -12.0, "soft": -6.0, "medium": 0.0, "loud": 6.0, "x-loud": 12.0}

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_SIGNED_RE = re.compile(r"([+-]?)" + _NUMBER + r"\s*(%|st|db|hz|ms|s)?", re.IGNORECASE)


def _split(value: str) -> tuple[float, str, str] | None:
    """``"+20%"`` -> ``(20.0, "+", "%")``; ``None`` if it is not a number with a unit."""
    m = _SIGNED_RE.fullmatch(value.strip())
    if not m:
        return None
    number = float(m.group(2))
    if not math.isfinite(number):
        return None
    return number, m.group(1), (m.group(3) or "").lower()


def _check(value: float, bounds: tuple[float, float], what: str, written: str) -> float:
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what} {written!r} is out of range ({bounds[0]:g} to {bounds[1]:g})")
    return value


def parse_rate(value: str) -> float | None:
    """Speaking-rate value -> multiplier (see module table); ``"default"`` -> ``None``."""
    key = value.strip().lower()
    if key == "default":
        return None
    if key in RATE_NAMES:
        return RATE_NAMES[key]
    parts = _split(value)
    if parts is not None and parts[2] in ("", "%"):
        number, sign, unit = parts
        if unit == "%" and sign:
            factor = 1.0 + (number if sign == "+" else -number) / 100.0
        elif unit == "%":
            factor = number / 100.0
        elif sign == "-":
            factor = -1.0
        else:
            factor = number
        return _check(factor, RATE_RANGE, "rate", value)
    raise ValueError(
        f"rate {value!r} is not understood: use x-slow, slow, medium, fast, x-fast, "
        "a multiplier (1.2), a percentage (120%) or a change (+20%, -10%)"
    )


def parse_pitch(value: str) -> float | None:
    """Pitch value -> shift in semitones (see module table); ``"default"`` -> ``None``."""
    key = value.strip().lower()
    if key == "default":
        return None
    if key in PITCH_NAMES:
        return PITCH_NAMES[key]
    parts = _split(value)
    if parts is not None and parts[2] == "st":
        number, sign, _ = parts
        return _check(-number if sign == "-" else number, PITCH_RANGE, "pitch", value)
    if parts is not None and parts[2] == "%" and parts[1]:
        number, sign, _ = parts
        factor = 1.0 + (number if sign == "+" else -number) / 100.0
        if factor <= 0:
            raise ValueError(f"pitch {value!r} would lower the pitch to nothing: use at most -99%")
        return _check(12.0 * math.log2(factor), PITCH_RANGE, "pitch", value)
    if parts is not None and parts[2] == "hz":
        raise ValueError(
            f"pitch {value!r}: changes in Hz are not supported (they depend on the voice); "
            "use semitones (+2st) or a percentage (+10%)"
        )
    raise ValueError(
        f"pitch {value!r} is not understood: use x-low, low, medium, high, x-high, "
        "semitones (+2st, -3st) or a change in percent (+10%, -5%)"
    )


def parse_volume(value: str) -> float | None:
    """Volume value -> gain in dB (see module table); ``"default"`` -> ``None``."""
    key = value.strip().lower()
    if key == "default":
        return None
    if key in VOLUME_NAMES:
        return VOLUME_NAMES[key]
    parts = _split(value)
    if parts is not None and parts[2] == "db":
        number, sign, _ = parts
        return _check(-number if sign == "-" else number, VOLUME_RANGE, "volume", value)
    raise ValueError(
        f"volume {value!r} is not understood: use silent, x-soft, soft, medium, loud, x-loud "
        "or a gain in decibels (+6dB, -3dB)"
    )


def parse_pause(value: str) -> float:
    """Pause length (``500ms``, ``1.2s``) or strength name -> seconds."""
    key = value.strip().lower()
    if key in BREAK_STRENGTHS:
        return BREAK_STRENGTHS[key]
    parts = _split(value)
    if parts is not None and parts[2] in ("ms", "s") and not parts[1]:
        number, _, unit = parts
        seconds = number / 1000.0 if unit == "ms" else number
        if seconds > MAX_BREAK_SECONDS:
            raise ValueError(f"pause {value!r} is longer than the {MAX_BREAK_SECONDS:g} s limit")
        return seconds
    raise ValueError(
        f"pause {value!r} is not understood: use a time (500ms, 1.2s) or a strength "
        "(none, x-weak, weak, medium, strong, x-strong)"
    )


def parse_strength(value: str) -> float:
    """SSML ``<break strength>`` -> seconds (names only)."""
    key = value.strip().lower()
    if key not in BREAK_STRENGTHS:
        raise ValueError(f"break strength {value!r} is not one of {', '.join(BREAK_STRENGTHS)}")
    return BREAK_STRENGTHS[key]


def parse_time(value: str) -> float:
    """SSML ``<break time>`` (``500ms``, ``1.2s``) -> seconds."""
    parts = _split(value)
    if parts is None or parts[2] not in ("ms", "s") or parts[1]:
        raise ValueError(f"break time {value!r} is not understood: write it like 500ms or 1.2s")
    return parse_pause(value)


#: Parser per prosody key (shared by SSML ``<prosody>`` and dialogue tags).
PARSERS = {"rate": parse_rate, "pitch": parse_pitch, "volume": parse_volume}
