"""The ledger's hash chain: canonical row serialisation, row hashes and chain verification.

Every row of ``voices``, ``consents``, ``consent_events`` and ``clips`` carries a global
sequence number ``seq`` (1, 2, 3, ... across all four tables), the ``row_hash`` of the row
with ``seq - 1`` in ``prev_hash`` (``GENESIS_HASH`` for the first) and its own ``row_hash``:

    row_hash = sha256(canonical JSON of {"table": TABLE, "row": {every column but row_hash}})

The canonical JSON has sorted keys, no whitespace, UTF-8, and omits NULL columns (so a
migration that adds a nullable column leaves existing hashes valid). A clip's row also
contains ``"chunks"``: its ``clip_chunks`` rows ordered by ``idx`` (omitted when it has none),
so chunk detail is covered by its clip's hash. ``chain_head`` holds the newest ``seq`` and
hash, which catches rows deleted from the end.

What :func:`verify_chain` catches: an edited field (hash mismatch), a deleted row (gap in
``seq`` and a broken link), an inserted row (duplicate ``seq`` or a broken link), reordered
rows (``seq`` is hashed, so swapping sequence numbers or contents breaks hashes/links),
edited/added/removed chunks, and deleted tail rows (head mismatch). What it cannot catch:
someone who rewrites every hash after their edit (and the head). Anchor the head hash
outside the ledger (``tts-moe ledger check --json`` prints it) to detect that.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from watermark.ledger.schema import (
    CHAINED_TABLES,
    GENESIS_HASH,
    KEY_COLUMNS,
    TRIGGER_NAMES,
)

CHUNK_COLUMNS = (
    "idx", "start_s", "end_s", "text_sha256", "voice_id", "consent_id", "style",
)


def canonical_bytes(table: str, row: dict[str, Any]) -> bytes:
    """The bytes hashed for ``row`` of ``table`` (``row_hash`` excluded, NULLs omitted)."""
    body = {key: _clean(value) for key, value in row.items()
            if key != "row_hash" and value is not None}
    return json.dumps(
        {"table": table, "row": body}, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False, allow_nan=False,
    ).encode("utf-8")


def _clean(value: Any) -> Any:
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, bytes):
        return {"hex": value.hex()}  # a BLOB typed into a field is still hashed, not crashed on
    return value


def row_hash(table: str, row: dict[str, Any]) -> str:
    """SHA-256 hex of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(table, row)).hexdigest()


def chunk_dicts(conn: sqlite3.Connection, clip_id: str) -> list[dict[str, Any]]:
    """The chunk rows of one clip as hashed (ordered by ``idx``)."""
    cursor = conn.execute(
        f"SELECT {', '.join(CHUNK_COLUMNS)} FROM clip_chunks WHERE clip_id = ? ORDER BY idx",
        (clip_id,),
    )
    return [dict(zip(CHUNK_COLUMNS, values)) for values in cursor]


def hashed_row(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as it is hashed: clips gain their ``chunks`` list."""
    if table != "clips":
        return row
    chunks = chunk_dicts(conn, row["clip_id"])
    return {**row, "chunks": chunks} if chunks else row


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def chained_rows(conn: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    """Every chained row as ``(table, row)``, ordered by ``seq`` (then table, for ties)."""
    rows: list[tuple[str, dict[str, Any]]] = []
    chunks = has_table(conn, "clip_chunks")
    for table in CHAINED_TABLES:
        cursor = conn.execute(f"SELECT * FROM {table}")
        names = [description[0] for description in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            rows.append((table, hashed_row(conn, table, row) if chunks else row))
    rows.sort(key=lambda item: (_sort_key(item[1].get("seq")), item[0]))
    return rows


def _sort_key(seq: Any) -> tuple[int, Any]:
    return (0, seq) if isinstance(seq, int) else (1, str(seq))


@dataclass
class ChainReport:
    """Outcome of :func:`verify_chain`; ``intact`` is False when ``problems`` is non-empty."""

    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact, "rows": self.rows, "head_seq": self.head_seq,
            "head_hash": self.head_hash, "problems": self.problems, "warnings": self.warnings,
        }


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Recompute every link and hash; describe each inconsistency found."""
    rows = chained_rows(conn)
    report = ChainReport(rows=len(rows))
    problem = report.problems.append
    expected_seq, prev = 1, GENESIS_HASH
    for table, row in rows:
        seq, key = row.get("seq"), row.get(KEY_COLUMNS[table])
        where = {"seq": seq, "table": table, "id": key}
        if not isinstance(seq, int):
            problem({**where, "kind": "edited", "detail": f"seq {seq!r} is not an integer"})
            continue
        if seq < expected_seq:
            problem({**where, "kind": "inserted",
                     "detail": f"a second row claims seq {seq} (row inserted or reordered)"})
        elif seq > expected_seq:
            problem({**where, "kind": "deleted",
                     "detail": f"rows with seq {expected_seq}..{seq - 1} are missing"})
        if row.get("prev_hash") != prev:
            problem({**where, "kind": "broken-link",
                     "detail": "prev_hash does not match the previous row (a row before it "
                               "was edited, deleted, inserted or moved)"})
        if row_hash(table, row) != row.get("row_hash"):
            problem({**where, "kind": "edited",
                     "detail": "contents do not match row_hash (a field, its chunks or its "
                               "position was changed)"})
        expected_seq, prev = max(expected_seq, seq + 1), row.get("row_hash")
    report.head_seq = expected_seq - 1
    report.head_hash = prev if rows else GENESIS_HASH
    _check_head(conn, report)
    _check_orphan_chunks(conn, report)
    _check_triggers(conn, report)
    return report


def _check_head(conn: sqlite3.Connection, report: ChainReport) -> None:
    head = conn.execute("SELECT seq, row_hash FROM chain_head WHERE id = 1").fetchone()
    if head is None:
        report.problems.append({"kind": "head", "detail": "the chain_head row is missing"})
    elif (head[0], head[1]) != (report.head_seq, report.head_hash):
        report.problems.append({
            "kind": "head", "seq": head[0],
            "detail": f"chain_head records seq {head[0]} but the last row is seq "
                      f"{report.head_seq}: rows at the end were deleted (or the head edited)",
        })


def _check_orphan_chunks(conn: sqlite3.Connection, report: ChainReport) -> None:
    if not has_table(conn, "clip_chunks"):
        return
    orphans = conn.execute(
        "SELECT DISTINCT clip_id FROM clip_chunks WHERE clip_id NOT IN (SELECT clip_id FROM clips)"
    ).fetchall()
    for (clip_id,) in orphans:
        report.problems.append({"kind": "orphan-chunks", "table": "clip_chunks", "id": clip_id,
                                "detail": "chunk rows belong to no clip (their clip row was "
                                          "deleted, or they were inserted)"})


def _check_triggers(conn: sqlite3.Connection, report: ChainReport) -> None:
    if not has_table(conn, "clip_chunks"):
        return  # a version-1 ledger has no triggers yet
    present = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = [name for name in TRIGGER_NAMES if name not in present]
    if missing:
        report.warnings.append(
            f"append-only triggers were removed ({', '.join(missing)}): someone altered the "
            "schema by hand")
