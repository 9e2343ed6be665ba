"""Synthesis with a cloned voice: consent checked first, consent id on the clip, revocation."""

from __future__ import annotations

import pytest
import torch

from tts_moe.errors import InputError
from tts_moe.synthesis import Synthesizer
from voices.pack import write_pack
from watermark.ledger import Ledger


@pytest.fixture()
def cloned(parts, tmp_path):
    acoustic, vocoder, watermarker = parts
    ledger_path, voices_dir = tmp_path / "ledger.db", tmp_path / "voices"
    with Ledger(ledger_path) as ledger:
        ledger.add_voice("ada", "cloned", name="Ada Example")
        consent_id = ledger.add_consent("ada", "Ada Example", expires_at="2099-01-01T00:00:00Z")["consent_id"]
    vector = torch.randn(acoustic.config.speaker_dim, generator=torch.Generator().manual_seed(1))
    write_pack("ada", vector, {"kind": "cloned", "consent_id": consent_id}, folder=voices_dir)
    synth = Synthesizer(acoustic, vocoder, watermarker, ledger_path=ledger_path, voices_dir=voices_dir)
    return synth, consent_id, ledger_path, voices_dir


def test_a_cloned_voice_speaks_and_its_clip_carries_the_consent(cloned, tmp_path):
    synth, consent_id, ledger_path, _ = cloned
    result = synth.synthesize("Hello there.\n[voice=flite-slt] And a built-in reply.", tmp_path / "a.wav",
                              voice="ada", progress=False)
    assert [u.voice for u in result.utterances] == ["ada", "flite-slt"]
    with Ledger(ledger_path) as ledger:
        row = ledger.clip(result.clip_id)
    assert row["voice_id"] == "ada" and row["consent_id"] == consent_id
    assert {c["consent_id"] for c in row["chunks"]} == {consent_id, None}


def test_a_revoked_voice_is_refused_before_any_audio(cloned, tmp_path):
    synth, consent_id, ledger_path, _ = cloned
    with Ledger(ledger_path) as ledger:
        ledger.revoke_consent(consent_id, "the speaker asked")
    with pytest.raises(InputError, match="'ada' cannot be used: its consent is revoked"):
        synth.synthesize("Hello.", tmp_path / "b.wav", voice="ada", progress=False)
    assert not (tmp_path / "b.wav").exists()
    with Ledger(ledger_path) as ledger:
        assert ledger.last_clips(5) == []


def test_a_damaged_pack_and_an_unknown_voice_are_named(parts, cloned, tmp_path):
    _, _, ledger_path, voices_dir = cloned
    weights = voices_dir / "ada" / "speaker.safetensors"
    weights.write_bytes(weights.read_bytes()[:-2] + b"\1\1")
    synth = Synthesizer(*parts, ledger_path=ledger_path, voices_dir=voices_dir)
    with pytest.raises(InputError, match="damaged"):
        synth.synthesize("Hello.", tmp_path / "c.wav", voice="ada", progress=False)
    with pytest.raises(InputError, match="unknown voice 'nobody'"):
        synth.synthesize("Hello.", tmp_path / "c.wav", voice="nobody", progress=False)
