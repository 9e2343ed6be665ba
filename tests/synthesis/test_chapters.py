"""Chapter markers in file metadata (tts_moe/synthesis/chapters.py): samples untouched."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile

from tts_moe.audio import write_audio
from tts_moe.errors import OutputError
from tts_moe.synthesis.chapters import embed_chapters, read_wav_cues, timestamp

CHAPTERS = [(0.0, "Opening"), (1.25, "Zweites Kapitel: Überblick")]


@pytest.fixture
def audio():
    return (0.1 * np.sin(np.arange(48_000) / 7)).astype(np.float32)


def test_timestamp():
    assert timestamp(3725.5) == "01:02:05.500" and timestamp(0.0004) == "00:00:00.000"


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_chapters_go_in_and_samples_stay(tmp_path, audio, fmt):
    path = tmp_path / f"a.{fmt}"
    write_audio(path, audio)
    before, _ = soundfile.read(path, dtype="float32")
    assert embed_chapters(path, fmt, CHAPTERS, duration=3.0, sample_rate=16_000)
    after, rate = soundfile.read(path, dtype="float32")
    assert rate == 16_000 and np.array_equal(before, after)
    if fmt == "wav":
        assert read_wav_cues(path) == CHAPTERS
    else:
        data = path.read_bytes()
        assert b"CHAPTER001=00:00:00.000" in data and b"CHAPTER002=00:00:01.250" in data
        assert "CHAPTER002NAME=Zweites Kapitel: Überblick".encode() in data
        if shutil.which("ffprobe"):  # a third-party reader sees them as chapters
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "compact", str(path)],
                                   capture_output=True, text=True).stdout
            assert "start_time=1.250000" in probe and "tag:title=Zweites Kapitel: Überblick" in probe


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg/ffprobe not installed")
def test_mp3_gets_id3_chapter_frames(tmp_path, audio):
    path = tmp_path / "a.mp3"
    write_audio(path, audio)
    assert embed_chapters(path, "mp3", CHAPTERS, duration=3.0, sample_rate=16_000)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "compact", str(path)],
                           capture_output=True, text=True).stdout
    assert "tag:title=Opening" in probe and "Überblick" in probe and "start_time=1.250000" in probe


def test_ogg_and_no_chapters_leave_the_file_alone(tmp_path, audio):
    path = tmp_path / "a.ogg"
    write_audio(path, audio)
    data = path.read_bytes()
    assert not embed_chapters(path, "ogg", CHAPTERS, duration=3.0, sample_rate=16_000)
    assert not embed_chapters(path, "wav", [], duration=3.0, sample_rate=16_000)
    assert path.read_bytes() == data


def test_a_broken_file_is_an_output_error(tmp_path):
    path = tmp_path / "a.flac"
    path.write_bytes(b"not flac at all")
    with pytest.raises(OutputError, match="chapter markers"):
        embed_chapters(path, "flac", CHAPTERS, duration=3.0, sample_rate=16_000)
