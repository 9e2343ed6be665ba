"""Reference transcripts (voices/transcripts.py): given, sidecar, or automatic (recogniser faked)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tts_moe import asr
from tts_moe.errors import InputError, MissingDependencyError
from voices.transcripts import auto_transcript, read_transcripts

CLIP = np.full(1600, 0.1, np.float32)


def test_missing_sidecars_are_none_only_when_allowed(tmp_path):
    files = [tmp_path / "a.wav", tmp_path / "b.wav"]
    (tmp_path / "a.txt").write_text(" Hello there. \n")
    assert read_transcripts(files, None, allow_missing=True) == ["Hello there.", None]
    with pytest.raises(InputError, match=re.escape(f"no transcript for {files[1]}: put what is said in")):
        read_transcripts(files, None)
    (tmp_path / "b.txt").write_text("  ")
    with pytest.raises(InputError, match="empty transcript for .*b.wav"):  # an empty sidecar is still refused
        read_transcripts(files, None, allow_missing=True)
    assert read_transcripts(files, ["one", "two"], allow_missing=True) == ["one", "two"]


def test_auto_transcript_uses_the_recogniser(monkeypatch, tmp_path):
    heard = []
    monkeypatch.setattr(asr, "transcribe", lambda audio: heard.append(audio.shape) or "  hello world ")
    assert auto_transcript(CLIP, tmp_path / "a.wav") == "hello world"
    assert heard == [CLIP.shape]


@pytest.mark.parametrize("result", ["", "   "])
def test_nothing_recognised_is_refused_naming_the_file(monkeypatch, tmp_path, result):
    monkeypatch.setattr(asr, "transcribe", lambda audio: result)
    file = tmp_path / "take-3.wav"
    with pytest.raises(InputError, match=re.escape(f"{file}") + ".*recognised no words.*"
                       + re.escape(str(tmp_path / "take-3.txt"))):
        auto_transcript(CLIP, file)


def test_missing_recogniser_says_how_to_go_on(monkeypatch, tmp_path):
    def missing(audio):
        raise MissingDependencyError("no pocketsphinx")

    monkeypatch.setattr(asr, "transcribe", missing)
    with pytest.raises(MissingDependencyError, match=r"a\.wav.*pip install pocketsphinx.*a\.txt"):
        auto_transcript(CLIP, tmp_path / "a.wav")
