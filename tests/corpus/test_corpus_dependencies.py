"""A missing teacher gives MissingDependencyError naming the Debian package, up front."""

from __future__ import annotations

import pytest

from tts_moe.cli import main
from tts_moe.corpus.build import BuildOptions, build_corpus
from tts_moe.corpus.dependencies import check_teachers
from tts_moe.corpus.speakers import get_speaker
from tts_moe.errors import MissingDependencyError


def test_missing_binary_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no teacher on it
    with pytest.raises(MissingDependencyError) as error:
        check_teachers([get_speaker("flite-slt"), get_speaker("hts-slt"), get_speaker("espeak-en-us+m3")])
    message = str(error.value)
    for package in ("apt-get install flite", "apt-get install htsengine", "apt-get install espeak-ng"):
        assert package in message
    assert error.value.exit_code == 3


def test_build_checks_before_creating_anything(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "corpus"
    with pytest.raises(MissingDependencyError, match="flite"):
        build_corpus(BuildOptions(out, clips_per_cell=1, speakers="flite-slt"))
    assert not out.exists()
    assert main(["corpus", "build", str(out), "--speakers", "festival-kal", "--clips-per-cell", "1"]) == 3
    assert "apt-get install festival" in capsys.readouterr().err
