"""The provenance ledger: voices, consent records and one hash-chained row per generated clip.

Public API: :class:`Ledger` (``watermark.ledger.store``), :class:`ClipChunk`,
:class:`LookupResult` (``watermark.ledger.payload``, which documents the payload contract),
:func:`recover` / :func:`check_files` (``watermark.ledger.pending``, which documents the
crash windows), :func:`export_jsonl` / :func:`verify_export` (``watermark.ledger.export``).
"""

from watermark.ledger.paths import default_ledger_path
from watermark.ledger.payload import LookupResult, bits_to_payload, payload_to_bits
from watermark.ledger.store import ClipChunk, Ledger, sha256_file, sha256_text

__all__ = [
    "ClipChunk", "Ledger", "LookupResult", "bits_to_payload", "default_ledger_path",
    "payload_to_bits", "sha256_file", "sha256_text",
]
