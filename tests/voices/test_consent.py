"""Consent records (voices/consent.py): complete, evidenced, current and for this speaker."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from voices.consent import ConsentError, check_for_voice, load_consent


def record(tmp_path, **changes):
    evidence = tmp_path / "statement.txt"
    evidence.write_text("I agree.")
    data = {"speaker_name": "Ada Example", "consenting_person": "Ada Example", "date": "2026-01-05",
            "purposes": ["narration"], "expiry": "2027-01-05",
            "evidence": {"path": "statement.txt", "sha256": hashlib.sha256(b"I agree.").hexdigest()}}
    data.update(changes)
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(data))
    return path


def test_a_complete_record_loads(tmp_path):
    consent = load_consent(record(tmp_path), today=date(2026, 6, 1))
    assert consent.speaker_name == "Ada Example" and consent.purposes == ["narration"]
    assert consent.evidence_path.endswith("statement.txt") and len(consent.evidence_sha256) == 64
    check_for_voice(consent, "ada example ", today=date(2026, 6, 1))


def test_every_problem_is_named_at_once(tmp_path):
    path = record(tmp_path, consenting_person="", purposes=[], expiry="soon")
    with pytest.raises(ConsentError) as error:
        load_consent(path, today=date(2026, 6, 1))
    message = str(error.value)
    assert "consenting_person is missing" in message and "purposes is missing" in message
    assert "expiry 'soon' is not a date" in message


@pytest.mark.parametrize("changes, words", [
    ({"evidence": {"path": "missing.wav"}}, "does not exist"),
    ({"evidence": {"path": "statement.txt", "sha256": "0" * 64}}, "does not match its sha256"),
    ({"date": "2030-01-01", "expiry": "2031-01-01"}, "in the future"),
    ({"expiry": "2025-01-01"}, "not after the consent date"),
])
def test_bad_evidence_and_dates(tmp_path, changes, words):
    with pytest.raises(ConsentError, match=words):
        load_consent(record(tmp_path, **changes), today=date(2026, 6, 1))


def test_expired_and_other_speaker_are_refused(tmp_path):
    consent = load_consent(record(tmp_path), today=date(2026, 6, 1))
    with pytest.raises(ConsentError, match="expired on 2027-01-05"):
        check_for_voice(consent, None, today=date(2028, 1, 1))
    with pytest.raises(ConsentError, match="is for 'Ada Example', not for 'Bob'"):
        check_for_voice(consent, "Bob", today=date(2026, 6, 1))


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(ConsentError, match="not found"):
        load_consent(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConsentError, match="not readable JSON"):
        load_consent(tmp_path / "bad.json")
