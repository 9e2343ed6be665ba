"""Limits of the web demo: text length and upload size (the queue runs one job at a time)."""

from __future__ import annotations

import os

MAX_TEXT_CHARS = 2_000  # the CLI takes 4 MiB scripts; a web page gets a sentence or a paragraph
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
QUEUE_CONCURRENCY = 1  # two CPU cores: one synthesis or verification at a time
MAX_QUEUE = 16


class LimitError(ValueError):
    """Input over a demo limit (shown on the page)."""


def check_text(text: str | None) -> str:
    """The text, stripped; refused when empty or longer than :data:`MAX_TEXT_CHARS`."""
    text = (text or "").strip()
    if not text:
        raise LimitError("type some text to synthesise")
    if len(text) > MAX_TEXT_CHARS:
        raise LimitError(f"the demo takes up to {MAX_TEXT_CHARS:,} characters ({len(text):,} given); "
                         "use `tts-moe synth` for long scripts")
    return text


def check_upload(path: str | os.PathLike) -> None:
    """Refuse a missing upload or one over :data:`MAX_UPLOAD_BYTES`."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise LimitError(f"the uploaded file {os.path.basename(str(path))!r} is missing") from None
    if size > MAX_UPLOAD_BYTES:
        raise LimitError(f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MB ({size / 2**20:.1f} MB given)")
