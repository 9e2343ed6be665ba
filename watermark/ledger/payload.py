"""The 16-bit watermark payload and how a detected payload maps back to ledger rows.

Contract with the watermark network (``watermark/``): the network embeds and detects an
unsigned 16-bit integer ``payload`` (0..65535), most significant bit first. The ledger issues
it (:meth:`Ledger.allocate_payload`) before the audio is embedded and stores it in the clip's
row; ``verify`` passes a detected payload (and, when it has the file, the file's SHA-256) to
:meth:`Ledger.lookup`.

Allocation: a per-ledger round-robin counter with a random per-ledger offset,

    payload = 1 + (offset + n) mod 65534        (n = 0, 1, 2, ... allocations so far)

so the values 0x0000 and 0xFFFF are never issued (an unmarked or saturated detector output is
most likely to read as all zeros or all ones, so those values would attract false matches),
and consecutive clips get consecutive values. Compared with a keyed hash of the clip id this
spreads clips perfectly evenly: after N clips every payload belongs to either
floor(N / 65534) or ceil(N / 65534) clips. A keyed hash collides by the birthday bound after
about 300 clips, and by N = 65534 it leaves about 37 % of values unused and some with 5+
clips. The random offset means two fresh ledgers do not both start at payload 1. The counter
is not part of the hash chain: editing it only changes future allocations, and payloads
allocated for clips that were then aborted are simply never used.

Collisions are certain at scale (the payload is 16 bits), so :meth:`Ledger.lookup` returns
ALL clips carrying the payload, never one guess:

* ``match == "exact"``: the audio SHA-256 equals a clip's ``audio_sha256``: the file is that
  clip, byte for byte (the SHA-256, not the payload, pins it; ``payload_agrees`` says whether
  the detected payload agrees, which it should).
* ``match == "payload-only"``: no byte-identical clip (the file was re-encoded, trimmed,
  mixed, or no hash was given); ``candidates`` are every clip with the payload, ranked by
  closeness of duration to ``duration_s`` when given, then newest first;
  ``candidate_count`` says how ambiguous the answer is. While a ledger has issued fewer than
  65534 payloads (and clips only use issued ones) this is at most one clip.
* ``match == "none"``: no clip of this ledger carries the payload.

A payload-only match is evidence, not proof: a bit error in detection, a clip from another
ledger (another installation issues the same 16-bit values) or a false detection all land
on some row. Callers should report the detector's confidence next to the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watermark.ledger.schema import PAYLOAD_CYCLE

PAYLOAD_BITS = 16
PAYLOAD_MAX = (1 << PAYLOAD_BITS) - 1


def payload_for(offset: int, count: int) -> int:
    """The payload issued as allocation number ``count`` (0-based) of a ledger."""
    return 1 + (offset + count) % PAYLOAD_CYCLE


def check_payload(payload: int) -> int:
    """Return ``payload`` as an int, or raise ValueError outside 0..65535."""
    if isinstance(payload, bool) or not isinstance(payload, int):
        raise ValueError(f"a payload is an integer 0..{PAYLOAD_MAX}, got {payload!r}")
    if not 0 <= payload <= PAYLOAD_MAX:
        raise ValueError(f"a payload is an integer 0..{PAYLOAD_MAX}, got {payload}")
    return payload


def payload_to_bits(payload: int) -> list[int]:
    """``payload`` as 16 bits, most significant first (the order the network embeds)."""
    check_payload(payload)
    return [(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]


def bits_to_payload(bits: list[int]) -> int:
    """Inverse of :func:`payload_to_bits`; accepts 0/1 ints or bools."""
    if len(bits) != PAYLOAD_BITS:
        raise ValueError(f"expected {PAYLOAD_BITS} bits, got {len(bits)}")
    value = 0
    for bit in bits:
        value = (value << 1) | (1 if bit else 0)
    return value


@dataclass
class LookupResult:
    """What the ledger knows about a detected payload (see the module docstring)."""

    payload: int
    audio_sha256: str | None
    match: str  # "exact", "payload-only" or "none"
    clip: dict[str, Any] | None = None  # the pinned clip when match == "exact"
    payload_agrees: bool | None = None  # exact match only: its payload == the detected one
    candidates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def candidate_count(self) -> int:
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload, "audio_sha256": self.audio_sha256, "match": self.match,
            "clip": self.clip, "payload_agrees": self.payload_agrees,
            "candidate_count": self.candidate_count, "candidates": self.candidates,
        }


def rank_candidates(
    clips: list[dict[str, Any]], duration_s: float | None = None
) -> list[dict[str, Any]]:
    """Order candidate clips: closest duration first (when known), then newest first."""
    newest_first = sorted(clips, key=lambda clip: clip["seq"], reverse=True)
    if duration_s is None:
        return newest_first
    return sorted(newest_first, key=lambda clip: abs(clip["duration_s"] - duration_s))
