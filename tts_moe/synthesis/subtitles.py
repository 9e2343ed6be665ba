"""Sentence- and word-level subtitles (SRT, WebVTT) from the model's own durations."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tts_moe.errors import InputError, OutputError

FORMATS = ("srt", "vtt")


@dataclass
class Cue:
    start: float
    end: float
    text: str


def word_cues(utterance, hop_seconds: float) -> list[Cue]:
    """Word timings of one utterance: the phoneme string's spaces delimit words, and each
    word lasts as long as its phonemes' predicted durations. When the phoneme words do not
    line up one-to-one with the written words (numbers read as several words, say), the
    utterance time is shared out by word length instead."""
    words = utterance.text.split()
    if not words:
        return []
    durations = [float(d) * hop_seconds for d in utterance.durations]
    spans, current, cursor = [], None, utterance.start
    for symbol, seconds in zip(utterance.phonemes, durations):
        if symbol == " ":
            if current is not None:
                spans.append(current)
                current = None
        elif symbol.isalpha() or symbol in "ɐɑɒæɛɜɪʊʌəɚɔœøʏɯɤɨʉɵɘɞɶ":
            current = [cursor, cursor + seconds] if current is None else [current[0], cursor + seconds]
        cursor += seconds
    if current is not None:
        spans.append(current)
    if len(spans) == len(words):
        return [Cue(a, b, w) for (a, b), w in zip(spans, words)]
    total = sum(len(w) for w in words)
    out, position, length = [], utterance.start, utterance.end - utterance.start
    for word in words:
        step = length * len(word) / total
        out.append(Cue(position, position + step, word))
        position += step
    return out


def _stamp(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def render(cues: list[Cue], format: str) -> str:
    """Subtitle file text for ``cues`` in ``format`` ("srt" or "vtt")."""
    if format == "srt":
        blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n" for i, c in enumerate(cues, 1)]
        return "\n".join(blocks)
    if format == "vtt":
        blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in cues]
        return "WEBVTT\n\n" + "\n".join(blocks)
    raise InputError(f"unknown subtitle format {format!r}: use {' or '.join(FORMATS)}")


def write_subtitles(path: str | os.PathLike, cues: list[Cue], format: str) -> Path:
    """Write atomically (temporary file + rename)."""
    path = Path(path)
    text = render(cues, format)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write subtitles {path}: {error.strerror}") from None
    return path
