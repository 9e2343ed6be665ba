"""The hash chain catches rows edited, deleted, inserted or reordered in the SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from watermark.ledger import chain
from watermark.ledger.store import ClipChunk, Ledger


@pytest.fixture
def filled(ledger, tools):
    tools.add_clips(ledger, 4)
    ledger.add_clip(audio_sha256="f" * 64, duration_s=3.0, voice_id="narrator", payload=9,
                    text="long form", chunks=[ClipChunk.from_text(0, 1.5, "one", "narrator"),
                                              ClipChunk.from_text(1.5, 3.0, "two", "narrator")])
    assert ledger.check().intact
    ledger.close()
    return ledger.path


def problems(path):
    with Ledger(path, read_only=True) as ledger:
        report = ledger.check()
    return {problem["kind"] for problem in report.problems}, report


def test_untouched_ledger_is_intact(filled):
    kinds, report = problems(filled)
    assert kinds == set() and report.rows == 8 and report.head_seq == 8


def test_append_only_triggers_block_plain_edits(filled):
    conn = sqlite3.connect(filled)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE clips SET duration_s = 99")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM voices")


def test_edited_field_is_caught(filled, tools):
    tools.raw(filled).execute("UPDATE clips SET voice_id = 'alice' WHERE seq = 5")
    kinds, report = problems(filled)
    assert kinds == {"edited"}
    assert [p["seq"] for p in report.problems] == [5]
    assert any("triggers were removed" in w for w in report.warnings)


def test_edit_of_a_type_only_is_caught(filled, tools):
    tools.raw(filled).execute("UPDATE clips SET audio_sha256 = CAST(audio_sha256 AS BLOB) WHERE seq = 4")
    assert problems(filled)[0] == {"edited"}


def test_deleted_row_is_caught(filled, tools):
    tools.raw(filled).execute("DELETE FROM clips WHERE seq = 5")
    kinds, report = problems(filled)
    assert "deleted" in kinds and "broken-link" in kinds
    assert report.problems[0]["seq"] == 6


def test_deleted_last_row_is_caught_by_the_head(filled, tools):
    tools.raw(filled).execute("DELETE FROM clips WHERE seq = 7")
    tools.raw(filled).execute("DELETE FROM clips WHERE seq = 8")
    assert problems(filled)[0] == {"head", "orphan-chunks"}


def test_reordered_rows_are_caught(filled, tools):
    conn = tools.raw(filled)
    conn.execute("UPDATE clips SET seq = -1 WHERE seq = 5")
    conn.execute("UPDATE clips SET seq = 5 WHERE seq = 6")
    conn.execute("UPDATE clips SET seq = 6 WHERE seq = -1")
    kinds, _ = problems(filled)
    assert {"edited", "broken-link"} <= kinds


def test_inserted_row_is_caught_even_with_a_valid_own_hash(filled, tools):
    conn = tools.raw(filled)
    conn.row_factory = sqlite3.Row
    voice = dict(conn.execute("SELECT * FROM voices WHERE seq = 1").fetchone())
    before = conn.execute("SELECT row_hash FROM clips WHERE seq = 5").fetchone()[0]
    forged = {**voice, "voice_id": "forged", "seq": 6, "prev_hash": before}
    forged["row_hash"] = chain.row_hash("voices", forged)  # self-consistent, claims seq 6
    conn.execute(f"INSERT INTO voices ({', '.join(forged)}) VALUES "
                 f"({', '.join('?' for _ in forged)})", tuple(forged.values()))
    kinds, report = problems(filled)
    assert "inserted" in kinds
    assert any(p.get("id") == "forged" for p in report.problems)


def test_inserted_row_between_is_caught(filled, tools):
    conn = tools.raw(filled)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM voices WHERE seq = 1").fetchone())
    conn.execute("UPDATE chain_head SET seq = seq + 1")
    for seq in range(8, 1, -1):  # make room at seq 2 by shifting everything up
        for table in ("voices", "consents", "clips"):
            conn.execute(f"UPDATE {table} SET seq = ? WHERE seq = ?", (seq + 1, seq))
    forged = {**row, "voice_id": "ghost", "seq": 2, "prev_hash": row["row_hash"]}
    forged["row_hash"] = chain.row_hash("voices", forged)
    conn.execute(f"INSERT INTO voices ({', '.join(forged)}) VALUES "
                 f"({', '.join('?' for _ in forged)})", tuple(forged.values()))
    kinds, report = problems(filled)
    assert "edited" in kinds or "broken-link" in kinds
    assert all(p.get("seq") != 2 for p in report.problems if p["kind"] != "head")


def test_chunk_edit_and_orphan_chunk_are_caught(filled, tools):
    conn = tools.raw(filled)
    conn.execute("UPDATE clip_chunks SET end_s = 2.9 WHERE idx = 1")
    assert problems(filled)[0] == {"edited"}
    conn.execute("UPDATE clip_chunks SET end_s = 3.0 WHERE idx = 1")
    assert problems(filled)[0] == set()
    conn.execute("INSERT INTO clip_chunks VALUES ('nobody', 0, 0, 1, 'x', 'narrator', NULL, NULL)")
    assert problems(filled)[0] == {"orphan-chunks"}


def test_consent_revocation_cannot_be_erased(ledger, tools):
    ledger.revoke_consent(ledger.consent_id, "withdrawn")
    ledger.close()
    tools.raw(ledger.path).execute("DELETE FROM consent_events")
    assert problems(ledger.path)[0] == {"head"}
