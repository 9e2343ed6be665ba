"""demo/service.py form validation: refusals happen before any model is loaded."""

from __future__ import annotations

import sys
import types

import pytest

from demo.limits import LimitError
from demo.service import DemoError, DemoService

COMPLETE = {"speaker_name": "Ada Example", "consenting_person": "Ada Example", "date": "2026-11-01",
            "purposes": "demo, research", "expiry": "2027-11-01"}


@pytest.fixture()
def service(tmp_path):
    return DemoService(ledger_path=tmp_path / "ledger.sqlite3", output_dir=tmp_path / "clips")


def test_enrollment_names_every_missing_consent_field(service):
    with pytest.raises(DemoError) as caught:
        service.enroll("", {"speaker_name": "Ada"}, [])
    message = str(caught.value)
    assert message.startswith("enrollment refused")
    for missing in ("voice name", "consenting person", "date", "purposes", "expiry", "evidence"):
        assert missing in message, message
    assert "speaker name" not in message
    assert service._synth is None  # refused without loading a model


def test_enrollment_refuses_a_bad_date_and_missing_audio(service, tmp_path):
    evidence = tmp_path / "consent.txt"
    evidence.write_text("I agree.")
    with pytest.raises(DemoError, match="expiry 'next year' is not a date"):
        service.enroll("ada", {**COMPLETE, "expiry": "next year", "evidence": str(evidence)}, ["x.wav"])
    with pytest.raises(DemoError, match="reference audio"):
        service.enroll("ada", {**COMPLETE, "evidence": str(evidence)}, [])
    with pytest.raises(LimitError, match="is missing"):  # the page shows LimitError too
        service.enroll("ada", {**COMPLETE, "evidence": str(evidence)}, [str(tmp_path / "gone.wav")])


def test_without_the_cloning_module_the_page_says_so(service, tmp_path, monkeypatch):
    evidence, reference = tmp_path / "consent.txt", tmp_path / "ref.wav"
    evidence.write_text("I agree.")
    reference.write_bytes(b"RIFF")
    monkeypatch.setitem(sys.modules, "voices.enroll", None)  # import fails as in a build without cloning
    with pytest.raises(DemoError, match="cloning is not available in this build"):
        service.enroll("ada", {**COMPLETE, "evidence": str(evidence)}, [str(reference)])


def test_revoke_and_verify_need_input(service):
    with pytest.raises(DemoError, match="name of the cloned voice"):
        service.revoke("  ")
    with pytest.raises(DemoError, match="upload or record a clip"):
        service.verify(None)


def test_a_complete_form_reaches_enroll_voice_with_the_speaker_and_ledger(service, tmp_path, monkeypatch):
    evidence, reference = tmp_path / "consent.txt", tmp_path / "ref.wav"
    evidence.write_text("I agree.")
    reference.write_bytes(b"RIFF")
    calls = []

    def enroll_voice(name, audio, consent, *, transcripts=None, speaker=None, voices_dir=None, ledger_path=None,
                     acoustic=None, progress=None):
        calls.append((name, audio, consent, speaker, ledger_path))
        return types.SimpleNamespace(name=name, consent_id="c-123")

    monkeypatch.setitem(sys.modules, "voices.enroll", types.SimpleNamespace(enroll_voice=enroll_voice))
    message = service.enroll("my-clone", {**COMPLETE, "evidence": str(evidence)}, [str(reference)])
    assert "my-clone" in message and "c-123" in message
    (name, audio, consent, speaker, ledger_path), = calls
    assert (name, audio, speaker, ledger_path) == ("my-clone", [str(reference)], "Ada Example", service.ledger_path)
    assert consent["purposes"] == ["demo", "research"] and consent["evidence"] == {"path": str(evidence)}


def test_enrollment_warns_about_automatic_transcripts(service, tmp_path, monkeypatch):
    evidence, reference = tmp_path / "consent.txt", tmp_path / "ref.wav"
    evidence.write_text("I agree.")
    reference.write_bytes(b"RIFF")

    def enroll_voice(name, audio, consent, *, speaker=None, ledger_path=None, acoustic=None):
        return types.SimpleNamespace(name=name, consent_id="c-9")

    monkeypatch.setitem(sys.modules, "voices.enroll", types.SimpleNamespace(enroll_voice=enroll_voice))
    manifests = {"asr-clone": {"auto_transcripts": [{"file": "ref.wav", "text": "hello word"}]}}
    monkeypatch.setattr("voices.pack.read_manifest", lambda name, folder=None: manifests.get(name))
    message = service.enroll("asr-clone", {**COMPLETE, "evidence": str(evidence)}, [str(reference)])
    assert "Warning" in message and "1 transcript(s)" in message and "`ref.wav`: hello word" in message
    quiet = service.enroll("typed-clone", {**COMPLETE, "evidence": str(evidence)}, [str(reference)])
    assert "Warning" not in quiet
