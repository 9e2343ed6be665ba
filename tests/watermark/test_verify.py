"""``tts-moe verify``: detection report, ledger matching, exit codes, --json, odd inputs.

No trained watermark ships, so most tests use a toy watermark that is exact and cheap: a
2 kHz pilot tone marks a 20 ms frame, and one tone per payload bit (3.0-4.5 kHz) carries the
bits. :class:`ToyMarker` is a :class:`Watermarker` whose per-frame outputs come from those
tones, so ``Watermarker.detect`` / ``summarise`` (segments, payload, confidence) run for real.
One test runs a real (tiny, random) network through ``--weights``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import torch

from tts_moe.audio import SAMPLE_RATE, resample, write_audio
from tts_moe.cli import main
from tts_moe.errors import InputError
from watermark import verify_cli
from watermark import weights as weights_module
from watermark.ledger.store import Ledger
from watermark.model import PRESETS, build_networks
from watermark.verify import (
    audio_extensions,
    find_audio_files,
    open_ledger,
    verify_file,
    verify_paths,
)
from watermark.watermarker import Watermarker, as_batch

FRAME = 320  # 20 ms at 16 kHz; tones below sit on whole FFT bins of a frame (50 Hz apart)
PILOT_HZ = 2000.0
BIT_HZ = 3000.0 + 100.0 * np.arange(16)  # most significant bit first
AMP = 0.02


def toy_mark(audio: np.ndarray, payload: int, sample_rate: int = SAMPLE_RATE,
             span: tuple[float, float] | None = None) -> np.ndarray:
    """``audio`` (time,) plus the toy watermark (in ``span`` seconds only, when given)."""
    t = np.arange(audio.size) / sample_rate
    tones = np.sin(2 * np.pi * PILOT_HZ * t)
    for index, hz in enumerate(BIT_HZ):
        if (payload >> (15 - index)) & 1:
            tones += np.sin(2 * np.pi * hz * t)
    if span is not None:
        tones *= (t >= span[0]) & (t < span[1])
    return (audio + AMP * tones).astype(np.float32)


class ToyMarker(Watermarker):
    """The toy watermark's detector: per-frame pilot amplitude -> probability, bit tones
    relative to the pilot -> bit logits."""

    def __init__(self, threshold: float = 0.5) -> None:  # no networks
        self.threshold = threshold
        self.frame = FRAME
        self.calls = 0

    def frame_outputs(self, audio):
        self.calls += 1
        batch = as_batch(audio)[0].numpy()
        n, length = batch.shape
        frames = -(-length // FRAME)
        padded = np.zeros((n, frames * FRAME), np.float32)
        padded[:, :length] = batch
        amplitude = np.abs(np.fft.rfft(padded.reshape(n, frames, FRAME), axis=-1)) * 2 / FRAME
        pilot = amplitude[..., int(PILOT_HZ / 50)]  # (n, frames)
        ratio = amplitude[..., (BIT_HZ / 50).astype(int)] / np.maximum(pilot, 1e-6)[..., None]
        logits = 10 * (np.clip(ratio, 0, 2) - 0.5)  # (n, frames, 16)
        return np.clip(pilot / AMP, 0, 1), logits.transpose(0, 2, 1)


@pytest.fixture(autouse=True)
def no_default_ledger(tmp_path, monkeypatch):
    """No test may see the user's ledger: the default path points into tmp_path."""
    monkeypatch.delenv("TTS_MOE_LEDGER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite3") as opened:
        opened.add_voice("narrator", "builtin", name="Narrator")
        opened.add_voice("alice", "cloned", name="Alice")
        opened.consent_id = opened.add_consent(
            "alice", "Alice Example", expires_at="2099-01-01")["consent_id"]
        yield opened


@pytest.fixture
def toy(monkeypatch):
    marker = ToyMarker()
    monkeypatch.setattr(verify_cli, "load_watermarker", lambda weights: marker)
    return marker


def record(ledger: Ledger, path, audio: np.ndarray, *, mark: bool = True, flip: int = 0,
           voice: str = "alice") -> dict:
    """Log a clip through the ledger's two-phase write, marked with its payload (XOR
    ``flip``, to simulate bit errors); returns the committed row."""
    consent = ledger.consent_id if voice == "alice" else None
    with ledger.record_clip(path, text="Hello there.", voice_id=voice, consent_id=consent) as pending:
        pending.write(toy_mark(audio, pending.payload ^ flip) if mark else audio)
    return pending.row


def unused_payload(ledger: Ledger) -> int:
    used = {row["payload"] for row in ledger.last_clips(1000)}
    return next(p for p in range(0x1234, 0xFFFF) if p not in used)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------ verify_file
def test_logged_file_is_verified_exactly_with_its_records(ledger, tmp_path, speech):
    row = record(ledger, tmp_path / "clip.wav", speech(1.5))
    report = verify_file(tmp_path / "clip.wav", ToyMarker(), ledger)
    assert report.status == "verified" and report.verified and report.error is None
    found = report.detection
    assert found.detected and found.payload == row["payload"]
    assert found.marked_fraction == pytest.approx(1.0) and found.segments == [(0.0, 1.5)]
    assert len(found.bit_confidence) == 16 and min(found.bit_confidence) > 0.9
    match = report.ledger
    assert match.match == "exact" and match.payload_agrees and match.bit_errors == 0
    assert report.audio_sha256 == row["audio_sha256"]
    (clip,) = match.records
    assert clip.clip_id == row["clip_id"] and clip.voice_id == "alice" and clip.voice_kind == "cloned"
    assert clip.created_at == row["created_at"] and clip.consent_id == ledger.consent_id
    assert clip.consents[0]["subject"] == "Alice Example" and clip.consents[0]["valid"] is True
    assert report.warnings == []


def test_reencoded_stereo_48k_matches_by_payload_after_mixdown(ledger, tmp_path, speech):
    """The logged clip re-encoded as 48 kHz stereo FLAC: not byte-identical, so the payload
    finds it. The channels carry opposite-phase bit tones that only cancel when mixed down:
    reading one channel would decode every bit as 1."""
    clean = speech(1.2, 1)
    row = record(ledger, tmp_path / "logged.wav", clean)
    marked = resample(toy_mark(clean, row["payload"]), SAMPLE_RATE, 48_000)
    t = np.arange(marked.size) / 48_000
    rng = np.random.default_rng(0)
    jam = sum(0.02 * np.sin(2 * np.pi * hz * t + rng.uniform(0, 6.3)) for hz in BIT_HZ)
    soundfile.write(tmp_path / "stereo.flac", np.stack([marked + jam, marked - jam], axis=1), 48_000)
    report = verify_file(tmp_path / "stereo.flac", ToyMarker(), ledger)
    assert report.status == "verified", report.to_dict()
    assert report.duration_s == pytest.approx(1.2, abs=0.001)
    assert report.detection.payload == row["payload"]
    assert report.ledger.match == "payload-only" and report.ledger.candidate_count == 1
    assert report.ledger.records[0].clip_id == row["clip_id"]
    assert report.audio_sha256 != row["audio_sha256"]


def test_partly_marked_clip_reports_its_segment(ledger, tmp_path, speech):
    payload = unused_payload(ledger)
    write_audio(tmp_path / "part.wav", toy_mark(speech(3.0, 2), payload, span=(1.0, 2.0)))
    report = verify_file(tmp_path / "part.wav", ToyMarker(), ledger)
    found = report.detection
    assert found.detected and found.payload == payload
    assert found.marked_fraction == pytest.approx(1 / 3, abs=0.02)
    assert found.segments == [(pytest.approx(1.0, abs=0.021), pytest.approx(2.0, abs=0.021))]
    assert report.status == "unmatched" and report.ledger.match == "none"


def test_unmarked_and_silent_clips(ledger, tmp_path, speech):
    write_audio(tmp_path / "plain.wav", speech(1.0, 3))
    write_audio(tmp_path / "silent.wav", np.zeros(16_000, np.float32))
    marker = ToyMarker()
    plain = verify_file(tmp_path / "plain.wav", marker, ledger)
    assert plain.status == "unmarked" and not plain.detection.detected and not plain.silent
    assert plain.detection.probability < 0.5 and plain.ledger.match == "none"
    calls = marker.calls
    silent = verify_file(tmp_path / "silent.wav", marker, ledger)
    assert silent.status == "unmarked" and silent.silent and marker.calls == calls
    assert silent.detection.payload is None and silent.detection.probability == 0.0
    assert silent.detection.segments == [] and silent.duration_s == pytest.approx(1.0)


def test_detected_payload_without_a_ledger_clip_is_unmatched(ledger, tmp_path, speech):
    record(ledger, tmp_path / "logged.wav", speech(1.0))
    payload = unused_payload(ledger)
    write_audio(tmp_path / "stranger.wav", toy_mark(speech(1.0, 4), payload))
    report = verify_file(tmp_path / "stranger.wav", ToyMarker(), ledger)
    assert report.status == "unmatched" and report.ledger.match == "none"
    assert report.ledger.payload == payload and report.ledger.records == []
    alone = verify_file(tmp_path / "logged.wav", ToyMarker(), None)
    assert alone.status == "unmatched" and alone.ledger.match == "no-ledger"


def test_logged_file_whose_mark_is_missed_is_named_but_unmarked(ledger, tmp_path, speech):
    row = record(ledger, tmp_path / "missed.wav", speech(1.0), mark=False)
    report = verify_file(tmp_path / "missed.wav", ToyMarker(), ledger)
    assert report.status == "unmarked" and report.ledger.match == "exact"
    assert report.ledger.records[0].clip_id == row["clip_id"] and report.ledger.payload is None
    assert any("not detected" in warning for warning in report.warnings)


def test_bit_errors_against_the_recorded_payload(ledger, tmp_path, speech):
    row = record(ledger, tmp_path / "flipped.wav", speech(1.0), flip=0b101)
    report = verify_file(tmp_path / "flipped.wav", ToyMarker(), ledger)
    assert report.detection.payload == row["payload"] ^ 0b101
    assert report.status == "verified" and report.ledger.match == "exact"
    assert report.ledger.payload_agrees is False and report.ledger.bit_errors == 2


def test_revoked_consent_is_a_warning_not_a_failure(ledger, tmp_path, speech):
    record(ledger, tmp_path / "clip.wav", speech(1.0))
    ledger.revoke_consent(ledger.consent_id, "withdrawn")
    report = verify_file(tmp_path / "clip.wav", ToyMarker(), ledger)
    assert report.status == "verified"
    consent = report.ledger.records[0].consents[0]
    assert consent["valid"] is False and consent["invalid_reason"] == "revoked"
    assert any("revoked" in warning for warning in report.warnings)


# ------------------------------------------------------------------------------ batches
def test_corrupt_files_are_reported_and_do_not_stop_the_batch(ledger, tmp_path, speech):
    folder = tmp_path / "batch"
    folder.mkdir()
    record(ledger, folder / "a_good.wav", speech(1.0))
    (folder / "b_corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(range(40)))
    write_audio(folder / "c_short.wav", speech(0.005))  # 80 samples: under one 20 ms frame
    record(ledger, folder / "d_good.flac", speech(1.0, 5))
    report = verify_paths([folder, tmp_path / "missing.wav"], ToyMarker(), ledger)
    statuses = {clip.path.rsplit("/", 1)[-1]: clip.status for clip in report.clips}
    assert statuses == {"a_good.wav": "verified", "b_corrupt.wav": "error", "c_short.wav": "error",
                        "d_good.flac": "verified", "missing.wav": "error"}
    errors = {clip.path.rsplit("/", 1)[-1]: clip.error for clip in report.clips if clip.error}
    assert "cannot decode" in errors["b_corrupt.wav"] and "too short" in errors["c_short.wav"]
    assert "not found" in errors["missing.wav"]
    assert report.counts() == {"verified": 2, "unmatched": 0, "unmarked": 0, "error": 3}
    assert report.exit_code == 1
    only_bad = verify_paths([folder / "b_corrupt.wav", folder / "c_short.wav"], ToyMarker(), ledger)
    assert only_bad.exit_code == 2
    good = verify_paths([folder / "a_good.wav", folder / "d_good.flac"], ToyMarker(), ledger)
    assert good.exit_code == 0 and good.ledger_path == str(ledger.path)


def test_folders_are_searched_recursively(tmp_path, speech):
    root = tmp_path / "root"
    for name in ("x.wav", "deep/er/y.FLAC", "deep/z.ogg", "deep/m.mp3", ".hidden/h.wav",
                 "deep/.dot.wav", "notes.txt", "deep/noext"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    files, warnings = find_audio_files([root, root / "x.wav", tmp_path / "empty"])
    names = [f.relative_to(root).as_posix() for f in files]
    assert names == ["x.wav", "deep/m.mp3", "deep/z.ogg", "deep/er/y.FLAC"]
    assert warnings == [f"no audio files in {tmp_path / 'empty'}"]
    assert {"wav", "flac", "ogg", "mp3", "aiff"} <= audio_extensions()
    assert find_audio_files([root / "notes.txt"])[0] == [root / "notes.txt"]  # given: kept
    with pytest.raises(InputError, match="no audio files found"):
        find_audio_files([tmp_path / "empty"])


# ------------------------------------------------------------------------------ command line
def test_cli_json_schema_and_exit_codes(ledger, tmp_path, speech, toy, capsys):
    row = record(ledger, tmp_path / "ok.wav", speech(1.0))
    code, out, _ = cli(capsys, str(tmp_path / "ok.wav"), "--ledger", str(ledger.path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"clips", "summary", "ledger", "threshold", "warnings"}
    assert doc["summary"] == {"files": 1, "verified": 1, "unmatched": 0, "unmarked": 0,
                              "error": 0, "exit_code": 0}
    (clip,) = doc["clips"]
    assert clip["status"] == "verified" and clip["verified"] is True
    assert clip["detection"]["payload"] == row["payload"]
    assert clip["detection"]["bits"] == format(row["payload"], "016b")
    assert len(clip["detection"]["bit_confidence"]) == 16
    assert clip["detection"]["segments"] == [[0.0, 1.0]]
    assert clip["ledger"]["match"] == "exact"
    record_ = clip["ledger"]["records"][0]
    assert record_["clip_id"] == row["clip_id"] and record_["voice_id"] == "alice"
    assert record_["consents"][0]["consent_id"] == ledger.consent_id
    write_audio(tmp_path / "plain.wav", speech(1.0, 7))
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    code, out, _ = cli(capsys, str(tmp_path), "--ledger", str(ledger.path), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["summary"]["exit_code"] == 1
    assert [c["status"] for c in doc["clips"]] == ["error", "verified", "unmarked"]
    assert doc["clips"][0]["error"] and doc["clips"][0]["detection"] is None


def test_cli_plain_words(ledger, tmp_path, speech, toy, capsys):
    row = record(ledger, tmp_path / "ok.wav", speech(1.0))
    write_audio(tmp_path / "silent.wav", np.zeros(8000, np.float32))
    code, out, _ = cli(capsys, str(tmp_path / "ok.wav"), str(tmp_path / "silent.wav"),
                       "--ledger", str(ledger.path))
    assert code == 1
    blocks = out.split("\n\n")
    assert blocks[0].startswith(f"{tmp_path / 'ok.wav'}: VERIFIED")
    for text in (f"payload {row['payload']}", row["clip_id"], "voice alice (cloned, Alice)",
                 "Alice Example", "exact match", "segments 0.00-1.00 s"):
        assert text in blocks[0]
    assert "UNMARKED" in blocks[1] and "silent" in blocks[1]
    assert "2 file(s): verified 1, unmatched 0, unmarked 1, errors 0" in out
    assert "exit status 1" in out


def test_cli_ledger_resolution(ledger, tmp_path, speech, toy, capsys, monkeypatch):
    write_audio(tmp_path / "m.wav", toy_mark(speech(1.0), 0x4242))
    code, _, err = cli(capsys, str(tmp_path / "m.wav"), "--ledger", str(tmp_path / "nope.sqlite3"))
    assert code == 2 and "no ledger at" in err
    code, out, err = cli(capsys, str(tmp_path / "m.wav"))  # default ledger absent: detection only
    assert code == 1 and "UNMATCHED" in out and "no ledger" in err
    monkeypatch.setenv("TTS_MOE_LEDGER", str(tmp_path / "nope.sqlite3"))
    code, _, err = cli(capsys, str(tmp_path / "m.wav"))
    assert code == 2 and "no ledger at" in err
    monkeypatch.setenv("TTS_MOE_LEDGER", str(ledger.path))
    with open_ledger(None) as opened:
        assert opened is not None and opened.path == ledger.path and opened.read_only


def test_cli_errors_and_thresholds(ledger, tmp_path, speech, toy, capsys):
    code, out, _ = cli(capsys, str(tmp_path / "missing.wav"))
    assert code == 2 and "not found" in out  # a single missing file: every input failed
    (tmp_path / "empty").mkdir()
    code, _, err = cli(capsys, str(tmp_path / "empty"))
    assert code == 2 and "no audio files found" in err
    write_audio(tmp_path / "half.wav", (toy_mark(speech(1.0), 7) - speech(1.0)) * 0.5 + speech(1.0))
    code, _, err = cli(capsys, str(tmp_path / "half.wav"), "--threshold", "1.5")
    assert code == 2 and "--threshold" in err
    code, out, _ = cli(capsys, str(tmp_path / "half.wav"), "--threshold", "0.7", "--json")
    doc = json.loads(out)  # pilot at half amplitude: probability ~0.5, under 0.7
    assert doc["threshold"] == 0.7 and doc["clips"][0]["status"] == "unmarked"
    code, out, _ = cli(capsys, str(tmp_path / "half.wav"), "--threshold", "0.3", "--json")
    assert json.loads(out)["clips"][0]["detection"]["detected"] is True


def test_cli_without_weights_exits_4(tmp_path, speech, capsys, monkeypatch):
    monkeypatch.setattr(weights_module, "WEIGHTS_DIR", tmp_path / "no-weights")
    write_audio(tmp_path / "a.wav", speech(0.5))
    code, _, err = cli(capsys, str(tmp_path / "a.wav"))
    assert code == 4 and "watermark weights not found" in err


def test_cli_with_real_tiny_network_weights(ledger, tmp_path, speech, capsys):
    torch.manual_seed(0)
    Watermarker(build_networks(PRESETS["tiny"])).save_pretrained(tmp_path / "w")
    write_audio(tmp_path / "a.wav", speech(1.0))
    code, out, _ = cli(capsys, str(tmp_path / "a.wav"), "--weights", str(tmp_path / "w"),
                       "--ledger", str(ledger.path), "--json")
    (clip,) = json.loads(out)["clips"]  # random networks: the verdict is arbitrary, not verified
    assert code == 1 and clip["status"] in ("unmarked", "unmatched")
    assert clip["detection"]["threshold"] == 0.5 and len(clip["audio_sha256"]) == 64


def test_payloads_of_a_model_measured_unreliable_are_not_matched(ledger, tmp_path, speech):
    """A card measuring clean bit accuracy at chance: the decoded payload must not point
    at a clip; only a byte-identical file is matched (by its hash)."""
    clean = speech(1.2, 1)
    row = record(ledger, tmp_path / "logged.wav", clean)
    soundfile.write(tmp_path / "copy.flac", toy_mark(clean, row["payload"]), SAMPLE_RATE)
    marker = ToyMarker()
    marker.card = {"payload_bit_accuracy": 0.5}
    edited = verify_file(tmp_path / "copy.flac", marker, ledger)
    assert edited.detection.payload == row["payload"]
    assert edited.status == "unmatched" and edited.ledger.match == "none"
    assert any("bit accuracy of 0.50" in w for w in edited.warnings)
    exact = verify_file(tmp_path / "logged.wav", marker, ledger)
    assert exact.status == "verified" and exact.ledger.match == "exact"


def test_real_payload_channel_traces_an_edited_copy_to_its_clip(ledger, tmp_path, speech):
    """Tiny random SEANet networks plus the spread-spectrum payload channel: a logged clip,
    cropped and re-encoded at 48 kHz stereo, is traced back to its ledger row by payload."""
    torch.manual_seed(0)
    marker = Watermarker(build_networks(PRESETS["tiny"]), {"payload_bit_accuracy": 1.0})
    clean = speech(4.0, 2)
    with ledger.record_clip(tmp_path / "logged.wav", text="Hi.", voice_id="narrator") as pending:
        pending.write(marker.embed(clean, pending.payload))
    row = pending.row
    logged, _ = soundfile.read(tmp_path / "logged.wav", dtype="float32")
    copy = resample(logged[5_000:5_000 + 48_000], SAMPLE_RATE, 48_000)
    soundfile.write(tmp_path / "copy.flac", np.stack([copy, copy], axis=1), 48_000)
    report = verify_file(tmp_path / "copy.flac", marker, ledger)
    assert report.detection.detected and report.detection.payload == row["payload"]
    assert report.status == "verified" and report.ledger.match == "payload-only"
    assert report.ledger.records[0].clip_id == row["clip_id"]
