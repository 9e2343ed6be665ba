"""Two-phase clip writes: crashes and failures at every step leave a file and its row together
or neither (after `recover` for crashes), never one without the other."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3

import numpy as np
import pytest

import tts_moe.audio  # noqa: F401  (imported before forking)
from tts_moe.errors import InputError, OutputError
from watermark.ledger.pending import check_files, recover
from watermark.ledger.store import Ledger, sha256_file

STEPS = ("pending", "writing", "staged", "ready", "inserted", "renamed", "committed")


def crashing_writer(path: str, target: str, crash_at: str) -> None:
    """Write one clip and die (os._exit: no cleanup runs) at step ``crash_at``."""
    ledger = Ledger(path)
    ledger._step_hook = lambda step: os._exit(9) if step == crash_at else None
    audio = (0.3 * np.sin(np.arange(4000) / 5.0)).astype(np.float32)
    with ledger.record_clip(target, text="crash test", voice_id="narrator") as pending:
        pending.write(audio[:2000])
        if crash_at == "writing":
            os._exit(9)
        pending.write(audio[2000:])
    os._exit(0)


def state(ledger_path, target):
    with Ledger(ledger_path, read_only=True) as ledger:
        clips = ledger.info()["counts"]["clips"]
        pending = ledger.pending_writes()
        intact = ledger.check().intact
    leftovers = sorted(p.name for p in target.parent.glob(".*"))
    return clips, len(pending), target.exists(), leftovers, intact


def crash(ledger, target, step):
    ledger.close()
    process = multiprocessing.get_context("fork").Process(
        target=crashing_writer, args=(str(ledger.path), str(target), step))
    process.start()
    process.join(timeout=60)
    return process.exitcode


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_is_detected_and_repaired(ledger, tmp_path, step):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "clip.wav"
    before = ledger.info()["counts"]["clips"]
    assert crash(ledger, target, step) == 9
    clips, pending, exists, leftovers, intact = state(ledger.path, target)
    assert intact
    if step == "committed":
        assert (clips, pending, exists) == (before + 1, 0, True)
    elif step == "renamed":  # the orphan window: the file is out, its commit was lost
        assert (clips, pending, exists) == (before, 1, True)
    else:
        assert (clips, pending, exists) == (before, 1, False)
    with Ledger(ledger.path) as reopened:
        actions = recover(reopened)
        files = check_files(reopened)
    clips, pending, exists, leftovers, intact = state(ledger.path, target)
    assert intact and pending == 0 and leftovers == []
    assert exists == (clips == before + 1)  # file and row: both or neither
    if step == "renamed":
        assert [a["action"] for a in actions] == ["rolled-forward"]
        assert files["ok"] == 1
    elif step != "committed":
        assert [a["action"] for a in actions] == ["rolled-back"] and not exists


def test_orphan_can_be_discarded_instead(ledger, tmp_path):
    target = tmp_path / "clip.wav"
    crash(ledger, target, "renamed")
    with Ledger(ledger.path) as reopened:
        assert [a["action"] for a in recover(reopened, discard=True)] == ["discarded"]
        assert reopened.info()["counts"]["clips"] == 0
    assert not target.exists()


def test_recover_drops_an_entry_whose_file_was_replaced(ledger, tmp_path):
    target = tmp_path / "clip.wav"
    crash(ledger, target, "renamed")
    target.write_bytes(b"someone else's file")
    with Ledger(ledger.path) as reopened:
        assert [a["action"] for a in recover(reopened)] == ["dropped"]
        assert reopened.info()["counts"]["clips"] == 0
    assert target.read_bytes() == b"someone else's file"


def clean(ledger, folder, target):
    assert not target.exists()
    assert ledger.info()["counts"]["clips"] == 0 and ledger.pending_writes() == []
    assert list(folder.glob(".*")) == []
    assert ledger.check().intact


def test_success_commits_file_and_row(ledger, tmp_path, tools):
    target = tmp_path / "ok.flac"
    with ledger.record_clip(target, text="hi", voice_id="alice", consent_id=ledger.consent_id,
                            model_versions={"vocoder": "v1"}) as pending:
        pending.write(tools.tone())
    row = ledger.clip(pending.row["clip_id"])
    assert row["audio_sha256"] == sha256_file(target) and row["payload"] == pending.payload
    assert row["duration_s"] == pytest.approx(0.1) and row["path"] == str(target)
    assert ledger.lookup(pending.payload, sha256_file(target)).match == "exact"


@pytest.mark.parametrize("step", ("staged", "ready", "inserted", "renamed"))
def test_failure_at_each_step_leaves_neither(ledger, tmp_path, tools, step):
    target = tmp_path / "clip.wav"

    def fail(name):
        if name == step:
            raise RuntimeError(f"injected failure at {name}")

    ledger._step_hook = fail
    with pytest.raises(RuntimeError, match="injected"):
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
    clean(ledger, tmp_path, target)


def test_exception_in_callers_block_leaves_neither(ledger, tmp_path, tools):
    target = tmp_path / "clip.wav"
    with pytest.raises(KeyError):
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
            raise KeyError("embedding failed")
    clean(ledger, tmp_path, target)


def test_failed_rename_and_failed_commit_leave_neither(ledger, tmp_path, tools, monkeypatch):
    target = tmp_path / "clip.wav"
    real_replace = os.replace

    def replace(src, dst):
        if str(dst) == str(target):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError, match="cannot move the finished clip"):
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
    clean(ledger, tmp_path, target)
    monkeypatch.setattr(os, "replace", real_replace)

    real_commit, calls = ledger._commit, []

    def commit():
        calls.append(1)
        if len(calls) == 3:  # A (payload + pending), B (ready), C (row, after the rename)
            ledger._rollback()
            raise OutputError("injected: disk full at commit")
        real_commit()

    ledger._commit = commit
    with pytest.raises(OutputError, match="disk full"):
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
    clean(ledger, tmp_path, target)


def test_refused_clip_spends_nothing(ledger, tmp_path):
    counter = "SELECT value FROM counters WHERE name = 'payload'"
    before = ledger._conn.execute(counter).fetchone()[0]
    with pytest.raises(InputError, match="cloned voice"):
        ledger.record_clip(tmp_path / "c.wav", text="x", voice_id="alice")
    with pytest.raises(InputError, match="no audio was written"):
        with ledger.record_clip(tmp_path / "c.wav", text="x", voice_id="narrator"):
            pass
    assert ledger._conn.execute(counter).fetchone()[0] == before + 1
    clean(ledger, tmp_path, tmp_path / "c.wav")


def test_consent_revoked_mid_write_is_refused(ledger, tmp_path, tools):
    target = tmp_path / "c.wav"
    with pytest.raises(InputError, match="revoked"):
        with ledger.record_clip(target, text="x", voice_id="alice",
                                consent_id=ledger.consent_id) as pending:
            pending.write(tools.tone())
            ledger.revoke_consent(ledger.consent_id)
    assert not target.exists() and ledger.info()["counts"]["clips"] == 0


def test_live_writer_is_skipped_and_forced_recovery_wins(ledger, tmp_path, tools):
    target = tmp_path / "c.wav"
    with pytest.raises(OutputError):  # its partial file was deleted, or its entry
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
            with Ledger(ledger.path) as other:
                assert [a["action"] for a in recover(other)] == ["skipped"]
                assert [a["action"] for a in recover(other, force=True)] == ["rolled-back"]
    clean(ledger, tmp_path, target)


def test_check_files_reports_missing_and_modified(ledger, tmp_path, tools):
    paths = [tmp_path / f"{n}.wav" for n in range(3)]
    for path in paths:
        with ledger.record_clip(path, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
    paths[0].unlink()
    with open(paths[1], "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x01\x02")
    files = check_files(ledger)
    assert files["ok"] == 1
    assert [m["path"] for m in files["missing"]] == [str(paths[0])]
    assert [m["path"] for m in files["modified"]] == [str(paths[1])]


def test_sqlite_rolled_back_the_uncommitted_row(ledger, tmp_path):
    """After a crash between insert and commit, the raw file holds no trace of the row."""
    crash(ledger, tmp_path / "clip.wav", "inserted")
    conn = sqlite3.connect(ledger.path)
    assert conn.execute("SELECT count(*) FROM clips").fetchone()[0] == 0
    assert conn.execute("SELECT stage FROM pending_writes").fetchone()[0] == "ready"


def test_commit_refused_when_pending_entry_vanished(ledger, tmp_path, tools):
    target = tmp_path / "c.wav"

    def steal(name):
        if name == "ready":
            conn = sqlite3.connect(ledger.path, isolation_level=None)
            conn.execute("DELETE FROM pending_writes")
            conn.close()

    ledger._step_hook = steal
    with pytest.raises(OutputError, match="removed by a recovery"):
        with ledger.record_clip(target, text="x", voice_id="narrator") as pending:
            pending.write(tools.tone())
    clean(ledger, tmp_path, target)
