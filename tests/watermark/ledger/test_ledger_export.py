"""JSON Lines export: every row, in order, verifiable without the ledger."""

from __future__ import annotations

import io
import json

import pytest

from tts_moe.errors import InputError
from watermark.ledger.export import export_jsonl, read_export, verify_export
from watermark.ledger.store import ClipChunk


def test_export_round_trip(ledger, tools):
    tools.add_clips(ledger, 3)
    ledger.add_clip(audio_sha256="d" * 64, duration_s=2.0, voice_id="alice",
                    consent_id=ledger.consent_id, payload=3, text="ünïcode ✓", store_text=True,
                    chunks=[ClipChunk.from_text(0, 2, "ünïcode ✓", "alice", style="warm")])
    ledger.revoke_consent(ledger.consent_id)
    buffer = io.StringIO()
    header = export_jsonl(ledger, buffer)
    lines = buffer.getvalue().splitlines()
    parsed_header, rows = read_export(lines)
    assert parsed_header == header and header["rows"] == len(rows) == 8
    assert [table for table, _ in rows] == ["voices", "voices", "consents", "clips", "clips",
                                            "clips", "clips", "consent_events"]
    assert [row for _, row in rows] == [row for _, row in ledger.iter_rows()]
    assert rows[6][1]["chunks"][0]["style"] == "warm" and rows[6][1]["text"] == "ünïcode ✓"
    report = verify_export(lines)
    assert report.intact and report.head_hash == ledger.info()["head_hash"]


def test_tampered_or_truncated_export_is_caught(ledger, tools):
    tools.add_clips(ledger, 3)
    buffer = io.StringIO()
    export_jsonl(ledger, buffer)
    lines = buffer.getvalue().splitlines()
    item = json.loads(lines[4])
    item["row"]["duration_s"] = 9.0
    edited = lines[:4] + [json.dumps(item)] + lines[5:]
    assert {p["kind"] for p in verify_export(edited).problems} == {"edited"}
    assert {p["kind"] for p in verify_export(lines[:-1]).problems} == {"head"}
    swapped = lines[:4] + [lines[5], lines[4]] + lines[6:]
    assert "broken-link" in {p["kind"] for p in verify_export(swapped).problems}


def test_malformed_export_is_an_input_error():
    with pytest.raises(InputError, match="not a tts-moe ledger export"):
        read_export(['{"type": "row"}'])
    with pytest.raises(InputError, match="not JSON"):
        read_export(['{"type": "ledger"}', "{oops"])
    with pytest.raises(InputError, match="empty"):
        read_export([])
