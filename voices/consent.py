"""Consent records for cloned voices: what must be in one, and checking it.

A consent record is a JSON object (a file or a dict)::

    {
      "speaker_name": "Ada Example",          # whose voice is cloned (must match the enrolment)
      "consenting_person": "Ada Example",     # who gave consent (the speaker or a guardian)
      "date": "2026-11-01",                   # when consent was given (not in the future)
      "purposes": ["audiobook narration"],    # what the voice may be used for (non-empty)
      "expiry": "2027-11-01",                 # after this date the voice cannot be used
      "evidence": {"path": "consent.wav",     # e.g. a recorded consent statement; must exist
                   "sha256": "9f86d0..."}     # and hash to this (optional in a form: then computed)
    }

``evidence.path`` is resolved against ``evidence_dir`` (default: the record file's folder).
:func:`load_consent` reports every problem at once, naming the fields.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tts_moe.errors import InputError
from watermark.ledger.records import sha256_file

REQUIRED = ("speaker_name", "consenting_person", "date", "purposes", "expiry", "evidence")


class ConsentError(InputError):
    """A consent record that is missing, incomplete, invalid or not for this voice."""


@dataclass
class ConsentRecord:
    speaker_name: str
    consenting_person: str
    date: str  # ISO date
    purposes: list[str]
    expiry: str  # ISO date
    evidence_path: str
    evidence_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def expired(self, today: date | None = None) -> bool:
        return date.fromisoformat(self.expiry) < (today or date.today())


def load_consent(source: str | os.PathLike | dict, *, evidence_dir: str | os.PathLike | None = None,
                 today: date | None = None) -> ConsentRecord:
    """Read and validate a consent record (a JSON file or a dict); raises :class:`ConsentError`
    listing every missing or invalid field."""
    if isinstance(source, dict):
        data, base = dict(source), Path(evidence_dir or ".")
    else:
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConsentError(f"consent record not found: {path} (cloning a voice needs one)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConsentError(f"consent record {path} is not readable JSON: {error}") from None
        base = Path(evidence_dir) if evidence_dir else path.parent
    if not isinstance(data, dict):
        raise ConsentError("a consent record must be a JSON object with fields " + ", ".join(REQUIRED))
    problems = [f"{key} is missing" for key in REQUIRED if data.get(key) in (None, "", [], {})]
    dates = {}
    for key in ("date", "expiry"):
        if data.get(key):
            try:
                dates[key] = date.fromisoformat(str(data[key]))
            except ValueError:
                problems.append(f"{key} {data[key]!r} is not a date (YYYY-MM-DD)")
    now = today or date.today()
    if "date" in dates and dates["date"] > now:
        problems.append(f"date {dates['date']} is in the future")
    if "date" in dates and "expiry" in dates and dates["expiry"] <= dates["date"]:
        problems.append(f"expiry {dates['expiry']} is not after the consent date {dates['date']}")
    purposes = data.get("purposes")
    if isinstance(purposes, str):
        purposes = [p.strip() for p in purposes.split(",") if p.strip()]
    if data.get("purposes") and not (isinstance(purposes, list) and all(isinstance(p, str) and p.strip()
                                                                          for p in purposes)):
        problems.append("purposes must be a non-empty list of texts")
    evidence = data.get("evidence")
    evidence_path, evidence_sha = "", ""
    if evidence:
        if isinstance(evidence, str):
            evidence = {"path": evidence}
        if not isinstance(evidence, dict) or not evidence.get("path"):
            problems.append("evidence must name a file: {\"path\": ..., \"sha256\": ...}")
        else:
            file = Path(evidence["path"])
            file = file if file.is_absolute() else base / file
            if not file.is_file():
                problems.append(f"evidence file {file} does not exist")
            else:
                evidence_path, evidence_sha = str(file.resolve()), sha256_file(file)
                claimed = str(evidence.get("sha256") or "").lower()
                if claimed and claimed != evidence_sha:
                    problems.append(f"evidence file {file} does not match its sha256 (recorded {claimed[:12]}..., "
                                    f"file {evidence_sha[:12]}...)")
    if problems:
        raise ConsentError("consent record refused: " + "; ".join(problems))
    return ConsentRecord(str(data["speaker_name"]).strip(), str(data["consenting_person"]).strip(),
                         dates["date"].isoformat(), [p.strip() for p in purposes], dates["expiry"].isoformat(),
                         evidence_path, evidence_sha)


def check_for_voice(record: ConsentRecord, speaker_name: str | None, *, today: date | None = None) -> None:
    """Refuse a record that has expired, or that names another speaker than ``speaker_name``
    (when given; compared without case and surrounding spaces)."""
    if record.expired(today):
        raise ConsentError(f"the consent record expired on {record.expiry}: renew it before enrolling")
    if speaker_name is not None and record.speaker_name.strip().casefold() != speaker_name.strip().casefold():
        raise ConsentError(f"the consent record is for {record.speaker_name!r}, not for {speaker_name!r}")
