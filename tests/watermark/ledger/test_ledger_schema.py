"""Creating, migrating and refusing ledger files."""

from __future__ import annotations

import sqlite3

import pytest

from tts_moe.errors import InputError, OutputError
from watermark.ledger import chain, schema
from watermark.ledger.paths import default_ledger_path, resolve_ledger_path
from watermark.ledger.store import Ledger


def test_new_ledger_has_current_schema_in_wal_mode(ledger_path):
    with Ledger(ledger_path) as ledger:
        info = ledger.info()
    assert info["schema_version"] == schema.SCHEMA_VERSION == 2
    conn = sqlite3.connect(ledger_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"voices", "consents", "consent_events", "clips", "clip_chunks", "pending_writes",
            "chain_head", "counters", "ledger_info"} <= tables


def test_reopening_keeps_identity(ledger_path):
    with Ledger(ledger_path) as first:
        ledger_id, offset = first.ledger_id, first.payload_offset
    with Ledger(ledger_path) as second:
        assert (second.ledger_id, second.payload_offset) == (ledger_id, offset)


V1_BY_HAND = """
CREATE TABLE ledger_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
                         row_hash TEXT NOT NULL);
CREATE TABLE voices (seq INTEGER NOT NULL UNIQUE, voice_id TEXT PRIMARY KEY, kind TEXT NOT NULL,
    name TEXT, created_at TEXT NOT NULL, details TEXT, prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL);
CREATE TABLE consents (seq INTEGER NOT NULL UNIQUE, consent_id TEXT PRIMARY KEY,
    voice_id TEXT NOT NULL, subject TEXT NOT NULL, granted_at TEXT NOT NULL, expires_at TEXT,
    scope TEXT, evidence_sha256 TEXT, details TEXT, created_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL);
CREATE TABLE consent_events (seq INTEGER NOT NULL UNIQUE, event_id TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, expires_at TEXT, reason TEXT,
    prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL);
CREATE TABLE clips (seq INTEGER NOT NULL UNIQUE, clip_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL, audio_sha256 TEXT NOT NULL, duration_s REAL NOT NULL,
    sample_rate INTEGER, text_sha256 TEXT NOT NULL, text TEXT, voice_id TEXT NOT NULL,
    consent_id TEXT, style TEXT, payload INTEGER NOT NULL, model_versions TEXT NOT NULL,
    toolkit_version TEXT NOT NULL, prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL);
"""


def make_v1(path):
    """A version-1 ledger written by hand, with one voice and one clip chained."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_BY_HAND)
    conn.executemany("INSERT INTO ledger_info VALUES (?, ?)",
                     [("ledger_id", "v1ledger"), ("created_at", "2026-01-01T00:00:00.000000Z"),
                      ("payload_offset", "100")])
    conn.execute("INSERT INTO counters VALUES ('payload', 1)")
    voice = {"seq": 1, "voice_id": "old", "kind": "builtin", "name": None,
             "created_at": "2026-01-01T00:00:00.000000Z", "details": None,
             "prev_hash": schema.GENESIS_HASH}
    voice["row_hash"] = chain.row_hash("voices", voice)
    clip = {"seq": 2, "clip_id": "c1", "created_at": "2026-01-01T00:00:01.000000Z",
            "audio_sha256": "a" * 64, "duration_s": 2.5, "sample_rate": 16000,
            "text_sha256": "b" * 64, "text": None, "voice_id": "old", "consent_id": None,
            "style": None, "payload": 101, "model_versions": "{}", "toolkit_version": "0.0.1",
            "prev_hash": voice["row_hash"]}
    clip["row_hash"] = chain.row_hash("clips", clip)
    for table, row in (("voices", voice), ("clips", clip)):
        conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                     f"({', '.join('?' for _ in row)})", tuple(row.values()))
    conn.execute("INSERT INTO chain_head VALUES (1, 2, ?)", (clip["row_hash"],))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_migration_from_v1_keeps_rows_and_chain(ledger_path):
    make_v1(ledger_path)
    with pytest.raises(InputError, match="older schema version 1"):
        Ledger(ledger_path, read_only=True)
    with Ledger(ledger_path) as ledger:
        assert ledger.info()["schema_version"] == 2
        assert ledger.ledger_id == "v1ledger"
        assert ledger.check().intact
        old = ledger.clip("c1")
        assert old["path"] is None and old["chunks"] == []
        assert ledger.allocate_payload() == 1 + (100 + 1) % schema.PAYLOAD_CYCLE
        ledger.add_clip(audio_sha256="c" * 64, duration_s=1.0, voice_id="old", payload=7,
                        text="new clip", path="/x.wav")
        report = ledger.check()
    assert report.intact and report.rows == 3 and report.warnings == []


def test_newer_schema_is_refused_clearly(ledger_path):
    Ledger(ledger_path).close()
    conn = sqlite3.connect(ledger_path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    for read_only in (False, True):
        with pytest.raises(InputError, match="schema version 99.*upgrade tts-moe"):
            Ledger(ledger_path, read_only=read_only)


def test_corrupt_file_is_an_input_error(ledger_path):
    ledger_path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(InputError, match="not a readable tts-moe ledger"):
        Ledger(ledger_path)
    with pytest.raises(InputError, match="not a readable tts-moe ledger"):
        Ledger(ledger_path, read_only=True)


def test_foreign_sqlite_database_is_refused(ledger_path):
    conn = sqlite3.connect(ledger_path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="not a tts-moe ledger"):
        Ledger(ledger_path)


def test_unwritable_locations_are_output_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create the ledger folder"):
        Ledger(blocker / "sub" / "ledger.sqlite3")
    with pytest.raises(OutputError, match="read-only or missing"):
        Ledger("/proc/tts-moe-ledger.sqlite3")


def test_missing_ledger_read_only_and_folder_path(tmp_path):
    with pytest.raises(InputError, match="no ledger at"):
        Ledger(tmp_path / "absent.sqlite3", read_only=True)
    with pytest.raises(InputError, match="is a folder"):
        Ledger(tmp_path)


def test_read_only_ledger_refuses_writes(ledger_path):
    Ledger(ledger_path).close()
    with Ledger(ledger_path, read_only=True) as ledger:
        with pytest.raises(InputError, match="read-only"):
            ledger.add_voice("x", "builtin")


def test_default_path_follows_env_and_xdg(tmp_path, monkeypatch):
    assert default_ledger_path({"TTS_MOE_LEDGER": "/a/b.sqlite3"}).as_posix() == "/a/b.sqlite3"
    assert default_ledger_path({"XDG_DATA_HOME": "/data"}).as_posix() == \
        "/data/tts-moe/ledger.sqlite3"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_ledger_path({"XDG_DATA_HOME": "relative"}) == \
        tmp_path / ".local/share/tts-moe/ledger.sqlite3"
    monkeypatch.setenv("TTS_MOE_LEDGER", str(tmp_path / "env.sqlite3"))
    assert resolve_ledger_path(None) == tmp_path / "env.sqlite3"
    assert resolve_ledger_path(tmp_path / "flag.sqlite3") == tmp_path / "flag.sqlite3"


def test_damaged_ledger_tables_are_input_errors(ledger_path):
    Ledger(ledger_path).close()
    conn = sqlite3.connect(ledger_path)
    conn.execute("DROP TABLE ledger_info")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="damaged"):
        Ledger(ledger_path, read_only=True)
