"""The tts-moe command line: help on every command, error messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tts_moe.cli import build_parser, main, print_result

REPO = Path(__file__).resolve().parents[2]


def subcommand_paths(parser, prefix=()):
    """Every (sub)command path of the parser tree, e.g. ('corpus', 'build')."""
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from subcommand_paths(sub, prefix + (name,))


def test_every_command_has_help(capsys):
    paths = list(subcommand_paths(build_parser()))
    assert ("synth",) in paths and ("corpus", "build") in paths and ("text", "phonemize") in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_info:
            main([*path, "--help"])
        assert exit_info.value.code == 0
        assert "usage: tts-moe " + " ".join(path) in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: tts-moe" in capsys.readouterr().err


def test_print_result_prints_json_or_the_description_only(capsys):
    data = {"steps": 3, "out": "run"}

    def never(_):
        raise AssertionError("the text is not built for --json")

    assert print_result(data, True, never) == 0
    assert json.loads(capsys.readouterr().out) == data
    assert print_result(data, False, lambda d: f"{d['steps']} steps\nin {d['out']}") == 0
    assert capsys.readouterr().out == "3 steps\nin run\n"
    assert print_result(data, False) == 0
    assert capsys.readouterr().out == ""


def test_console_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "tts_moe", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("tts-moe ")


@pytest.mark.parametrize(
    "content, code, message",
    [
        (None, 2, "script not found"),
        (b"", 2, "empty"),
        (b"\x00\x01\x02binary\xff\xfe", 2, "binary"),
        (b"caf\xe9 latin-1 text", 2, "not UTF-8"),
        ("\U0001F600 \U0001F680 !!! ...".encode(), 2, ""),
    ],
    ids=["missing", "empty", "binary", "latin1", "emoji-only"],
)
def test_synth_rejects_bad_scripts(tmp_path, capsys, content, code, message):
    script = tmp_path / "script.txt"
    if content is not None:
        script.write_bytes(content)
    out = tmp_path / "out.wav"
    assert main(["synth", str(script), "-o", str(out)]) == code
    err = capsys.readouterr().err
    assert "tts-moe synth: error:" in err and message in err
    assert not out.exists()


def test_synth_missing_output_folder(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("Hello there.")
    assert main(["synth", str(script), "-o", str(tmp_path / "no" / "out.wav")]) == 5
    assert "output folder does not exist" in capsys.readouterr().err


def test_synth_unknown_format(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("Hello there.")
    assert main(["synth", str(script), "-o", str(tmp_path / "out.xyz")]) == 5
    assert "format" in capsys.readouterr().err


def test_synth_without_watermark_weights_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out.wav"
    code = main(["synth", str(REPO / "examples" / "long_script.txt"), "-o", str(out),
                 "--watermark", str(tmp_path / "missing"), "--ledger", str(tmp_path / "ledger.db")])
    assert code == 4
    assert "weights not found" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
