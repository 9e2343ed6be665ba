"""Enrollment (voices/enroll.py): checks on the reference audio, consent, and a real tiny run."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest

from tts_moe.audio import SAMPLE_RATE, load_audio, write_audio
from tts_moe.errors import AudioError, InputError
from voices.enroll import enroll_voice, read_transcripts, speech_checks
from voices.pack import read_manifest
from watermark.ledger import Ledger

SENTENCES = ["The committee met on a cold morning in the old town hall.",
             "Several members argued that the report should be published at once.",
             "Others wanted to wait until the evidence had been checked again.",
             "In the end the chairman asked for a vote, and the motion was carried."]


def tone(seconds=3.0, amplitude=0.3):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330)) / 3).astype(np.float32)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """Twelve flite (awb, a reserved voice) clips with sidecar transcripts: ~44 s."""
    if shutil.which("flite") is None:
        pytest.skip("flite not installed (Debian package flite)")
    folder = tmp_path_factory.mktemp("speech")
    files = []
    for index, text in enumerate(SENTENCES * 3):
        path = folder / f"s{index}.wav"
        subprocess.run(["flite", "-voice", "awb", "-t", text, "-o", str(path)], check=True)
        path.with_suffix(".txt").write_text(text)
        files.append(path)
    return files


def consent(tmp_path, name="Ada Example", **changes):
    (tmp_path / "ev.txt").write_text("yes")
    data = {"speaker_name": name, "consenting_person": name, "date": "2026-01-01", "purposes": ["tests"],
            "expiry": "2099-01-01", "evidence": {"path": str(tmp_path / "ev.txt"),
                                                 "sha256": hashlib.sha256(b"yes").hexdigest()}}
    data.update(changes)
    return data


def test_tones_and_clipping_are_not_speech(speech):
    with pytest.raises(AudioError, match="does not sound like speech"):
        speech_checks(tone(), SAMPLE_RATE, "chord.wav")
    clipped = np.clip(load_audio(speech[0]) * 20, -1, 1)
    with pytest.raises(AudioError, match="clipped"):
        speech_checks(clipped, SAMPLE_RATE, "loud.wav")
    speech_checks(load_audio(speech[0]), SAMPLE_RATE, "ok.wav")  # real speech passes


def test_transcripts_one_per_file(tmp_path, speech):
    assert read_transcripts(speech[:2], None) == SENTENCES[:2]
    with pytest.raises(InputError, match="2 transcripts for 1 audio files"):
        read_transcripts(speech[:1], ["a", "b"])
    lonely = tmp_path / "x.wav"
    write_audio(lonely, load_audio(speech[0]))
    with pytest.raises(InputError, match="no transcript for"):
        read_transcripts([lonely], None)


@pytest.mark.parametrize("case, error, words", [
    ("short", AudioError, "too short"),
    ("other-name", InputError, "consent record is for 'Bob Other'"),
    ("expired", InputError, "expired on 2026-06-01"),
    ("no-evidence", InputError, "evidence is missing"),
    ("builtin", InputError, "is a built-in voice"),
])
def test_refusals_leave_nothing_behind(tmp_path, speech, case, error, words):
    name, files, record = "ada-example", speech, consent(tmp_path)
    if case == "short":
        files = speech[:2]
    elif case == "other-name":
        record = consent(tmp_path, name="Bob Other")
    elif case == "expired":
        record = consent(tmp_path, date="2026-01-01", expiry="2026-06-01")
    elif case == "no-evidence":
        record.pop("evidence")
    elif case == "builtin":
        name = "flite-slt"
    with pytest.raises(error, match=words):
        enroll_voice(name, files, record, voices_dir=tmp_path / "voices", ledger_path=tmp_path / "l.db", steps=1)
    assert not (tmp_path / "voices").exists() or not any((tmp_path / "voices").iterdir())
    if (tmp_path / "l.db").exists():
        with Ledger(tmp_path / "l.db") as ledger:
            assert ledger.voice(name) is None


def test_a_tiny_enrollment_end_to_end(tmp_path, speech):
    voices_dir, ledger_path = tmp_path / "voices", tmp_path / "l.db"
    voice = enroll_voice("ada-example", speech, consent(tmp_path), voices_dir=voices_dir, ledger_path=ledger_path,
                         steps=2)
    manifest = read_manifest("ada-example", voices_dir)
    assert voice.consent_id == manifest["consent_id"] and manifest["reference_seconds"] >= 30
    assert (voices_dir / "ada-example" / "sample.wav").is_file()
    with Ledger(ledger_path) as ledger:
        assert ledger.voice("ada-example")["kind"] == "cloned"
        clips = ledger.last_clips(5)
        assert len(clips) == 1 and clips[0]["consent_id"] == voice.consent_id  # the sample, logged
    with pytest.raises(InputError, match="already exists"):
        enroll_voice("ada-example", speech, consent(tmp_path), voices_dir=voices_dir, ledger_path=ledger_path, steps=1)
    assert json.loads((voices_dir / "ada-example" / "voice.json").read_text())["files"]
