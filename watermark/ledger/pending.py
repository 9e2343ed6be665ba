"""Two-phase clip writes: the audio file and its ledger row appear together or not at all.

>>> with ledger.record_clip("out.wav", text=script, voice_id="v1") as pending:
...     pending.write(watermarked_chunk)           # (time,) float32, any number of times
...     pending.add_chunk(ClipChunk.from_text(0.0, 2.5, sentence, "v1"))
>>> pending.row["clip_id"], pending.payload

Steps (``S*`` are the points where a crash can happen, with the name passed to the test hook
``Ledger._step_hook``; T = ``target`` path):

1. ``__init__``: voice and consent are validated (:class:`InputError` before anything is
   written). Transaction A allocates the payload and inserts a ``pending_writes`` row
   (stage ``writing``, the staging path ``.T.CLIPID.staged``, pid, host).  S1 ``pending``
2. The caller streams audio into an :class:`~tts_moe.audio.AtomicAudioWriter` whose target
   is the staging path (its own temp file is ``..T.CLIPID.staged.*.partial``).  S2 (in the
   caller's block)
3. Clean exit: the writer fsyncs and renames its temp file to the staging path. The staging
   file's SHA-256 and duration complete the row; transaction B stores the full row in
   ``pending_writes`` (stage ``ready``).  S3 ``staged`` (before B) / ``ready`` (after B)
4. Transaction C (``BEGIN IMMEDIATE``): the clip row (and chunks) is chained and inserted and
   the pending row deleted; S4 ``inserted``; then ``os.replace(staging, T)`` and an fsync of
   the folder; S5 ``renamed``; then ``COMMIT``; S6 ``committed``.

Crash analysis (what a crash leaves, and what ``tts-moe ledger recover`` does with a pending
row whose process is gone):

* S1/S2 (stage ``writing``): no row, T untouched; a staging/partial file may remain.
  Recover deletes them and the pending row.
* S3/S4 (stage ``ready``, staging file present): transaction C never committed (SQLite rolls
  it back on the next open), T untouched. Recover deletes the staging file and the pending
  row: the clip is rolled back.
* S5 (rename done, commit lost): T exists, watermarked, with no clip row: the one orphan
  window. The pending row (stage ``ready``) holds the complete row and the file's SHA-256.
  Recover finds the staging file gone and T's hash equal to the recorded one, and rolls
  *forward*: it inserts the recorded row (original ``created_at``) and deletes the pending
  row, because a watermarked file may already have been shared and must stay traceable.
  (``discard=True`` instead deletes T.) If T is missing or its hash differs, the pending row is
  dropped and reported.
* S6: done.

Failures that raise (not crashes) are cleaned up on the spot: an exception in the caller's
block, a failed rename or a failed commit remove the staging file, roll the transaction back,
delete a T that was already renamed, and delete the pending row, then re-raise. The row is
never committed without the file renamed into place, and a committed row whose file was
later deleted or changed is reported by ``tts-moe ledger check --files``.

A pending row is skipped by recovery while the process that wrote it is alive on this host
(it may be mid-write), unless ``force=True``. Transaction C refuses to commit when its
pending row has disappeared (someone forced a recovery under it).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tts_moe.errors import InputError, OutputError
from watermark.ledger import schema
from watermark.ledger.payload import check_payload
from watermark.ledger.store import ClipChunk, Ledger, sha256_file


class PendingClip:
    """A clip being written; use as a context manager (see the module docstring).

    ``payload`` is the 16-bit value to embed; after a clean exit ``row`` is the committed
    row. Keyword arguments are those of :meth:`Ledger.add_clip` (without ``audio_sha256``,
    ``duration_s``, ``payload``, ``path``) plus ``sample_rate`` (default 16000), ``format`` and
    ``subtype`` for the audio file, and ``payload`` to reuse an already issued payload
    (a resumed long-form job whose finished parts carry it) instead of allocating one.
    """

    def __init__(self, ledger: Ledger, target: Path, *, text: str, voice_id: str,
                 consent_id: str | None = None, store_text: bool = False,
                 sample_rate: int = 16_000, style: str | None = None,
                 model_versions: dict[str, str] | None = None,
                 chunks: list[ClipChunk] | None = None,
                 format: str | None = None, subtype: str | None = None,
                 payload: int | None = None) -> None:
        from tts_moe.audio import AtomicAudioWriter, format_for_path

        self.ledger = ledger
        self.target = Path(os.path.abspath(target))
        self.chunks: list[ClipChunk] = list(chunks or [])
        self.row: dict[str, Any] | None = None
        # run on the finished staging file before it is hashed (metadata such as chapters)
        self.finalizers: list[Callable[[Path], None]] = []
        self._fields = dict(text=text, voice_id=voice_id, consent_id=consent_id,
                            store_text=store_text, sample_rate=sample_rate, style=style,
                            model_versions=model_versions)
        self._audio_format = format_for_path(self.target, format)
        if not self.target.parent.is_dir():
            raise OutputError(f"output folder does not exist: {self.target.parent}")
        # validate now, before any payload or file is spent on a clip that would be refused
        ledger.build_clip_row(audio_sha256="0" * 64, duration_s=0.0, payload=1,
                              text_sha256=None, chunks=self.chunks, path=None, clip_id=None,
                              **self._fields)
        self.clip_id = os.urandom(16).hex()
        self.staging = self.target.with_name(f".{self.target.name}.{self.clip_id}.staged")
        with ledger.transaction() as conn:  # transaction A
            # a resumed long-form job reuses the payload its finished parts already carry
            self.payload = ledger.next_payload() if payload is None else check_payload(payload)
            conn.execute(
                "INSERT INTO pending_writes (clip_id, payload, target, staging, pid, host, "
                "stage, started_at) VALUES (?, ?, ?, ?, ?, ?, 'writing', ?)",
                (self.clip_id, self.payload, str(self.target), str(self.staging), os.getpid(),
                 socket.gethostname(), schema.utc_now()))
        ledger._step("pending")
        try:
            self._writer = AtomicAudioWriter(self.staging, sample_rate,
                                             format=self._audio_format, subtype=subtype)
        except BaseException:
            self._forget()
            raise

    # ----------------------------------------------------------------------- caller side
    @property
    def audio_format(self) -> str:
        """The output file's format name (wav, flac, ogg, mp3)."""
        return self._audio_format

    def write(self, chunk: np.ndarray) -> None:
        """Append mono audio ``(time,)`` float32 (already watermarked with ``payload``)."""
        self._writer.write(chunk)

    def add_chunk(self, chunk: ClipChunk) -> None:
        """Add long-form detail (its voice/consent are checked when the clip is committed)."""
        self.chunks.append(chunk)

    def __enter__(self) -> "PendingClip":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
            return
        try:
            self._finish()
        except BaseException:
            self._abort()
            raise

    # ----------------------------------------------------------------------- the phases
    def _finish(self) -> None:
        ledger = self.ledger
        if self._writer.frames_written == 0:
            raise InputError(f"no audio was written for {self.target}; the clip is dropped")
        self._writer.commit()  # temp -> staging, fsynced
        for finalize in self.finalizers:
            finalize(self.staging)
        ledger._step("staged")
        row, chunk_rows = ledger.build_clip_row(
            audio_sha256=sha256_file(self.staging),
            duration_s=self._writer.frames_written / self._writer.sample_rate,
            payload=self.payload, text_sha256=None, chunks=self.chunks,
            path=str(self.target), clip_id=self.clip_id, **self._fields)
        record = json.dumps({"row": row, "chunks": chunk_rows}, sort_keys=True)
        with ledger.transaction() as conn:  # transaction B
            conn.execute("UPDATE pending_writes SET stage = 'ready', row_json = ? "
                         "WHERE clip_id = ?", (record, self.clip_id))
        ledger._step("ready")
        with ledger.transaction() as conn:  # transaction C, committed after the rename
            gone = conn.execute("DELETE FROM pending_writes WHERE clip_id = ?",
                                (self.clip_id,)).rowcount != 1
            if gone:
                raise OutputError(f"the pending ledger entry of {self.target} was removed by "
                                  "a recovery while it was being written; the clip is dropped")
            self.row = ledger.insert_clip(row, chunk_rows)
            ledger._step("inserted")
            publish(self.staging, self.target)
            self._renamed = True
            ledger._step("renamed")
        ledger._step("committed")

    def _abort(self) -> None:
        self._writer.abort()
        _unlink(self.staging)
        if getattr(self, "_renamed", False) and self.row is not None:
            _unlink(self.target)  # renamed but the commit failed: the file goes too
        self.row = None
        self._forget()

    def _forget(self) -> None:
        try:
            with self.ledger.transaction() as conn:
                conn.execute("DELETE FROM pending_writes WHERE clip_id = ?", (self.clip_id,))
        except OutputError:
            pass  # the pending row stays; `tts-moe ledger recover` cleans it up


def publish(staging: Path, target: Path) -> None:
    """Atomically move the finished file into place and make the rename durable."""
    try:
        os.replace(staging, target)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as error:
        raise OutputError(f"cannot move the finished clip into {target}: "
                          f"{error.strerror or error}") from None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(ledger: Ledger, *, force: bool = False, discard: bool = False) -> list[dict[str, Any]]:
    """Resolve pending writes left by crashed processes; returns one action per entry."""
    actions = []
    host = socket.gethostname()
    for entry in ledger.pending_writes():
        base = {"clip_id": entry["clip_id"], "target": entry["target"]}
        if not force and (entry["host"] != host or _process_alive(entry["pid"])):
            actions.append({**base, "action": "skipped",
                            "detail": f"the writing process {entry['pid']}@{entry['host']} "
                                      "may still be running (use --force if it is not)"})
            continue
        actions.append({**base, **_resolve(ledger, entry, discard)})
    return actions


def _resolve(ledger: Ledger, entry: dict[str, Any], discard: bool) -> dict[str, str]:
    staging, target = Path(entry["staging"]), Path(entry["target"])
    for partial in staging.parent.glob(f".{staging.name}.*.partial"):
        _unlink(partial)
    if entry["stage"] == "writing" or staging.exists():
        _unlink(staging)
        _drop(ledger, entry)
        return {"action": "rolled-back", "detail": "the file was never published"}
    record = json.loads(entry["row_json"])
    row = record["row"]
    if not target.exists() or sha256_file(target) != row["audio_sha256"]:
        _drop(ledger, entry)
        return {"action": "dropped",
                "detail": "the file is missing or is not the one written; nothing to record"}
    if discard:
        _unlink(target)
        _drop(ledger, entry)
        return {"action": "discarded", "detail": "the published file without a row was deleted"}
    with ledger.transaction() as conn:
        conn.execute("DELETE FROM pending_writes WHERE clip_id = ?", (entry["clip_id"],))
        if ledger.clip(row["clip_id"], with_chunks=False) is None:
            ledger.insert_clip(row, record["chunks"])
    return {"action": "rolled-forward", "detail": "the published file's row was recorded"}


def _drop(ledger: Ledger, entry: dict[str, Any]) -> None:
    with ledger.transaction() as conn:
        conn.execute("DELETE FROM pending_writes WHERE clip_id = ?", (entry["clip_id"],))


def check_files(ledger: Ledger) -> dict[str, Any]:
    """Compare every committed clip's recorded file with the file on disk."""
    missing, modified, ok = [], [], 0
    for row in ledger._all("SELECT clip_id, path, audio_sha256 FROM clips "
                           "WHERE path IS NOT NULL ORDER BY seq"):
        path = Path(row["path"])
        if not path.exists():
            missing.append({"clip_id": row["clip_id"], "path": row["path"]})
        elif sha256_file(path) != row["audio_sha256"]:
            modified.append({"clip_id": row["clip_id"], "path": row["path"]})
        else:
            ok += 1
    pending = [{"clip_id": e["clip_id"], "target": e["target"], "stage": e["stage"],
                "pid": e["pid"], "host": e["host"], "started_at": e["started_at"]}
               for e in ledger.pending_writes()]
    return {"ok": ok, "missing": missing, "modified": modified, "pending": pending}
