"""Behaviour of tts_moe.audio: loading, validation, resampling, atomic writing, log-mel."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from tts_moe import audio as audio_mod
from tts_moe.audio import (
    SAMPLE_RATE, AtomicAudioWriter, MelConfig, load_audio, log_mel, resample, write_audio,
)
from tts_moe.errors import AudioError, OutputError

REPO = Path(__file__).resolve().parents[2]


def tone(seconds: float = 0.5, rate: int = SAMPLE_RATE, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_load_resamples_any_rate_to_16k(tmp_path, rate):
    path = tmp_path / f"tone_{rate}.wav"
    soundfile.write(path, tone(1.0, rate), rate)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.size - SAMPLE_RATE) <= 2
    # the 440 Hz tone survives resampling: its spectral peak stays at 440 Hz
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / audio.size
    assert abs(peak_hz - 440) < 3


def test_load_mixes_stereo_to_mono(tmp_path):
    left, right = tone(0.5), np.zeros(8000, dtype=np.float32)
    path = tmp_path / "stereo.flac"
    soundfile.write(path, np.stack([left, right], axis=1), SAMPLE_RATE)
    audio = load_audio(path)
    assert audio.shape == (8000,)
    np.testing.assert_allclose(audio, left / 2, atol=1e-3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "not found"),
        (lambda p: p.write_bytes(b"RIFF\x00\x01garbage that is not audio" * 10), "cannot decode"),
        (lambda p: p.write_bytes(b""), "cannot decode"),
        (lambda p: soundfile.write(p, np.zeros(0, np.float32), SAMPLE_RATE), "empty"),
        (lambda p: soundfile.write(p, np.zeros(16000, np.float32), SAMPLE_RATE), "silent"),
        (
            lambda p: soundfile.write(
                p, np.array([0.1, np.nan, 0.2] * 100, np.float32), SAMPLE_RATE, subtype="FLOAT"
            ),
            "NaN",
        ),
    ],
    ids=["missing", "corrupt", "zero-bytes", "empty", "silent", "nan"],
)
def test_load_rejects_bad_files_with_specific_errors(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=message):
        load_audio(path)


def test_load_silent_allowed_on_request(tmp_path):
    path = tmp_path / "quiet.wav"
    soundfile.write(path, np.zeros(1600, np.float32), SAMPLE_RATE)
    assert load_audio(path, allow_silent=True).shape == (1600,)


def test_load_rejects_folder(tmp_path):
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_resample_batch_shape():
    batch = np.stack([tone(0.5), tone(0.5, freq=220)])
    out = resample(batch, SAMPLE_RATE, 8000)
    assert out.shape == (2, 4000)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_write_roundtrip_every_format(tmp_path, fmt):
    path = tmp_path / f"clip.{fmt}"
    write_audio(path, tone(1.0))
    back = load_audio(path)
    # lossy codecs add/remove a few ms of padding; lossless must be exact length
    if fmt in ("wav", "flac"):
        assert back.size == SAMPLE_RATE
        np.testing.assert_allclose(back, tone(1.0), atol=1e-4)
    else:
        assert abs(back.size - SAMPLE_RATE) < 0.1 * SAMPLE_RATE
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_write_unknown_format(tmp_path):
    with pytest.raises(OutputError, match="format"):
        write_audio(tmp_path / "clip.xyz", tone())


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_audio(tmp_path / "nope" / "clip.wav", tone())


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_write_into_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission"):
            write_audio(folder / "clip.wav", tone())
    finally:
        folder.chmod(0o700)


def test_disk_full_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "clip.wav"
    target.write_bytes(b"previous complete file")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with AtomicAudioWriter(target) as writer:
        writer.write(tone(0.1))
        monkeypatch.setattr(writer._file, "write", full_disk)
        with pytest.raises(OutputError, match="disk is full"):
            writer.write(tone(0.1))
    assert target.read_bytes() == b"previous complete file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav"]


def test_interrupted_stream_leaves_target_untouched(tmp_path):
    target = tmp_path / "long.flac"
    with pytest.raises(KeyboardInterrupt):
        with AtomicAudioWriter(target) as writer:
            writer.write(tone(0.2))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_stream_writes_all_chunks(tmp_path):
    target = tmp_path / "long.flac"
    with AtomicAudioWriter(target) as writer:
        for _ in range(5):
            writer.write(tone(0.2))
    assert writer.frames_written == 5 * 3200
    assert soundfile.info(target).frames == 5 * 3200


def test_writer_refuses_nan(tmp_path):
    target = tmp_path / "x.wav"
    writer = AtomicAudioWriter(target)
    with pytest.raises(AudioError, match="NaN"):
        writer.write(np.array([0.0, np.nan], np.float32))
    assert list(tmp_path.iterdir()) == []


def test_log_mel_shapes_and_values():
    config = MelConfig()
    clip = tone(1.0)
    mel = log_mel(clip, config)
    assert mel.shape == (80, config.frames(clip.size))
    batch = log_mel(np.stack([clip, clip]), config)
    assert batch.shape == (2, 80, config.frames(clip.size))
    # a 440 Hz tone puts its energy in a low mel bin, far above the floor
    loudest = mel.mean(dim=1).argmax().item()
    assert loudest < 20
    assert mel.max() > np.log(config.log_floor) + 5
    # silence sits at the floor
    quiet = log_mel(np.zeros(4000, np.float32), config)
    assert torch.allclose(quiet, torch.full_like(quiet, np.log(config.log_floor)))


def test_log_mel_is_differentiable():
    x = torch.tensor(tone(0.3), requires_grad=True)
    log_mel(x).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_log_mel_rejects_too_short():
    with pytest.raises(AudioError, match="samples"):
        log_mel(np.zeros(100, np.float32))


def test_only_audio_module_imports_torchaudio():
    offenders = []
    for path in REPO.rglob("*.py"):
        if ".venv" in path.parts or path == Path(audio_mod.__file__).resolve():
            continue
        if path.parts[len(REPO.parts)] == "tests":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "import torchaudio" in text or "from torchaudio" in text:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], f"torchaudio used outside tts_moe/audio.py: {offenders}"


def test_write_permission_denied_is_reported(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(audio_mod.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match="permission denied"):
        write_audio(tmp_path / "clip.wav", tone())
    assert list(tmp_path.iterdir()) == []
