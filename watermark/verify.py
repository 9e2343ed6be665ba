"""``tts-moe verify``: is a clip watermarked, and which ledger clip is it?

>>> with open_ledger(None) as ledger:                      # None: no ledger at the default path
...     report = verify_paths(["clips/"], Watermarker.from_pretrained(), ledger)
>>> report.exit_code, [clip.status for clip in report.clips]

Each audio file is hashed (SHA-256 of its bytes), read with :func:`tts_moe.audio.load_audio`
(any rate and channel count soundfile reads: mixed down to mono, resampled to 16 kHz) and run
through :meth:`Watermarker.detect`. A silent file (peak below -60 dBFS) is not run through the
detector: it is reported unmarked. The ledger is then asked with :meth:`Ledger.lookup`:

* watermark detected: lookup of the decoded payload plus the file's SHA-256, so a file that
  is byte-identical to a logged clip is pinned exactly (``match == "exact"``; the number of
  decoded bits that differ from the recorded payload is reported), and otherwise every clip
  carrying the payload is a candidate (``"payload-only"``, ranked by duration; at most
  ``MAX_RECORDS`` are listed, ``candidate_count`` says how many there are);
* not detected: a hash-only lookup (payload 0, which the ledger never issues), so a logged
  file whose watermark the detector missed is still named, but stays "unmarked".

Status of a clip, and exit status of a batch:

=============  ===========================================================================
``verified``   watermark detected and the clip found in the ledger (exact or by payload)
``unmatched``  watermark detected, but no ledger clip carries the payload (or no ledger)
``unmarked``   no watermark detected (silent clips included)
``error``      the file is missing, unreadable, corrupt or too short (< 20 ms); reported
               with its reason, the batch goes on
=============  ===========================================================================

Exit status: 0 when every clip is verified; 1 when some clip is unmarked, unmatched or an
error; 2 when no audio file was found or *every* file was an error (and for bad options, a
missing ledger given explicitly, or a damaged ledger). A revoked or expired consent is a
warning on the clip, not a failure: the clip was made while the consent was valid.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tts_moe.errors import InputError, TTSMoeError
from watermark.ledger.paths import ENV_VAR, resolve_ledger_path
from watermark.ledger.payload import PAYLOAD_BITS
from watermark.ledger.records import sha256_file
from watermark.ledger.store import Ledger
from watermark.localise import FRAME_SECONDS, Detection, summarise

MAX_RECORDS = 10  # payload-only candidates listed per clip (candidate_count has them all)
HASH_ONLY_PAYLOAD = 0  # never issued by a ledger (see watermark.ledger.payload)
STATUSES = ("verified", "unmatched", "unmarked", "error")
# soundfile format name -> file extensions searched for in folders (RAW, MAT and HTK are left
# out: header-less or mostly not audio)
_EXTENSIONS = {
    "WAV": ("wav", "wave"), "WAVEX": ("wav",), "FLAC": ("flac",), "OGG": ("ogg", "oga", "opus"),
    "MP3": ("mp3",), "AIFF": ("aif", "aiff", "aifc"), "AU": ("au", "snd"), "CAF": ("caf",),
    "W64": ("w64",), "RF64": ("rf64",), "VOC": ("voc",), "NIST": ("sph", "nist"),
    "SD2": ("sd2",), "PAF": ("paf",), "SVX": ("svx", "8svx"), "AVR": ("avr",), "SDS": ("sds",),
    "PVF": ("pvf",), "WVE": ("wve",), "XI": ("xi",), "IRCAM": ("sf", "ircam"),
}


class Detector(Protocol):
    """What verify needs of a :class:`~watermark.watermarker.Watermarker`."""

    threshold: float

    def detect(self, audio: np.ndarray, *, threshold: float | None = None) -> Detection: ...


# ------------------------------------------------------------------------------ results
@dataclass
class ClipRecord:
    """A ledger clip row with its voice and the current status of its consent record(s)."""

    clip_id: str
    created_at: str
    voice_id: str
    voice_kind: str | None
    voice_name: str | None
    consent_id: str | None
    consents: list[dict[str, Any]]  # every consent of the clip and its chunks, status now
    payload: int
    audio_sha256: str
    duration_s: float
    path: str | None
    style: str | None
    text: str | None  # only when the user opted in to storing it
    text_sha256: str
    model_versions: str
    toolkit_version: str
    chunks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LedgerMatch:
    """What the ledger knows about a clip (see the module docstring)."""

    match: str  # "exact", "payload-only", "none" or "no-ledger"
    payload: int | None = None  # the payload looked up (None: hash-only lookup or no ledger)
    payload_agrees: bool | None = None  # exact: recorded payload == decoded payload
    bit_errors: int | None = None  # exact and detected: decoded bits differing from the record
    candidate_count: int = 0  # clips carrying the payload
    records: list[ClipRecord] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.match in ("exact", "payload-only")

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "records"}
        return {**data, "records": [record.to_dict() for record in self.records]}


@dataclass
class ClipReport:
    """The verdict on one file."""

    path: str
    status: str  # one of STATUSES
    audio_sha256: str | None = None
    duration_s: float | None = None
    silent: bool = False
    detection: Detection | None = None
    ledger: LedgerMatch | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def to_dict(self) -> dict[str, Any]:
        detection = None
        if self.detection is not None:
            payload = self.detection.payload
            detection = {**self.detection.to_dict(),
                         "bits": None if payload is None else format(payload, f"0{PAYLOAD_BITS}b")}
        return {"path": self.path, "status": self.status, "verified": self.verified,
                "error": self.error, "audio_sha256": self.audio_sha256,
                "duration_s": self.duration_s, "silent": self.silent, "detection": detection,
                "ledger": None if self.ledger is None else self.ledger.to_dict(),
                "warnings": list(self.warnings)}


@dataclass
class VerifyReport:
    """The verdicts on a batch, with the batch's exit status."""

    clips: list[ClipReport]
    ledger_path: str | None
    threshold: float | None  # the --threshold override (None: the model card's)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {status: sum(clip.status == status for clip in self.clips) for status in STATUSES}

    @property
    def exit_code(self) -> int:
        counts = self.counts()
        if not self.clips or counts["error"] == len(self.clips):
            return 2
        return 0 if counts["verified"] == len(self.clips) else 1

    def to_dict(self) -> dict[str, Any]:
        return {"clips": [clip.to_dict() for clip in self.clips],
                "summary": {"files": len(self.clips), **self.counts(), "exit_code": self.exit_code},
                "ledger": self.ledger_path, "threshold": self.threshold,
                "warnings": list(self.warnings)}


# ------------------------------------------------------------------------------ inputs
def audio_extensions() -> frozenset[str]:
    """Lower-case extensions (no dot) searched for in folders: wav, flac, ogg, mp3 and the
    other formats the installed libsndfile reads."""
    import soundfile

    readable = set(soundfile.available_formats()) | {"WAV", "FLAC", "OGG", "MP3"}
    return frozenset(ext for name in readable for ext in _EXTENSIONS.get(name, ()))


def find_audio_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """Expand ``paths``: files are kept as given (whatever their extension; a missing one is
    kept too and reported as an error), folders are searched recursively for audio files
    (hidden files and folders skipped, symlinked folders not followed), in sorted order,
    each file once. Returns ``(files, warnings)``; raises :class:`InputError` if no file."""
    extensions = audio_extensions()
    files: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = list(_walk(path, extensions))
            if not found:
                warnings.append(f"no audio files in {path}")
        else:
            found = [path]
        for item in found:
            key = item.resolve() if item.exists() else item.absolute()
            if key not in seen:
                seen.add(key)
                files.append(item)
    if not files:
        known = ", ".join(sorted(extensions))
        raise InputError(f"no audio files found in {', '.join(str(p) for p in paths) or '(nothing)'}"
                         f" (looked for: {known})")
    return files, warnings


def _walk(folder: Path, extensions: frozenset[str]) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and "." in name \
                    and name.rsplit(".", 1)[-1].lower() in extensions:
                yield Path(root) / name


@contextlib.contextmanager
def open_ledger(path: str | os.PathLike | None, environ: dict[str, str] | None = None
                ) -> Iterator[Ledger | None]:
    """The ledger read-only, as the ledger CLI resolves it (``--ledger`` > ``$TTS_MOE_LEDGER``
    > the XDG data folder). A ledger given explicitly (argument or variable) must exist
    (:class:`InputError` otherwise); a missing default ledger yields ``None``."""
    env = os.environ if environ is None else environ
    resolved = Path(path).expanduser() if path else resolve_ledger_path(None)
    if not path and not env.get(ENV_VAR) and not resolved.exists():
        yield None
        return
    with Ledger(resolved, read_only=True) as ledger:
        yield ledger


# ------------------------------------------------------------------------------ one clip
def verify_file(path: str | os.PathLike, watermarker: Detector, ledger: Ledger | None, *,
                threshold: float | None = None) -> ClipReport:
    """Verify one file. Problems with the file become ``status == "error"``; problems with
    the ledger raise."""
    from tts_moe.audio import SAMPLE_RATE, SILENCE_PEAK, load_audio

    check_threshold(threshold)
    path = Path(path)
    report = ClipReport(path=str(path), status="error")
    try:
        report.audio_sha256 = sha256_file(path) if path.is_file() else None
        audio = load_audio(path, SAMPLE_RATE, allow_silent=True)  # (time,) float32
        report.duration_s = round(audio.size / SAMPLE_RATE, 4)
        report.silent = float(np.abs(audio).max()) < SILENCE_PEAK
        limit = watermarker.threshold if threshold is None else float(threshold)
        report.detection = (_silence(audio.size / SAMPLE_RATE, limit) if report.silent
                            else watermarker.detect(audio, threshold=threshold))
    except (TTSMoeError, OSError, MemoryError) as error:
        report.error = str(error) or type(error).__name__
        return report
    detection = report.detection
    detected = detection.detected and detection.payload is not None
    trusted, why = payload_trusted(watermarker)
    report.ledger = match_ledger(ledger, detection.payload if detected and trusted else None,
                                 report.audio_sha256, report.duration_s)
    if detected and not trusted:
        report.warnings.append(why)
    if not detected:
        report.status = "unmarked"
        if report.ledger.match == "exact":
            report.warnings.append("the file is byte-identical to a ledger clip, but its "
                                   "watermark was not detected (a detector miss)")
    else:
        report.status = "verified" if report.ledger.matched else "unmatched"
    report.warnings.extend(_record_warnings(report.ledger))
    return report


def _silence(seconds: float, threshold: float) -> Detection:
    frames = max(1, int(np.ceil(seconds / FRAME_SECONDS)))
    return summarise(np.zeros(frames, np.float32), np.zeros((PAYLOAD_BITS, frames), np.float32),
                     threshold=threshold, duration=seconds)


#: payloads decoded by a model whose card reports a lower clean bit accuracy are not used to
#: find ledger clips (a random payload would point at an unrelated clip)
MIN_PAYLOAD_BIT_ACCURACY = 0.95


def payload_trusted(watermarker) -> tuple[bool, str]:
    """Whether decoded payloads may be matched to ledger clips, and why not. Models without a
    measured figure in their card (e.g. official AudioSeal checkpoints) are trusted."""
    measured = (getattr(watermarker, "card", None) or {}).get("payload_bit_accuracy")
    if measured is None or float(measured) >= MIN_PAYLOAD_BIT_ACCURACY:
        return True, ""
    return False, (f"this watermark model decodes payloads with a measured bit accuracy of {float(measured):.2f} "
                   f"(< {MIN_PAYLOAD_BIT_ACCURACY}), so the payload is not used to find ledger clips; only a "
                   "byte-identical file is matched (by its SHA-256)")


def match_ledger(ledger: Ledger | None, payload: int | None, audio_sha256: str | None,
                 duration_s: float | None) -> LedgerMatch:
    """Ask the ledger about a decoded ``payload`` (None: not detected, hash-only lookup)."""
    if ledger is None:
        return LedgerMatch("no-ledger", payload)
    try:
        found = ledger.lookup(HASH_ONLY_PAYLOAD if payload is None else payload,
                              audio_sha256, duration_s)
        if found.match == "exact":
            result = LedgerMatch("exact", payload, found.payload_agrees if payload is not None
                                 else None, candidate_count=found.candidate_count,
                                 records=[clip_record(ledger, found.clip)])
            if payload is not None:
                result.bit_errors = (payload ^ found.clip["payload"]).bit_count()
            else:
                result.candidate_count = 0
            return result
        if payload is None or found.match == "none":
            return LedgerMatch("none", payload)
        return LedgerMatch("payload-only", payload, candidate_count=found.candidate_count,
                           records=[clip_record(ledger, row) for row in found.candidates[:MAX_RECORDS]])
    except sqlite3.Error as error:
        raise InputError(f"cannot read the ledger {ledger.path}: {error}") from None


def clip_record(ledger: Ledger, row: dict[str, Any]) -> ClipRecord:
    """A clip row as a :class:`ClipRecord` with its voice and consent status (now)."""
    voice = ledger.voice(row["voice_id"]) or {}
    chunks = [{k: chunk[k] for k in ("idx", "start_s", "end_s", "voice_id", "consent_id", "style")}
              for chunk in row.get("chunks") or []]
    consent_ids = [row["consent_id"], *(chunk["consent_id"] for chunk in chunks)]
    consents = [_consent_summary(ledger, cid) for cid in dict.fromkeys(c for c in consent_ids if c)]
    return ClipRecord(
        clip_id=row["clip_id"], created_at=row["created_at"], voice_id=row["voice_id"],
        voice_kind=voice.get("kind"), voice_name=voice.get("name"), consent_id=row["consent_id"],
        consents=consents, payload=row["payload"], audio_sha256=row["audio_sha256"],
        duration_s=row["duration_s"], path=row["path"], style=row["style"], text=row["text"],
        text_sha256=row["text_sha256"], model_versions=row["model_versions"],
        toolkit_version=row["toolkit_version"], chunks=chunks)


def _consent_summary(ledger: Ledger, consent_id: str) -> dict[str, Any]:
    status = ledger.consent_status(consent_id)
    return {"consent_id": consent_id, **{k: status[k] for k in (
        "voice_id", "subject", "granted_at", "expires_at", "revoked_at", "scope", "valid",
        "invalid_reason")}}


def _record_warnings(match: LedgerMatch) -> list[str]:
    out = []
    for record in match.records:
        for consent in record.consents:
            if not consent["valid"]:
                out.append(f"consent {consent['consent_id']} ({consent['subject']}) of clip "
                           f"{record.clip_id} is now {consent['invalid_reason']}")
    if match.match == "payload-only" and match.candidate_count > 1:
        out.append(f"{match.candidate_count} ledger clips carry payload {match.payload}: the "
                   "match is ambiguous")
    return out


# ------------------------------------------------------------------------------ batches
def verify_paths(paths: Iterable[str | os.PathLike], watermarker: Detector,
                 ledger: Ledger | None, *, threshold: float | None = None,
                 ledger_path: str | None = None,
                 progress: Callable[[ClipReport], None] | None = None) -> VerifyReport:
    """Verify every file of ``paths`` (folders searched recursively, see
    :func:`find_audio_files`); ``progress`` is called with each clip's report."""
    check_threshold(threshold)
    files, warnings = find_audio_files(list(paths))
    if ledger is None:
        warnings.append("no ledger: detection only, no clip can be matched (pass --ledger PATH "
                        f"or set ${ENV_VAR})")
    clips = []
    for path in files:
        clips.append(verify_file(path, watermarker, ledger, threshold=threshold))
        if progress is not None:
            progress(clips[-1])
    if ledger is not None and ledger_path is None:
        ledger_path = str(ledger.path)
    return VerifyReport(clips, ledger_path, threshold, warnings)


def check_threshold(threshold: float | None) -> None:
    if threshold is not None and not 0.0 < float(threshold) < 1.0:
        raise InputError(f"--threshold must be between 0 and 1 (exclusive), got {threshold}")


def detection_lines(found: Detection) -> list[str]:
    """A detection in plain words: verdict, segments, payload (shared with ``watermark detect``)."""
    verdict = "watermarked" if found.detected else "no watermark found"
    lines = [f"{verdict} (probability {found.probability:.3f}, threshold {found.threshold:.3f})",
             f"marked fraction {found.marked_fraction:.2f}; segments "
             + (", ".join(f"{a:.2f}-{b:.2f} s" for a, b in found.segments) or "none")]
    if found.payload is not None:
        lines.append(f"payload {found.payload} (mean bit confidence "
                     f"{sum(found.bit_confidence) / len(found.bit_confidence):.2f})")
    if found.detected and abs(found.speed - 1.0) > 1e-3:
        lines.append(f"the payload was found in a copy played at {found.speed:.3f}x the original speed"
                     + ("; the detector could not localise it" if not found.segments else ""))
    return lines
