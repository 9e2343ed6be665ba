"""Payload allocation, the bit order contract, and lookup with collisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tts_moe.errors import InputError
from watermark.ledger import schema
from watermark.ledger.payload import (
    PAYLOAD_MAX,
    bits_to_payload,
    check_payload,
    payload_for,
    payload_to_bits,
)


@given(st.integers(0, PAYLOAD_MAX))
def test_bits_round_trip_msb_first(payload):
    bits = payload_to_bits(payload)
    assert len(bits) == 16 and bits_to_payload(bits) == payload
    assert bits[0] == payload >> 15


def test_check_payload_rejects_out_of_range():
    for bad in (-1, PAYLOAD_MAX + 1, 1.5, True, "3"):
        with pytest.raises(ValueError):
            check_payload(bad)


def test_allocation_cycles_through_every_value_but_0_and_ffff():
    offset = 65_000
    values = [payload_for(offset, n) for n in range(schema.PAYLOAD_CYCLE)]
    assert sorted(values) == list(range(1, PAYLOAD_MAX))
    assert payload_for(offset, schema.PAYLOAD_CYCLE) == values[0]  # then it wraps


def test_ledger_allocates_consecutive_payloads(ledger):
    first = ledger.allocate_payload()
    second = ledger.allocate_payload()
    assert second == first % schema.PAYLOAD_CYCLE + 1
    assert first == payload_for(ledger.payload_offset, 0)


def test_lookup_exact_pins_one_clip_among_collisions(ledger, tools):
    rows = tools.add_clips(ledger, 5, payload=1234)  # five clips share a payload
    tools.add_clips(ledger, 2, payload=99)
    target = rows[2]
    result = ledger.lookup(1234, target["audio_sha256"].upper())
    assert result.match == "exact" and result.clip["clip_id"] == target["clip_id"]
    assert result.payload_agrees is True and result.candidate_count == 5


def test_lookup_exact_with_a_wrong_payload_still_pins_the_file(ledger, tools):
    row = tools.add_clips(ledger, 1, payload=500)[0]
    result = ledger.lookup(501, row["audio_sha256"])  # one detected bit flipped
    assert result.match == "exact" and result.payload_agrees is False
    assert result.candidate_count == 0


def test_lookup_payload_only_returns_all_candidates_ranked(ledger, tools):
    rows = tools.add_clips(ledger, 4, payload=42)  # durations 1, 2, 3, 4 s
    result = ledger.lookup(42, "e" * 64)  # an edited file: no byte match
    assert result.match == "payload-only" and result.candidate_count == 4
    assert [c["clip_id"] for c in result.candidates] == [r["clip_id"] for r in rows[::-1]]
    ranked = ledger.lookup(42, None, duration_s=2.9)
    assert ranked.candidates[0]["clip_id"] == rows[2]["clip_id"]
    assert ranked.to_dict()["candidate_count"] == 4


def test_lookup_none_and_bad_payload(ledger, tools):
    tools.add_clips(ledger, 1, payload=7)
    assert ledger.lookup(8).match == "none"
    with pytest.raises(InputError):
        ledger.lookup(70_000)


def test_add_clip_rejects_bad_payload(ledger):
    with pytest.raises(InputError, match="0..65535"):
        ledger.add_clip(audio_sha256="a" * 64, duration_s=1.0, voice_id="narrator",
                        payload=-3, text="x")
