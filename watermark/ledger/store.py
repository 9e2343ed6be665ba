"""The provenance ledger: an append-only, hash-chained SQLite file (WAL mode).

>>> with Ledger("ledger.sqlite3") as ledger:
...     ledger.add_voice("alice", "cloned", name="Alice")
...     consent = ledger.add_consent("alice", "Alice Example", expires_at="2027-01-01")
...     with ledger.record_clip("out.wav", text=script, voice_id="alice",
...                             consent_id=consent["consent_id"]) as pending:
...         pending.write(watermark.embed(audio, pending.payload))  # audio: (time,) float32
...     result = ledger.lookup(detected_payload, audio_sha256=sha256_file("out.wav"))

Every write is one ``BEGIN IMMEDIATE`` transaction (busy timeout ``busy_timeout`` seconds):
the chain head is read and the new row written under SQLite's write lock, so concurrent
writers (several processes) serialise and lose nothing. Rows are returned as plain dicts
with the stored column values. Times are UTC strings ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tts_moe import __version__ as TOOLKIT_VERSION
from tts_moe.errors import InputError, OutputError
from watermark.ledger import chain, schema
from watermark.ledger.consent import VOICE_KINDS, VoiceConsentMixin
from watermark.ledger.paths import resolve_ledger_path
from watermark.ledger.payload import (
    LookupResult,
    check_payload,
    payload_for,
    rank_candidates,
)
from watermark.ledger.records import ClipChunk, sha256_file, sha256_text

if TYPE_CHECKING:
    from watermark.ledger.pending import PendingClip

__all__ = ["VOICE_KINDS", "ClipChunk", "Ledger", "sha256_file", "sha256_text"]


class Ledger(VoiceConsentMixin):
    """One ledger file. Use as a context manager, or call :meth:`close`. A ``Ledger`` object
    belongs to the thread that opened it; other threads or processes open their own (cheap).

    ``read_only=True`` never creates or migrates anything (for check/show/export/lookup);
    otherwise a missing file (and its folder) is created at the current schema version and
    an older schema is migrated. Bad files raise :class:`InputError`, unwritable places
    :class:`OutputError`.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 busy_timeout: float = 30.0) -> None:
        self.path = resolve_ledger_path(path)
        self.read_only = read_only
        self._step_hook = None  # tests: called with a step name at each two-phase step
        self._conn = self._connect(busy_timeout)
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise
        try:
            info = dict(self._conn.execute("SELECT key, value FROM ledger_info"))
            self.ledger_id = info["ledger_id"]
            self.payload_offset = int(info["payload_offset"])
        except (sqlite3.Error, KeyError, ValueError) as error:
            self._conn.close()
            raise InputError(f"ledger {self.path} is damaged: its ledger_info table is missing "
                             f"or edited ({error})") from None

    # ------------------------------------------------------------------------- opening
    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        if self.path.is_dir():
            raise InputError(f"ledger path {self.path} is a folder; give a file path")
        if self.read_only:
            if not self.path.exists():
                raise InputError(
                    f"no ledger at {self.path}: create one with `tts-moe ledger init` (or "
                    f"synthesise a clip), or point --ledger / TTS_MOE_LEDGER at it")
            target = f"{self.path.resolve().as_uri()}?mode=ro"
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise OutputError(
                    f"cannot create the ledger folder {self.path.parent}: "
                    f"{error.strerror or error}; pass --ledger PATH to a writable place"
                ) from None
            target = str(self.path)
        try:
            conn = sqlite3.connect(target, uri=self.read_only, timeout=busy_timeout,
                                   isolation_level=None)
        except sqlite3.Error as error:
            raise self._open_error(error) from None
        return conn

    def _prepare(self) -> None:
        conn = self._conn
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            schema.check_identity(conn, str(self.path))
            if self.read_only:
                version = schema.schema_version(conn)
                if version < schema.SCHEMA_VERSION:
                    raise InputError(
                        f"ledger {self.path} has the older schema version {version}; open it "
                        f"once for writing to migrate it (tts-moe ledger init --ledger "
                        f"{self.path})")
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise OutputError(f"cannot switch ledger {self.path} to WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            schema.migrate(conn, str(self.path))
        except sqlite3.Error as error:
            raise self._open_error(error) from None

    def _open_error(self, error: sqlite3.Error) -> Exception:
        text = str(error)
        if "not a database" in text or "malformed" in text or "file is encrypted" in text:
            return InputError(
                f"{self.path} is not a readable tts-moe ledger (corrupt or not SQLite: "
                f"{text}); move it aside or point --ledger / TTS_MOE_LEDGER elsewhere")
        if "readonly" in text or "unable to open" in text or "disk I/O" in text:
            return OutputError(
                f"cannot open the ledger {self.path} for writing ({text}): the location is "
                f"read-only or missing; pass --ledger PATH to a writable place")
        return OutputError(f"ledger {self.path}: {text}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- plumbing
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        if self.read_only:
            raise InputError(f"ledger {self.path} was opened read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._write_error(error) from None
        try:
            yield self._conn
        except BaseException:
            self._rollback()
            raise
        self._commit()

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            self._rollback()
            raise self._write_error(error) from None

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _write_error(self, error: sqlite3.Error) -> OutputError:
        text = str(error)
        if "locked" in text or "busy" in text:
            return OutputError(f"ledger {self.path} stayed locked by another writer ({text})")
        return OutputError(f"cannot write to the ledger {self.path}: {text}")

    def _step(self, name: str) -> None:
        if self._step_hook is not None:
            self._step_hook(name)

    def _append(self, table: str, row: dict[str, Any],
                chunks: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
        """Chain and insert ``row`` (inside an open transaction); returns the stored row."""
        conn = self._conn
        seq, prev = conn.execute("SELECT seq, row_hash FROM chain_head WHERE id = 1").fetchone()
        row = {"seq": seq + 1, **row, "prev_hash": prev}
        hashed = {**row, "chunks": list(chunks)} if chunks else row
        row["row_hash"] = chain.row_hash(table, hashed)
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))
        for chunk in chunks:
            conn.execute(
                f"INSERT INTO clip_chunks (clip_id, {', '.join(chain.CHUNK_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' for _ in chain.CHUNK_COLUMNS)})",
                (row["clip_id"], *(chunk[name] for name in chain.CHUNK_COLUMNS)),
            )
        conn.execute("UPDATE chain_head SET seq = ?, row_hash = ? WHERE id = 1",
                     (row["seq"], row["row_hash"]))
        return row

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        cursor = self._conn.execute(sql, params)
        values = cursor.fetchone()
        return None if values is None else dict(zip([d[0] for d in cursor.description], values))

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values)) for values in cursor]

    # ----------------------------------------------------------------------------- clips
    def allocate_payload(self) -> int:
        """Issue the next 16-bit payload (see :mod:`watermark.ledger.payload`)."""
        with self.transaction():
            return self.next_payload()

    def next_payload(self) -> int:
        """Allocate a payload inside an open :meth:`transaction`."""
        (count,) = self._conn.execute(
            "UPDATE counters SET value = value + 1 WHERE name = 'payload' "
            "RETURNING value - 1").fetchone()
        return payload_for(self.payload_offset, count)

    def add_clip(self, *, audio_sha256: str, duration_s: float, voice_id: str, payload: int,
                 text: str | None = None, text_sha256: str | None = None,
                 consent_id: str | None = None, store_text: bool = False,
                 sample_rate: int | None = None, style: str | None = None,
                 model_versions: dict[str, str] | None = None,
                 chunks: Sequence[ClipChunk] = (), path: str | None = None,
                 clip_id: str | None = None) -> dict[str, Any]:
        """Record a clip that is not written through :meth:`record_clip` (e.g. audio served
        from memory). Validates the voice/consent of the clip and of every chunk."""
        row, chunk_rows = self.build_clip_row(
            audio_sha256=audio_sha256, duration_s=duration_s, voice_id=voice_id,
            payload=payload, text=text, text_sha256=text_sha256, consent_id=consent_id,
            store_text=store_text, sample_rate=sample_rate, style=style,
            model_versions=model_versions, chunks=chunks, path=path, clip_id=clip_id)
        with self.transaction():
            return self.insert_clip(row, chunk_rows)

    def build_clip_row(self, *, audio_sha256: str, duration_s: float, voice_id: str,
                       payload: int, text: str | None, text_sha256: str | None,
                       consent_id: str | None, store_text: bool, sample_rate: int | None,
                       style: str | None, model_versions: dict[str, str] | None,
                       chunks: Sequence[ClipChunk], path: str | None,
                       clip_id: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validate and normalise a clip's fields; returns ``(row, chunk rows)``."""
        try:
            payload = check_payload(payload)
        except ValueError as error:
            raise InputError(str(error)) from None
        if text is None and text_sha256 is None:
            raise InputError("a clip needs its text (or the text's SHA-256)")
        if store_text and text is None:
            raise InputError("store_text=True needs the text itself")
        duration = float(duration_s)
        if not math.isfinite(duration) or duration < 0:
            raise InputError(f"clip duration must be a finite number >= 0, got {duration_s}")
        now = schema.utc_now()
        self._check_voice_consent(voice_id, consent_id, now, "clip")
        chunk_rows = []
        for idx, chunk in enumerate(chunks):
            start, end = float(chunk.start_s), float(chunk.end_s)
            if not (math.isfinite(start) and math.isfinite(end) and 0 <= start <= end):
                raise InputError(f"chunk {idx}: bad span {chunk.start_s}..{chunk.end_s} s")
            chunk_consent = chunk.consent_id
            if chunk_consent is None and chunk.voice_id == voice_id:
                chunk_consent = consent_id
            self._check_voice_consent(chunk.voice_id, chunk_consent, now, f"chunk {idx}")
            chunk_rows.append({
                "idx": idx, "start_s": start, "end_s": end, "text_sha256": chunk.text_sha256,
                "voice_id": chunk.voice_id, "consent_id": chunk_consent, "style": chunk.style,
            })
        row = {
            "clip_id": clip_id or uuid.uuid4().hex, "created_at": now,
            "audio_sha256": str(audio_sha256).lower(), "duration_s": duration,
            "sample_rate": None if sample_rate is None else int(sample_rate),
            "text_sha256": text_sha256 or sha256_text(text or ""),
            "text": text if store_text else None, "voice_id": voice_id,
            "consent_id": consent_id, "style": style, "payload": payload,
            "model_versions": json.dumps(model_versions or {}, sort_keys=True),
            "toolkit_version": TOOLKIT_VERSION, "path": path,
        }
        return row, chunk_rows

    def insert_clip(self, row: dict[str, Any], chunk_rows: Sequence[dict[str, Any]]
                    ) -> dict[str, Any]:
        """Chain a built clip row (inside an open :meth:`transaction`)."""
        if self.clip(row["clip_id"], with_chunks=False) is not None:
            raise InputError(f"clip {row['clip_id']!r} is already in the ledger")
        return self._append("clips", dict(row), chunk_rows)

    def record_clip(self, path: str | os.PathLike, **kwargs: Any) -> "PendingClip":
        """Two-phase write of an audio file and its row; see :class:`PendingClip`."""
        from watermark.ledger.pending import PendingClip

        return PendingClip(self, Path(path), **kwargs)

    def clip(self, clip_id: str, *, with_chunks: bool = True) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM clips WHERE clip_id = ?", (clip_id,))
        if row is not None and with_chunks:
            row["chunks"] = chain.chunk_dicts(self._conn, clip_id)
        return row

    def last_clips(self, count: int) -> list[dict[str, Any]]:
        """The ``count`` newest clips, newest first, with their chunks."""
        rows = self._all("SELECT * FROM clips ORDER BY seq DESC LIMIT ?", (int(count),))
        for row in rows:
            row["chunks"] = chain.chunk_dicts(self._conn, row["clip_id"])
        return rows

    def lookup(self, payload: int, audio_sha256: str | None = None,
               duration_s: float | None = None) -> LookupResult:
        """Map a detected payload (and the file's SHA-256, if known) to ledger clips."""
        try:
            payload = check_payload(payload)
        except ValueError as error:
            raise InputError(str(error)) from None
        digest = audio_sha256.lower() if audio_sha256 else None
        candidates = rank_candidates(
            self._all("SELECT * FROM clips WHERE payload = ?", (payload,)), duration_s)
        if digest:
            exact = self._one("SELECT * FROM clips WHERE audio_sha256 = ? ORDER BY seq LIMIT 1",
                              (digest,))
            if exact is not None:
                exact["chunks"] = chain.chunk_dicts(self._conn, exact["clip_id"])
                return LookupResult(payload, digest, "exact", exact,
                                    exact["payload"] == payload, candidates)
        return LookupResult(payload, digest, "payload-only" if candidates else "none",
                            candidates=candidates)

    # ----------------------------------------------------------------------- inspection
    def check(self) -> chain.ChainReport:
        """Verify the hash chain (see :func:`watermark.ledger.chain.verify_chain`)."""
        try:
            return chain.verify_chain(self._conn)
        except sqlite3.Error as error:
            raise InputError(f"cannot read the ledger {self.path}: {error}") from None

    def pending_writes(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM pending_writes ORDER BY started_at")

    def info(self) -> dict[str, Any]:
        counts = {table: self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in (*schema.CHAINED_TABLES, "clip_chunks", "pending_writes")}
        seq, head = self._conn.execute("SELECT seq, row_hash FROM chain_head").fetchone()
        return {"path": str(self.path), "ledger_id": self.ledger_id,
                "schema_version": schema.schema_version(self._conn), "counts": counts,
                "head_seq": seq, "head_hash": head}

    def iter_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every chained row in ``seq`` order as ``(table, row)`` (clips with chunks)."""
        yield from chain.chained_rows(self._conn)

