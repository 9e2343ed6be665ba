"""The teacher speakers: which are for training, which are reserved for cloning evaluation.

Speaker ids are stable: ``flite-slt``, ``flite-rms``, ``flite-awb``, ``festival-kal``,
``festival-ked``, ``hts-slt`` and ``espeak-LANG+VARIANT`` (e.g. ``espeak-en-us+m3``).

RESERVED voices (flite ``awb``, festival ``ked_diphone`` and every espeak-ng English
language/variant pair that is not in :data:`TRAINING_SPEAKER_IDS`) never enter a training
corpus: :func:`select_speakers` refuses a selection that mixes the two groups.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from tts_moe.errors import InputError

ALL_STYLES = ("neutral", "fast", "slow", "high", "low", "wide", "monotone", "whisper")
NO_WHISPER = ALL_STYLES[:-1]
RATE_ONLY = ("neutral", "fast", "slow")

# espeak-ng English language codes a speaker id may use
ESPEAK_LANGUAGES = (
    "en-us", "en-gb-x-rp", "en", "en-gb", "en-gb-scotland", "en-029", "en-us-nyc",
    "en-gb-x-gbclan", "en-gb-x-gbcwmd",
)
# espeak-ng's "en" voice is its British English voice (gmw/en, language en-gb); the phonemizer
# only knows it as "en-gb"
PHONEMIZER_LANGUAGE = {"en": "en-gb"}
ESPEAK_ID_RE = re.compile(r"^espeak-(?P<lang>[a-z0-9-]+)\+(?P<variant>[A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Speaker:
    """One teacher voice.

    ``engine`` is ``espeak``, ``flite``, ``festival`` (diphone) or ``hts`` (festival labels +
    hts_engine); ``voice`` is the engine's own voice name; ``language`` is the phonemizer
    language code for its text; ``styles`` are the styles the teacher supports at all (before
    verification by measurement).
    """

    id: str
    engine: str
    voice: str
    language: str
    styles: tuple[str, ...]
    reserved: bool

    def to_json(self) -> dict:
        data = asdict(self)
        data["styles"] = list(self.styles)
        return data


def _espeak(language: str, variant: str, reserved: bool) -> Speaker:
    return Speaker(
        id=f"espeak-{language}+{variant}",
        engine="espeak",
        voice=f"{language}+{variant}",
        language=PHONEMIZER_LANGUAGE.get(language, language),
        styles=ALL_STYLES,
        reserved=reserved,
    )


TRAINING_SPEAKERS: tuple[Speaker, ...] = (
    Speaker("flite-slt", "flite", "slt", "en-us", NO_WHISPER, False),
    Speaker("flite-rms", "flite", "rms", "en-us", RATE_ONLY, False),
    Speaker("festival-kal", "festival", "kal_diphone", "en-us", NO_WHISPER, False),
    Speaker("hts-slt", "hts", "cmu_us_slt_arctic_hts", "en-us", NO_WHISPER, False),
    _espeak("en-us", "m3", False),
    _espeak("en-us", "f3", False),
    _espeak("en-gb-x-rp", "m1", False),
    _espeak("en", "f2", False),
    _espeak("en-gb-scotland", "m7", False),
    _espeak("en-029", "f4", False),
    _espeak("en-us-nyc", "m8", False),
)
TRAINING_SPEAKER_IDS = frozenset(s.id for s in TRAINING_SPEAKERS)

# The default reserved set rendered by ``--speakers reserved``: the two reserved classic voices
# and one unused variant per espeak accent. Any other non-training espeak pair can be named.
RESERVED_SPEAKERS: tuple[Speaker, ...] = (
    Speaker("flite-awb", "flite", "awb", "en-us", NO_WHISPER, True),
    Speaker("festival-ked", "festival", "ked_diphone", "en-us", NO_WHISPER, True),
    _espeak("en-us", "m2", True),
    _espeak("en-us", "f5", True),
    _espeak("en-gb-x-rp", "f1", True),
    _espeak("en", "m5", True),
    _espeak("en-gb-scotland", "f2", True),
    _espeak("en-029", "m4", True),
    _espeak("en-us-nyc", "f1", True),
    _espeak("en-gb-x-gbclan", "m6", True),
)

_BY_ID = {s.id: s for s in TRAINING_SPEAKERS + RESERVED_SPEAKERS}


def get_speaker(speaker_id: str) -> Speaker:
    """The speaker with this id; any ``espeak-LANG+VARIANT`` pair is accepted (reserved
    unless it is a training voice). Raises InputError for an unknown id."""
    if speaker_id in _BY_ID:
        return _BY_ID[speaker_id]
    match = ESPEAK_ID_RE.match(speaker_id)
    if match and match["lang"] in ESPEAK_LANGUAGES:
        return _espeak(match["lang"], match["variant"], True)
    known = ", ".join(sorted(_BY_ID))
    raise InputError(
        f"unknown speaker {speaker_id!r}: use 'training', 'reserved', or a comma-separated list"
        f" of ids ({known}, or any espeak-LANG+VARIANT with LANG in {', '.join(ESPEAK_LANGUAGES)})"
    )


def is_reserved(speaker_id: str) -> bool:
    """True for every teacher voice that must never be in a training corpus: each one but
    the training voices (flite awb, festival ked, every other espeak variant). Speakers of an
    imported dataset (``ljspeech``, ``vctk-p225``: :mod:`tts_moe.corpus.importers`) are no
    teacher voice and not reserved."""
    if speaker_id in TRAINING_SPEAKER_IDS:
        return False
    try:
        get_speaker(speaker_id)
    except InputError:
        return False
    return True


def select_speakers(spec: str | None) -> tuple[tuple[Speaker, ...], bool]:
    """Parse ``--speakers``: ``training`` (default), ``reserved`` or a list of ids.

    Returns ``(speakers, reserved)``. Raises InputError when a list mixes training and
    reserved voices, so reserved voices cannot slip into a training corpus.
    """
    spec = (spec or "training").strip()
    if spec == "training":
        return TRAINING_SPEAKERS, False
    if spec == "reserved":
        return RESERVED_SPEAKERS, True
    ids = [part.strip() for part in spec.split(",") if part.strip()]
    if not ids:
        raise InputError("--speakers is empty: use 'training', 'reserved' or a list of ids")
    speakers = tuple(dict.fromkeys(get_speaker(i) for i in ids))
    reserved = [s.id for s in speakers if s.reserved]
    training = [s.id for s in speakers if not s.reserved]
    if reserved and training:
        raise InputError(
            f"refusing to mix reserved voices ({', '.join(reserved)}) with training voices "
            f"({', '.join(training)}) in one corpus: build reserved voices into their own folder "
            "with --speakers reserved (or a list of reserved ids only)"
        )
    return speakers, bool(reserved)
