"""``metadata.jsonl`` (one JSON object per clip) and ``manifest.json`` of a corpus folder.

Crash safety: the builder appends each batch's lines with a single ``write`` + ``fsync``
from one process; :func:`load_metadata` drops a torn last line and any line whose audio file
is missing, rewriting the file atomically, so a clip counts as done only when both its audio
and its metadata line exist.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tts_moe.errors import InputError, OutputError

METADATA = "metadata.jsonl"
MANIFEST = "manifest.json"
CELLS = "cells.json"
CORPUS_VERSION = 1


def atomic_write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from error


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(f"{path} not found: is {path.parent} a corpus folder?") from error
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is unreadable or corrupt: {error}") from error


def load_metadata(corpus: Path, *, repair: bool = True) -> dict[str, dict]:
    """Records by clip id. Torn/corrupt lines and lines whose audio is gone are dropped
    (and, with ``repair``, removed from the file)."""
    path = corpus / METADATA
    if not path.is_file():
        return {}
    records: dict[str, dict] = {}
    dropped = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                if not line.endswith("\n") or not isinstance(record, dict):
                    raise ValueError("torn line")
            except ValueError:
                dropped += 1
                continue
            if not (corpus / record.get("path", "")).is_file():
                dropped += 1
                continue
            if record["id"] in records:
                dropped += 1
            records[record["id"]] = record
    if dropped and repair:
        tmp = corpus / f".{METADATA}.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            for record in records.values():
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return records


class MetadataAppender:
    """Append records to ``metadata.jsonl``: one ``write`` and ``fsync`` per batch."""

    def __init__(self, corpus: Path) -> None:
        self._fd = os.open(corpus / METADATA, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        written = os.write(self._fd, data)
        if written != len(data):
            raise OutputError(f"short write to {METADATA} (disk full?)")
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> MetadataAppender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def require_training_corpus(corpus: str | os.PathLike) -> dict:
    """For training code: the manifest of ``corpus``, or InputError when the corpus is
    reserved (cloning-evaluation voices), holds held-out test text or contains any reserved
    speaker."""
    from tts_moe.corpus.speakers import is_reserved

    manifest = read_json(Path(corpus) / MANIFEST)
    reserved = [s["id"] for s in manifest.get("speakers", []) if is_reserved(s["id"])]
    if manifest.get("reserved") or manifest.get("kind") != "training" or reserved:
        raise InputError(
            f"{corpus} is a reserved-voice corpus ({', '.join(reserved) or 'marked reserved'}):"
            " reserved voices are for cloning evaluation only and must never be trained on"
        )
    if manifest.get("texts") != "train":
        raise InputError(
            f"{corpus} was rendered from the {manifest.get('texts')!r} texts: train only on a"
            " corpus built with --texts train"
        )
    return manifest
