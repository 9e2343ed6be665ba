"""The ledger's SQLite layout and its migrations.

The schema version lives in ``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a ledger from
version ``i`` to ``i + 1``. Opening a ledger whose version is newer than ``SCHEMA_VERSION``
fails with a clear :class:`InputError` (older code never guesses at a newer layout).
``PRAGMA application_id`` marks the file as a tts-moe ledger, so a foreign SQLite database is
refused instead of being written into.

Version 1 is the minimal layout (voices, consents and their events, clips, the chain head,
the payload counter). Version 2 adds the long-form detail (``clip_chunks``), the output path of
each clip, the crash journal (``pending_writes``) and append-only triggers. It is a separate step
so the migration path is exercised from the first release.

Tables (``*`` = part of the hash chain, see :mod:`watermark.ledger.chain`):

* ``ledger_info(key, value)``: ``ledger_id``, ``created_at``, ``payload_offset``.
* ``counters(name, value)``: ``payload`` = number of payloads allocated so far.
* ``chain_head(id=1, seq, row_hash)``: the newest chained row (catches deleted tail rows).
* ``voices*(seq, voice_id, kind, name, created_at, details, prev_hash, row_hash)``.
* ``consents*(seq, consent_id, voice_id, subject, granted_at, expires_at, scope,
  evidence_sha256, details, created_at, prev_hash, row_hash)``.
* ``consent_events*(seq, event_id, consent_id, kind, at, expires_at, reason, prev_hash,
  row_hash)``: ``kind`` is ``revoke`` or ``set_expiry``; consent rows are never changed.
* ``clips*(seq, clip_id, created_at, audio_sha256, duration_s, sample_rate, text_sha256, text,
  voice_id, consent_id, style, payload, model_versions, toolkit_version, path, prev_hash,
  row_hash)``.
* ``clip_chunks(clip_id, idx, start_s, end_s, text_sha256, voice_id, consent_id, style)``:
  hashed as part of their clip's row.
* ``pending_writes(clip_id, payload, target, staging, pid, host, stage, started_at,
  row_json)``: two-phase clip writes in flight (see :mod:`watermark.ledger.pending`).
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from tts_moe.errors import InputError

GENESIS_HASH = "0" * 64  # the prev_hash of the first chained row
PAYLOAD_CYCLE = 65_534  # payload values 1..65534 (0x0000 and 0xFFFF are never issued)


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (the ledger's time format)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

APPLICATION_ID = 0x54544D4C  # "TTML": tts-moe ledger
CHAINED_TABLES = ("voices", "consents", "consent_events", "clips")
KEY_COLUMNS = {
    "voices": "voice_id",
    "consents": "consent_id",
    "consent_events": "event_id",
    "clips": "clip_id",
}

_V1 = """
CREATE TABLE ledger_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TABLE voices (
    seq INTEGER NOT NULL UNIQUE,
    voice_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    details TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TABLE consents (
    seq INTEGER NOT NULL UNIQUE,
    consent_id TEXT PRIMARY KEY,
    voice_id TEXT NOT NULL REFERENCES voices (voice_id),
    subject TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    expires_at TEXT,
    scope TEXT,
    evidence_sha256 TEXT,
    details TEXT,
    created_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TABLE consent_events (
    seq INTEGER NOT NULL UNIQUE,
    event_id TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL REFERENCES consents (consent_id),
    kind TEXT NOT NULL CHECK (kind IN ('revoke', 'set_expiry')),
    at TEXT NOT NULL,
    expires_at TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TABLE clips (
    seq INTEGER NOT NULL UNIQUE,
    clip_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    audio_sha256 TEXT NOT NULL,
    duration_s REAL NOT NULL,
    sample_rate INTEGER,
    text_sha256 TEXT NOT NULL,
    text TEXT,
    voice_id TEXT NOT NULL REFERENCES voices (voice_id),
    consent_id TEXT REFERENCES consents (consent_id),
    style TEXT,
    payload INTEGER NOT NULL CHECK (payload BETWEEN 0 AND 65535),
    model_versions TEXT NOT NULL,
    toolkit_version TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX clips_by_payload ON clips (payload);
CREATE INDEX clips_by_audio ON clips (audio_sha256);
CREATE INDEX consent_events_by_consent ON consent_events (consent_id);
"""

_APPEND_ONLY_TRIGGERS = "".join(
    f"""
CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table}
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {table} rows cannot be {verb}'); END;
"""
    for table in (*CHAINED_TABLES, "clip_chunks")
    for action, verb in (("update", "changed"), ("delete", "deleted"))
)

_V2 = """
ALTER TABLE clips ADD COLUMN path TEXT;
CREATE TABLE clip_chunks (
    clip_id TEXT NOT NULL REFERENCES clips (clip_id),
    idx INTEGER NOT NULL,
    start_s REAL NOT NULL,
    end_s REAL NOT NULL,
    text_sha256 TEXT NOT NULL,
    voice_id TEXT NOT NULL,
    consent_id TEXT,
    style TEXT,
    PRIMARY KEY (clip_id, idx)
);
CREATE TABLE pending_writes (
    clip_id TEXT PRIMARY KEY,
    payload INTEGER NOT NULL,
    target TEXT NOT NULL,
    staging TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('writing', 'ready')),
    started_at TEXT NOT NULL,
    row_json TEXT
);
""" + _APPEND_ONLY_TRIGGERS

TRIGGER_NAMES = tuple(
    f"{table}_no_{action}" for table in (*CHAINED_TABLES, "clip_chunks")
    for action in ("update", "delete")
)


def _run_script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def migrate(conn: sqlite3.Connection) -> None:
        for statement in _split_sql(sql):
            conn.execute(statement)

    return migrate


def _split_sql(sql: str) -> list[str]:
    """Split a script into statements (trigger bodies contain ``;`` so split on ``END;``)."""
    statements: list[str] = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


def _migrate_v1(conn: sqlite3.Connection) -> None:
    _run_script(_V1)(conn)
    now = utc_now()
    conn.executemany(
        "INSERT INTO ledger_info (key, value) VALUES (?, ?)",
        [
            ("ledger_id", uuid.uuid4().hex),
            ("created_at", now),
            ("payload_offset", str(secrets.randbelow(PAYLOAD_CYCLE))),
        ],
    )
    conn.execute("INSERT INTO counters (name, value) VALUES ('payload', 0)")
    conn.execute("INSERT INTO chain_head (id, seq, row_hash) VALUES (1, 0, ?)", (GENESIS_HASH,))


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_v1,  # 0 -> 1
    _run_script(_V2),  # 1 -> 2
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The ``user_version`` of the open ledger (0 for a fresh file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_identity(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a SQLite file that is not a tts-moe ledger, or one newer than this code."""
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and (app_id != 0 or tables):
        raise InputError(
            f"{path} is a SQLite database but not a tts-moe ledger (application_id "
            f"{app_id:#x}); point --ledger / TTS_MOE_LEDGER at a ledger file or a new path"
        )
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise InputError(
            f"ledger {path} has schema version {version}, but this tts-moe only understands "
            f"versions up to {SCHEMA_VERSION}; upgrade tts-moe to read or write it"
        )


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the ledger to ``SCHEMA_VERSION`` in one ``BEGIN IMMEDIATE`` transaction.

    Safe against several processes opening the same new ledger at once: the version is
    re-read after the write lock is taken. Returns the version the file had before.
    """
    check_identity(conn, path)
    if schema_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        check_identity(conn, path)
        before = schema_version(conn)
        for step in MIGRATIONS[before:]:
            step(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return before
