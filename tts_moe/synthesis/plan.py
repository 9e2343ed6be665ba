"""From a parsed script to a flat list of utterances to synthesise.

Each :class:`Job` is one sentence (or clause) with its phoneme ids, the voice and style it
is spoken in, its prosody and the silence that precedes it. Planning is cheap (text front
end only) and runs window by window, so memory stays flat on long scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tts_moe.errors import TextError
from tts_moe.script.model import Script, Segment
from tts_moe.text import TextFrontend

SENTENCE_GAP_S = 0.30  # silence between sentences of one segment


@dataclass
class Job:
    """One utterance: ``ids`` ``(phonemes,)``; ``text`` is what it says (for subtitles and
    the ledger), ``words`` its normalised words; ``pause_before`` seconds of silence."""

    index: int
    text: str
    words: list[str]
    phonemes: str
    ids: list[int]
    voice: str
    style: str
    rate: float
    pitch: float
    volume: float
    pause_before: float
    chapter: str | None = None


class Planner:
    """Turns script segments into jobs, with one text front end per language. Voice and
    style names are the caller's to check (the Synthesizer checks every segment up front)."""

    def __init__(self, default_voice: str, default_style: str, languages: dict[str, str],
                 max_phonemes: int = 400) -> None:
        self.default_voice, self.default_style = default_voice, default_style
        self.languages = languages
        self.max_phonemes = max_phonemes
        self._frontends: dict[str, TextFrontend] = {}

    def frontend(self, voice: str) -> TextFrontend:
        language = self.languages.get(voice, "en-us")
        if language not in self._frontends:
            self._frontends[language] = TextFrontend(language=language, max_phonemes=self.max_phonemes)
        return self._frontends[language]

    def segment_jobs(self, segment: Segment, first_index: int) -> list[Job]:
        voice = segment.voice or self.default_voice
        style = segment.style or self.default_style
        where = f"line {segment.line}, column {segment.column}"
        prosody = dict(rate=segment.rate or 1.0, pitch=segment.pitch or 0.0, volume=segment.volume or 0.0)
        frontend = self.frontend(voice)
        pause = segment.pause_before  # 0 = the segment continues the sentence (a span, a <phoneme>)
        if segment.phonemes is not None:
            ids = frontend.encode(segment.phonemes)
            if not ids:
                return []
            return [Job(first_index, segment.text or segment.phonemes, segment.text.split(), segment.phonemes, ids,
                        voice, style, pause_before=pause, chapter=segment.chapter, **prosody)]
        try:
            utterances = frontend.prepare(segment.text)
        except TextError as error:
            if "nothing to speak" in str(error):
                return []  # a segment of only punctuation or emoji; the script as a whole is checked later
            raise TextError(f"{where}: {error}") from None
        jobs = []
        for offset, utterance in enumerate(utterances):
            jobs.append(Job(first_index + offset, utterance.text, utterance.normalized.split(), utterance.phonemes,
                            utterance.ids, voice, style, pause_before=pause if offset == 0 else SENTENCE_GAP_S,
                            chapter=segment.chapter if offset == 0 else None, **prosody))
        return jobs

    def jobs(self, script: Script) -> Iterator[Job]:
        """All jobs of ``script`` in reading order (lazily, segment by segment)."""
        index = 0
        for segment in script.segments:
            for job in self.segment_jobs(segment, index):
                yield job
                index += 1
        if index == 0:
            raise TextError("nothing to speak: the script has no words (only markup, punctuation or symbols?)")
