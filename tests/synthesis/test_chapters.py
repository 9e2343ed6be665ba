"""Chapter markers in file metadata (tts_moe/synthesis/chapters.py): samples untouched."""

from __future__ import annotations

import shutil
import subprocess
import sys

import mutagen
import numpy as np
import pytest
import soundfile

from tts_moe.audio import write_audio
from tts_moe.errors import MissingDependencyError, OutputError
from tts_moe.synthesis.chapters import embed_chapters, read_wav_cues, timestamp

CHAPTERS = [(0.0, "Opening"), (1.25, "Zweites Kapitel: Überblick")]
VORBIS_TAGS = [("CHAPTER001", "00:00:00.000"), ("CHAPTER001NAME", "Opening"),
               ("CHAPTER002", "00:00:01.250"), ("CHAPTER002NAME", "Zweites Kapitel: Überblick")]


def vorbis_comments(path):
    """(vendor, [(key, value), ...]) of a FLAC or Ogg Vorbis file, read by mutagen (not our code)."""
    tags = mutagen.File(path).tags
    return tags.vendor, list(tags)


@pytest.fixture
def audio():
    return (0.1 * np.sin(np.arange(48_000) / 7)).astype(np.float32)


def test_timestamp():
    assert timestamp(3725.5) == "01:02:05.500" and timestamp(0.0004) == "00:00:00.000"


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_chapters_go_in_and_samples_stay(tmp_path, audio, fmt):
    path = tmp_path / f"a.{fmt}"
    write_audio(path, audio)
    before, _ = soundfile.read(path, dtype="float32")
    tags_before = vorbis_comments(path) if fmt != "wav" else None
    assert embed_chapters(path, fmt, CHAPTERS, duration=3.0, sample_rate=16_000)
    after, rate = soundfile.read(path, dtype="float32")
    assert rate == 16_000 and np.array_equal(before, after)  # the watermark lives in the samples
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind
    if fmt == "wav":
        assert read_wav_cues(path) == CHAPTERS
    else:  # vendor and earlier tags kept, chapter tags added after them
        vendor, tags = tags_before
        assert vorbis_comments(path) == (vendor, tags + VORBIS_TAGS)
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


def test_no_chapters_or_an_unknown_format_leave_the_file_alone(tmp_path, audio):
    path = tmp_path / "a.ogg"
    write_audio(path, audio)
    data = path.read_bytes()
    assert not embed_chapters(path, "ogg", [], duration=3.0, sample_rate=16_000)
    assert not embed_chapters(path, "aiff", CHAPTERS, duration=3.0, sample_rate=16_000)
    assert path.read_bytes() == data


@pytest.mark.parametrize("fmt", ["flac", "ogg"])
def test_a_broken_file_is_an_output_error(tmp_path, fmt):
    path = tmp_path / f"a.{fmt}"
    path.write_bytes(b"not audio at all")
    with pytest.raises(OutputError, match="chapter markers"):
        embed_chapters(path, fmt, CHAPTERS, duration=3.0, sample_rate=16_000)
    assert path.read_bytes() == b"not audio at all" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_ogg_without_mutagen_names_the_package(tmp_path, audio, monkeypatch):
    path = tmp_path / "a.ogg"
    write_audio(path, audio)
    data = path.read_bytes()
    monkeypatch.setitem(sys.modules, "mutagen", None)  # `import mutagen...` now raises ImportError
    monkeypatch.setitem(sys.modules, "mutagen.oggvorbis", None)
    with pytest.raises(MissingDependencyError, match="pip install mutagen"):
        embed_chapters(path, "ogg", CHAPTERS, duration=3.0, sample_rate=16_000)
    assert path.read_bytes() == data
