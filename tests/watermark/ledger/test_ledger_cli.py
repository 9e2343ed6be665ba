"""``tts-moe ledger ...``: output, JSON and exit codes (0 ok, 1 tampered/no match, 2 error)."""

from __future__ import annotations

import argparse
import json

import pytest

from tts_moe.errors import TTSMoeError
from watermark.ledger import cli


def run(*argv: str) -> int:
    """Parse and run like ``tts_moe.cli.main`` does, with only the ledger commands."""
    parser = argparse.ArgumentParser(prog="tts-moe")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    try:
        return int(args.func(args) or 0)
    except TTSMoeError as error:
        print(f"error: {error}")
        return error.exit_code


@pytest.fixture
def filled(ledger, tools, tmp_path):
    tools.add_clips(ledger, 3, payload=77)
    with ledger.record_clip(tmp_path / "a.wav", text="hi", voice_id="alice",
                            consent_id=ledger.consent_id) as pending:
        pending.write(tools.tone())
    ledger.last_payload = pending.payload
    ledger.last_id = pending.row["clip_id"]
    return ledger


def test_init_creates_and_reports(tmp_path, capsys, monkeypatch):
    path = tmp_path / "deep" / "l.sqlite3"
    assert run("ledger", "init", "--ledger", str(path), "--json") == 0
    info = json.loads(capsys.readouterr().out)
    assert info["schema_version"] == 2 and path.exists()
    monkeypatch.setenv("TTS_MOE_LEDGER", str(tmp_path / "env.sqlite3"))
    assert run("ledger", "init") == 0
    assert (tmp_path / "env.sqlite3").exists()


def test_group_without_subcommand_exits_2(capsys):
    assert run("ledger") == 2


def test_check_exit_codes(filled, tools, tmp_path, capsys):
    path = str(filled.path)
    assert run("ledger", "check", "--ledger", path) == 0
    assert "intact" in capsys.readouterr().out
    assert run("ledger", "check", "--ledger", path, "--files", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] and report["files"]["ok"] == 1
    (tmp_path / "a.wav").write_bytes(b"changed")
    assert run("ledger", "check", "--ledger", path, "--files") == 1
    assert "MODIFIED" in capsys.readouterr().out
    tools.raw(filled.path).execute("UPDATE clips SET duration_s = 5 WHERE seq = 4")
    assert run("ledger", "check", "--ledger", path, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["intact"] and report["problems"][0]["seq"] == 4
    (tmp_path / "junk.sqlite3").write_bytes(b"not sqlite " * 100)
    assert run("ledger", "check", "--ledger", str(tmp_path / "junk.sqlite3")) == 2
    assert "not a readable tts-moe ledger" in capsys.readouterr().err
    assert run("ledger", "check", "--ledger", str(tmp_path / "missing.sqlite3")) == 2


def test_show_by_id_and_last(filled, capsys):
    path = str(filled.path)
    assert run("ledger", "show", filled.last_id, "--ledger", path, "--json") == 0
    clip = json.loads(capsys.readouterr().out)
    assert clip["clip_id"] == filled.last_id and clip["consent_now"]["valid"] is True
    assert run("ledger", "show", "--last", "2", "--ledger", path, "--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert run("ledger", "show", "--last", "1", "--ledger", path) == 0
    assert filled.last_id in capsys.readouterr().out
    assert run("ledger", "show", "nope", "--ledger", path) == 2


def test_export_then_check_the_export(filled, tmp_path, capsys):
    path, out = str(filled.path), tmp_path / "export.jsonl"
    assert run("ledger", "export", "--ledger", path, "-o", str(out)) == 0
    assert len(out.read_text().splitlines()) == 1 + filled.info()["head_seq"]
    assert run("ledger", "check", "--export", str(out)) == 0
    capsys.readouterr()
    assert run("ledger", "export", "--ledger", path) == 0
    assert capsys.readouterr().out.count("\n") == len(out.read_text().splitlines())
    assert '"duration_s": 1.0' in out.read_text()
    out.write_text(out.read_text().replace('"duration_s": 1.0', '"duration_s": 1.5', 1))
    assert run("ledger", "check", "--export", str(out)) == 1
    assert run("ledger", "export", "--ledger", path, "-o", str(tmp_path / "no/dir.jsonl")) == 5


def test_lookup_exit_codes(filled, tmp_path, capsys):
    path = str(filled.path)
    assert run("ledger", "lookup", str(filled.last_payload), "--audio", str(tmp_path / "a.wav"),
               "--ledger", path, "--json") == 0
    assert json.loads(capsys.readouterr().out)["match"] == "exact"
    assert run("ledger", "lookup", "0x4d", "--ledger", path) == 0  # 77
    assert "3 candidate" in capsys.readouterr().out
    assert run("ledger", "lookup", "65535", "--ledger", path) == 1
    assert run("ledger", "lookup", "abc", "--ledger", path) == 2
    assert run("ledger", "lookup", "70000", "--ledger", path) == 2


def test_recover_with_nothing_pending(filled, capsys):
    assert run("ledger", "recover", "--ledger", str(filled.path), "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_through_the_toolkit_main(filled, tmp_path, monkeypatch, capsys):
    from tts_moe import cli as toolkit_cli

    modules = tuple(m for m in toolkit_cli.COMMAND_MODULES if m != "watermark.ledger.cli")
    monkeypatch.setattr(toolkit_cli, "COMMAND_MODULES", (*modules, "watermark.ledger.cli"))
    assert toolkit_cli.main(["ledger", "check", "--ledger", str(filled.path)]) == 0
    (tmp_path / "bad.sqlite3").write_bytes(b"garbage " * 100)
    assert toolkit_cli.main(["ledger", "show", "--last", "1", "--ledger",
                             str(tmp_path / "bad.sqlite3")]) == 2
    assert "tts-moe ledger: error:" in capsys.readouterr().err
