"""Voices and consent records of the ledger (a mixin of :class:`~watermark.ledger.store.Ledger`).

Voice kinds are ``VOICE_KINDS``; only ``cloned`` voices need a consent record for a clip. A
consent row is never changed: revocation and changes of expiry are appended as
``consent_events`` rows, and :meth:`consent_status` replays them for a given time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tts_moe.errors import InputError
from watermark.ledger import schema
from watermark.ledger.records import json_or_none, normalize_time

VOICE_KINDS = ("builtin", "cloned", "designed")  # only "cloned" voices need a consent record


class VoiceConsentMixin:
    """Voice and consent methods; needs ``transaction``, ``_append``, ``_one``, ``_all``."""

    # --------------------------------------------------------------------- voices, consent
    def voice(self, voice_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM voices WHERE voice_id = ?", (voice_id,))

    def add_voice(self, voice_id: str, kind: str, *, name: str | None = None,
                  details: dict[str, Any] | None = None) -> dict[str, Any]:
        """Register a voice; ``kind`` is one of ``VOICE_KINDS``. Raises if it exists."""
        if kind not in VOICE_KINDS:
            raise InputError(f"unknown voice kind {kind!r}: use one of {', '.join(VOICE_KINDS)}")
        if not voice_id or not isinstance(voice_id, str):
            raise InputError("a voice id must be a non-empty string")
        with self.transaction():
            if self.voice(voice_id) is not None:
                raise InputError(f"voice {voice_id!r} is already in the ledger {self.path}")
            return self._append("voices", {
                "voice_id": voice_id, "kind": kind, "name": name,
                "created_at": schema.utc_now(), "details": json_or_none(details),
            })

    def ensure_voice(self, voice_id: str, kind: str, **kwargs: Any) -> dict[str, Any]:
        """The voice's row, registering it first if needed; a different kind is refused."""
        existing = self.voice(voice_id)
        if existing is None:
            try:
                return self.add_voice(voice_id, kind, **kwargs)
            except InputError:
                existing = self.voice(voice_id)  # another process registered it meanwhile
                if existing is None:
                    raise
        if existing["kind"] != kind:
            raise InputError(f"voice {voice_id!r} is recorded as {existing['kind']!r}, not "
                             f"{kind!r}; voice ids cannot change kind")
        return existing

    def add_consent(self, voice_id: str, subject: str, *, consent_id: str | None = None,
                    granted_at: str | datetime | None = None,
                    expires_at: str | datetime | None = None, scope: str | None = None,
                    evidence_sha256: str | None = None,
                    details: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record that ``subject`` consented to voice ``voice_id`` (from ``granted_at``,
        default now, until ``expires_at`` or forever); returns the row."""
        if not subject or not str(subject).strip():
            raise InputError("a consent record needs the consenting person's name (subject)")
        granted = normalize_time(granted_at, "granted_at") or schema.utc_now()
        expires = normalize_time(expires_at, "expires_at")
        if expires is not None and expires <= granted:
            raise InputError(f"consent expiry {expires} is not after its grant time {granted}")
        with self.transaction():
            if self.voice(voice_id) is None:
                raise InputError(f"voice {voice_id!r} is not in the ledger; add it first")
            consent_id = consent_id or f"consent-{uuid.uuid4().hex}"
            if self.consent(consent_id) is not None:
                raise InputError(f"consent {consent_id!r} already exists")
            return self._append("consents", {
                "consent_id": consent_id, "voice_id": voice_id, "subject": str(subject),
                "granted_at": granted, "expires_at": expires, "scope": scope,
                "evidence_sha256": evidence_sha256, "details": json_or_none(details),
                "created_at": schema.utc_now(),
            })

    def consent(self, consent_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM consents WHERE consent_id = ?", (consent_id,))

    def revoke_consent(self, consent_id: str, reason: str | None = None) -> dict[str, Any]:
        """Append a revocation event (the consent row itself is never changed)."""
        return self._consent_event(consent_id, "revoke", None, reason)

    def set_consent_expiry(self, consent_id: str, expires_at: str | datetime,
                           reason: str | None = None) -> dict[str, Any]:
        """Append an event that moves the consent's expiry (shorten or extend)."""
        return self._consent_event(
            consent_id, "set_expiry", normalize_time(expires_at, "expires_at"), reason)

    def _consent_event(self, consent_id: str, kind: str, expires_at: str | None,
                       reason: str | None) -> dict[str, Any]:
        with self.transaction():
            if self.consent(consent_id) is None:
                raise InputError(f"consent {consent_id!r} is not in the ledger {self.path}")
            return self._append("consent_events", {
                "event_id": f"event-{uuid.uuid4().hex}", "consent_id": consent_id,
                "kind": kind, "at": schema.utc_now(), "expires_at": expires_at,
                "reason": reason,
            })

    def consent_status(self, consent_id: str, at: str | None = None) -> dict[str, Any]:
        """The consent with its history applied: ``valid`` at time ``at`` (default now),
        ``revoked_at``, the effective ``expires_at`` and its ``events``."""
        consent = self.consent(consent_id)
        if consent is None:
            raise InputError(f"consent {consent_id!r} is not in the ledger {self.path}")
        at = normalize_time(at, "at") or schema.utc_now()
        events = self._all("SELECT * FROM consent_events WHERE consent_id = ? ORDER BY seq",
                           (consent_id,))
        expires, revoked_at = consent["expires_at"], None
        for event in events:
            if event["at"] > at:
                continue
            if event["kind"] == "set_expiry":
                expires = event["expires_at"]
            elif event["kind"] == "revoke" and revoked_at is None:
                revoked_at = event["at"]
        reason = ("revoked" if revoked_at else "expired" if expires is not None and expires <= at
                  else "not yet granted" if consent["granted_at"] > at else None)
        return {**consent, "expires_at": expires, "revoked_at": revoked_at,
                "valid": reason is None, "invalid_reason": reason, "events": events}

    def _check_voice_consent(self, voice_id: str, consent_id: str | None, at: str,
                             where: str) -> None:
        voice = self.voice(voice_id)
        if voice is None:
            raise InputError(f"{where}: voice {voice_id!r} is not in the ledger {self.path}; "
                             "register it (Ledger.add_voice / ensure_voice) first")
        if consent_id is None:
            if voice["kind"] == "cloned":
                raise InputError(
                    f"{where}: voice {voice_id!r} is a cloned voice; a clip needs the id of a "
                    "valid consent record from the person whose voice it is")
            return
        status = self.consent_status(consent_id, at)
        if status["voice_id"] != voice_id:
            raise InputError(f"{where}: consent {consent_id!r} is for voice "
                             f"{status['voice_id']!r}, not {voice_id!r}")
        if not status["valid"]:
            raise InputError(f"{where}: consent {consent_id!r} for voice {voice_id!r} is "
                             f"{status['invalid_reason']}; no clip can be made with it")
