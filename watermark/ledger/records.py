"""Value helpers of the ledger: hashes of text and files, the time format, chunk detail."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tts_moe.errors import InputError


def sha256_text(text: str) -> str:
    """SHA-256 hex of the exact UTF-8 text (the script as passed to synthesis)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex of a file's bytes (container and all: a re-encode changes it)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise InputError(f"cannot read {path} to hash it: {error.strerror or error}") from None
    return digest.hexdigest()


def normalize_time(value: str | datetime | None, what: str = "time") -> str | None:
    """An ISO 8601 date/time (naive = UTC) as the ledger's UTC format; None stays None."""
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(
            f"{what} {value!r} is not an ISO 8601 date or time (e.g. 2027-01-31 or "
            "2027-01-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ClipChunk:
    """One span of a long-form clip: seconds from the clip start, and who spoke it how."""

    start_s: float
    end_s: float
    text_sha256: str
    voice_id: str
    consent_id: str | None = None
    style: str | None = None

    @classmethod
    def from_text(cls, start_s: float, end_s: float, text: str, voice_id: str,
                  consent_id: str | None = None, style: str | None = None) -> "ClipChunk":
        return cls(float(start_s), float(end_s), sha256_text(text), voice_id, consent_id, style)


def json_or_none(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)
