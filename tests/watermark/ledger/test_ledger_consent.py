"""Voices and consent: cloned voices need a valid, unexpired, unrevoked consent record."""

from __future__ import annotations

import pytest

from tts_moe.errors import InputError
from watermark.ledger.store import ClipChunk


def clip(ledger, voice_id, consent_id=None, chunks=()):
    return ledger.add_clip(audio_sha256="a" * 64, duration_s=1.0, voice_id=voice_id,
                           consent_id=consent_id, payload=1, text="hello", chunks=chunks)


def test_builtin_voice_needs_no_consent(ledger):
    assert clip(ledger, "narrator")["consent_id"] is None


def test_cloned_voice_without_consent_is_refused(ledger):
    with pytest.raises(InputError, match="cloned voice"):
        clip(ledger, "alice")
    assert clip(ledger, "alice", ledger.consent_id)["consent_id"] == ledger.consent_id


def test_unknown_voice_and_consent_are_refused(ledger):
    with pytest.raises(InputError, match="not in the ledger"):
        clip(ledger, "bob")
    with pytest.raises(InputError, match="not in the ledger"):
        clip(ledger, "alice", "consent-missing")


def test_consent_of_another_voice_is_refused(ledger):
    ledger.add_voice("carol", "cloned")
    carol = ledger.add_consent("carol", "Carol")["consent_id"]
    with pytest.raises(InputError, match="is for voice 'carol'"):
        clip(ledger, "alice", carol)


def test_revoked_consent_is_refused_and_history_kept(ledger):
    event = ledger.revoke_consent(ledger.consent_id, "asked to stop")
    with pytest.raises(InputError, match="revoked"):
        clip(ledger, "alice", ledger.consent_id)
    status = ledger.consent_status(ledger.consent_id)
    assert status["valid"] is False and status["revoked_at"] == event["at"]
    assert status["events"][0]["reason"] == "asked to stop"
    assert ledger.check().intact


def test_expiry_events_shorten_and_extend(ledger):
    ledger.set_consent_expiry(ledger.consent_id, "2001-01-01")
    with pytest.raises(InputError, match="expired"):
        clip(ledger, "alice", ledger.consent_id)
    ledger.set_consent_expiry(ledger.consent_id, "2099-06-01T00:00:00+02:00")
    assert ledger.consent_status(ledger.consent_id)["expires_at"] == "2099-05-31T22:00:00.000000Z"
    clip(ledger, "alice", ledger.consent_id)


def test_consent_granted_in_the_future_is_not_yet_valid(ledger):
    later = ledger.add_consent("alice", "Alice", granted_at="2098-01-01")["consent_id"]
    with pytest.raises(InputError, match="not yet granted"):
        clip(ledger, "alice", later)


def test_every_chunk_voice_is_checked(ledger):
    chunks = [ClipChunk.from_text(0, 1, "a", "narrator"), ClipChunk.from_text(1, 2, "b", "alice")]
    with pytest.raises(InputError, match="chunk 1: voice 'alice' is a cloned voice"):
        clip(ledger, "narrator", chunks=chunks)
    chunks[1] = ClipChunk.from_text(1, 2, "b", "alice", ledger.consent_id, style="calm")
    row = clip(ledger, "narrator", chunks=chunks)
    stored = ledger.clip(row["clip_id"])["chunks"]
    assert [c["voice_id"] for c in stored] == ["narrator", "alice"]
    assert stored[1]["style"] == "calm" and stored[1]["consent_id"] == ledger.consent_id


def test_bad_voice_and_consent_input(ledger):
    with pytest.raises(InputError, match="unknown voice kind"):
        ledger.add_voice("x", "robot")
    with pytest.raises(InputError, match="already in the ledger"):
        ledger.add_voice("alice", "cloned")
    with pytest.raises(InputError, match="cannot change kind"):
        ledger.ensure_voice("alice", "builtin")
    assert ledger.ensure_voice("alice", "cloned")["voice_id"] == "alice"
    with pytest.raises(InputError, match="not an ISO 8601"):
        ledger.add_consent("alice", "Alice", expires_at="next tuesday")
    with pytest.raises(InputError, match="not after its grant"):
        ledger.add_consent("alice", "Alice", granted_at="2030-01-01", expires_at="2029-01-01")


def test_text_is_stored_only_on_opt_in(ledger):
    hidden = clip(ledger, "narrator")
    shown = ledger.add_clip(audio_sha256="b" * 64, duration_s=1.0, voice_id="narrator",
                            payload=2, text="hello", store_text=True)
    assert hidden["text"] is None and shown["text"] == "hello"
    assert hidden["text_sha256"] == shown["text_sha256"]
