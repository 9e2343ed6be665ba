"""What a parsed script is: a flat list of :class:`Segment` plus :class:`Chapter` markers.

Every format (plain text, Markdown, SSML) parses into the same model, so the synthesizer
never sees markup. A segment is one run of text (or one IPA string) spoken with one set
of voice/prosody settings; the text front end (``TextFrontend.prepare``) splits a text
segment into sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Limits that composed prosody settings are clamped to (each single value outside them is
#: an error at parse time; nesting can multiply/add past them, then the result is clamped).
RATE_RANGE = (0.25, 4.0)
PITCH_RANGE = (-24.0, 24.0)
VOLUME_RANGE = (-96.0, 24.0)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


@dataclass(frozen=True)
class Voicing:
    """Voice, style and prosody in force for a stretch of text; ``None`` = the default.

    ``rate`` is a speaking-rate multiplier (1.0 = normal, 2.0 = twice as fast), ``pitch``
    a shift in semitones, ``volume`` a gain in dB.
    """

    voice: str | None = None
    style: str | None = None
    rate: float | None = None
    pitch: float | None = None
    volume: float | None = None

    def override(self, key: str, value: str | float | None) -> Voicing:
        """A copy with ``key`` set to ``value`` (replacing, not composing)."""
        return replace(self, **{key: value})

    def compose(self, key: str, value: str | float | None) -> Voicing:
        """A copy with ``value`` applied inside this voicing, the way nested tags combine:
        ``voice``/``style`` replace, ``rate`` multiplies, ``pitch`` and ``volume`` add
        (results clamped to :data:`RATE_RANGE`/:data:`PITCH_RANGE`/:data:`VOLUME_RANGE`).
        ``None`` resets the key to the default."""
        if value is None or key in ("voice", "style"):
            return self.override(key, value)
        value = float(value)
        current = getattr(self, key)
        if key == "rate":
            return self.override(key, value if current is None else _clamp(current * value, RATE_RANGE))
        bounds = PITCH_RANGE if key == "pitch" else VOLUME_RANGE
        return self.override(key, value if current is None else _clamp(current + value, bounds))


@dataclass
class Segment:
    """One speakable unit of a script.

    Exactly one of two kinds:

    * a text segment: ``text`` is raw text for ``TextFrontend.prepare`` (it may hold several
      sentences; numbers, abbreviations etc. are left to the front end); ``phonemes`` is
      ``None``;
    * a phoneme segment (SSML ``<phoneme alphabet="ipa" ph="...">``): ``phonemes`` is an IPA
      string already checked against the default ``SymbolTable`` (encode it directly, no
      front end); ``text`` is the element's written content, for subtitles only (may be "").

    ``voice``/``style`` are names as written in the script (``None`` = the synthesizer's
    default; names are validated by the synthesizer, not here). ``rate`` (multiplier),
    ``pitch`` (semitones) and ``volume`` (dB) are ``None`` when not given.
    ``pause_before`` is the silence in seconds to put between the previous segment and this
    one; 0.0 means it follows on directly (e.g. a voice or prosody change in mid-sentence).
    Sentences inside one segment get the synthesizer's own natural gap.
    ``chapter`` is a title when a chapter (Markdown heading) starts here. ``line`` and
    ``column`` (1-based) locate the segment's first character in the script.
    """

    text: str
    phonemes: str | None = None
    voice: str | None = None
    style: str | None = None
    rate: float | None = None
    pitch: float | None = None
    volume: float | None = None
    pause_before: float = 0.0
    chapter: str | None = None
    line: int = 1
    column: int = 1

    @property
    def voicing(self) -> Voicing:
        """The segment's voice/style/prosody as a :class:`Voicing`."""
        return Voicing(self.voice, self.style, self.rate, self.pitch, self.volume)


@dataclass
class Chapter:
    """A chapter marker: ``title``, heading ``level`` (1 = ``#``), the index of the first
    segment of the chapter in :attr:`Script.segments`, and the heading's source position."""

    title: str
    level: int
    segment: int
    line: int
    column: int


@dataclass
class Script:
    """A parsed script: ``segments`` in reading order, ``chapters`` (Markdown headings; empty
    for plain text and SSML), the ``format`` it was parsed as, and ``trailing_pause``
    (seconds of explicit silence after the last segment, e.g. a final SSML ``<break>``)."""

    segments: list[Segment] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    format: str = "text"
    trailing_pause: float = 0.0
