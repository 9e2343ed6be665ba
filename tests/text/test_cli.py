"""``tts-moe text normalize|split|phonemize``."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from tts_moe.errors import InputError, TextError
from tts_moe.text import cli


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tts-moe")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_normalize_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["text", "normalize", "Dr. Smith paid $5."]) == 0
    assert capsys.readouterr().out == "doctor Smith paid five dollars.\n"


def test_normalize_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["text", "normalize", "No. 3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["normalized"] == "number three" and data["action"] == "normalize"


def test_split_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("One. Mr. Two is here. Three!"))
    assert run(["text", "split"]) == 0
    assert capsys.readouterr().out.splitlines() == ["One.", "Mr. Two is here.", "Three!"]


def test_split_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("A b. C d.", encoding="utf-8")
    assert run(["text", "split", "--file", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sentences"] == ["A b.", "C d."]


def test_phonemize_json_with_lexicon(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lex = tmp_path / "lex.tsv"
    lex.write_text("smith\tsmˈaɪθ\n", encoding="utf-8")
    assert run(["text", "phonemize", "Dr. Smith. Hi.", "--lexicon", str(lex), "--language", "en-gb", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["symbol_table"] == "en-ipa-1"
    assert data["utterances"][0]["phonemes"].endswith("smˈaɪθ.")
    assert all(isinstance(i, int) for i in data["utterances"][0]["ids"])


def test_phonemize_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["text", "phonemize", "hello world"]) == 0
    assert capsys.readouterr().out == "həlˈoʊ wˈɜːld\n"


def test_warning_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["text", "normalize", "hi 😀"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "hi\n" and "warning" in captured.err


def test_errors() -> None:
    with pytest.raises(TextError):
        run(["text", "normalize", "..."])
    with pytest.raises(InputError, match="does not exist"):
        run(["text", "normalize", "--file", "/nonexistent/x.txt"])
    with pytest.raises(InputError, match="not both"):
        run(["text", "normalize", "x", "--file", "y"])
    with pytest.raises(TextError, match="language"):
        run(["text", "phonemize", "x", "--language", "xx-bad"])
