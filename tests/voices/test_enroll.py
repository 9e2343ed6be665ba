"""Enrollment (voices/enroll.py): checks on the reference audio, consent, and a real tiny run."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from tts_moe import asr
from tts_moe.audio import SAMPLE_RATE, load_audio, write_audio
from tts_moe.cli import main
from tts_moe.errors import AudioError, InputError
from voices.adapter import AdapterConfig
from voices.enroll import enroll_voice, load_references, read_transcripts, speech_checks
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


def without_sidecars(files, folder, keep=0):
    """Copies of ``files`` in ``folder``; only the first ``keep`` keep their FILE.txt."""
    folder.mkdir(exist_ok=True)
    for index, file in enumerate(files):
        shutil.copy(file, folder / file.name)
        if index < keep:
            shutil.copy(file.with_suffix(".txt"), folder / f"{file.stem}.txt")
    return [folder / file.name for file in files]


def fake_recogniser(monkeypatch, texts):
    """asr.transcribe answering ``texts`` in turn; returns the list of clip lengths it heard."""
    answers, heard = iter(texts), []

    def transcribe(audio):
        heard.append(len(audio))
        return next(answers)

    monkeypatch.setattr(asr, "transcribe", transcribe)
    return heard


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


def test_a_tiny_enrollment_end_to_end(tmp_path, speech, monkeypatch):
    voices_dir, ledger_path = tmp_path / "voices", tmp_path / "l.db"
    files = without_sidecars(speech, tmp_path / "ref", keep=len(speech) - 1)  # the last one: automatic
    fake_recogniser(monkeypatch, ["in the end the chairman asked for a vote and the motion was carried"])
    steps = []
    voice = enroll_voice("ada-example", files, consent(tmp_path), voices_dir=voices_dir, ledger_path=ledger_path,
                         steps=2, adapter=AdapterConfig(rank=2, steps=3), progress=lambda s, _: steps.append(s))
    manifest = read_manifest("ada-example", voices_dir)
    assert voice.consent_id == manifest["consent_id"] and manifest["reference_seconds"] >= 30
    assert steps == [0, 1, 2, 3, 4]  # two speaker-vector steps, then three adapter steps
    assert manifest["enrollment"]["adapter"]["rank"] == 2 and manifest["enrollment"]["adapter"]["values"] > 0
    assert "adapter.safetensors" in manifest["files"]
    assert len(manifest["acoustic_model"]["fingerprint"]) == 16
    from tts_moe.synthesis import Synthesizer

    synth = Synthesizer.from_pretrained(ledger_path=ledger_path, voices_dir=voices_dir)
    synth.check_voice("ada-example")  # the pack loads: fingerprint matches, adapter fits the shipped model
    assert "ada-example" in synth.engine.adapted and "ada-example" in synth.cloned
    assert manifest["auto_transcripts"] == [
        {"file": files[-1].name, "text": "in the end the chairman asked for a vote and the motion was carried"}]
    assert (voices_dir / "ada-example" / "sample.wav").is_file()
    with Ledger(ledger_path) as ledger:
        assert ledger.voice("ada-example")["kind"] == "cloned"
        clips = ledger.last_clips(5)
        assert len(clips) == 1 and clips[0]["consent_id"] == voice.consent_id  # the sample, logged
    with pytest.raises(InputError, match="already exists"):
        enroll_voice("ada-example", speech, consent(tmp_path), voices_dir=voices_dir, ledger_path=ledger_path, steps=1)
    alone = enroll_voice("ada-plain", speech, consent(tmp_path, name="Ada Plain"), voices_dir=voices_dir,
                         ledger_path=ledger_path, steps=1, adapter=None)
    assert "adapter.safetensors" not in read_manifest(alone.name, voices_dir)["files"]
    assert "adapter" not in read_manifest(alone.name, voices_dir)["enrollment"]
    assert json.loads((voices_dir / "ada-example" / "voice.json").read_text())["files"]


# ------------------------------------------------------------------- automatic transcripts
def test_files_without_transcript_are_transcribed(tmp_path, speech, monkeypatch):
    files = without_sidecars(speech, tmp_path / "ref", keep=1)
    heard = fake_recogniser(monkeypatch, [t.lower().replace(",", "") for t in (SENTENCES * 3)[1:]])
    clips, seconds = load_references(files, None, "en-us")
    assert len(heard) == len(files) - 1 and heard[0] == len(load_audio(files[1]))  # every file but the first
    assert [c["auto_transcript"] for c in clips] == [False] + [True] * (len(files) - 1)
    assert clips[0]["transcript"] == SENTENCES[0]
    assert clips[5]["transcript"] == SENTENCES[1].lower() and clips[5]["file"] == str(files[5])
    assert seconds >= 30


def test_no_auto_transcribe_keeps_the_refusal(tmp_path, speech, monkeypatch):
    files = without_sidecars(speech, tmp_path / "ref", keep=2)
    heard = fake_recogniser(monkeypatch, [])
    with pytest.raises(InputError, match=re.escape(f"no transcript for {files[2]}: put what is said in "
                                                   f"{files[2].with_suffix('.txt')} or pass --transcripts")):
        enroll_voice("ada-example", files, consent(tmp_path), voices_dir=tmp_path / "voices",
                     ledger_path=tmp_path / "l.db", steps=1, auto_transcribe=False)
    assert heard == [] and not (tmp_path / "voices").exists()


def test_nothing_recognised_is_refused_naming_the_file(tmp_path, speech, monkeypatch):
    files = without_sidecars(speech, tmp_path / "ref", keep=3)
    fake_recogniser(monkeypatch, [""])
    with pytest.raises(InputError, match=re.escape(str(files[3])) + ".*recognised no words.*"
                       + re.escape(str(files[3].with_suffix(".txt")))):
        enroll_voice("ada-example", files, consent(tmp_path), voices_dir=tmp_path / "voices",
                     ledger_path=tmp_path / "l.db", steps=1)
    assert not (tmp_path / "voices").exists()


@pytest.mark.slow
def test_pocketsphinx_transcribes_reference_clips(tmp_path, speech):
    pytest.importorskip("pocketsphinx")
    from bench._wer import corpus_wer

    files = without_sidecars(speech, tmp_path / "ref")
    clips, _ = load_references(files, None, "en-us")  # the real recogniser
    assert all(c["auto_transcript"] for c in clips)
    result = corpus_wer([(text, c["transcript"]) for text, c in zip(SENTENCES * 3, clips)])
    assert result["wer"] <= 0.3, [c["transcript"] for c in clips[:4]]  # measured 0.15 (pocketsphinx 5.1.1, flite awb)


def test_cli_passes_the_flag_and_warns_about_automatic_transcripts(tmp_path, monkeypatch, capsys):
    import torch

    import voices.enroll
    from voices.pack import write_pack
    from voices.registry import Voice

    seen = {}

    def enroll_voice(name, audio, consent, *, voices_dir=None, auto_transcribe=True, **rest):
        seen["auto_transcribe"], seen["adapter"] = auto_transcribe, rest.get("adapter")
        write_pack(name, torch.zeros(4), {"kind": "cloned", "consent_id": "c1",
                                          "auto_transcripts": [{"file": "a.wav", "text": "hello world"}]},
                   folder=voices_dir)
        return Voice(name=name, kind="cloned", language="en-us", styles=["neutral"], description="", consent_id="c1")

    monkeypatch.setattr(voices.enroll, "enroll_voice", enroll_voice)
    args = ["voices", "enroll", "ada", "--audio", "a.wav", "--consent", "c.json", "--voices-dir"]
    assert main([*args, str(tmp_path / "v1"), "--no-auto-transcribe", "--json"]) == 0
    assert seen["auto_transcribe"] is False
    out, err = capsys.readouterr()
    assert json.loads(out)["auto_transcripts"] == [{"file": "a.wav", "text": "hello world"}]
    assert "warning: 1 transcript(s) were made by automatic speech recognition" in err
    assert "a.wav: hello world" in err
    assert main([*args, str(tmp_path / "v2")]) == 0 and seen["auto_transcribe"] is True
    assert seen["adapter"] == AdapterConfig()  # the adapter by default
    assert main([*args, str(tmp_path / "v3"), "--adapter-steps", "40", "--adapter-rank", "8"]) == 0
    assert seen["adapter"] == AdapterConfig(rank=8, steps=40)
    assert main([*args, str(tmp_path / "v4"), "--no-adapter", "--adapter-rank", "0"]) == 0 and seen["adapter"] is None
    assert main([*args, str(tmp_path / "v5"), "--adapter-rank", "0"]) == 2
    assert "--adapter-rank must be at least 1" in capsys.readouterr().err
