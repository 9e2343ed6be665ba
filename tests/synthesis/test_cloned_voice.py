"""Synthesis with a cloned voice: consent checked first, consent id on the clip, revocation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_moe.errors import InputError
from tts_moe.synthesis import Synthesizer
from tts_moe.synthesis.plan import Job
from voices.adapter import AdapterConfig, VoiceAdapter
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


def _job(index: int, voice: str) -> Job:
    return Job(index=index, text="x", words=["x"], phonemes="x", ids=[5 + (k % 20) for k in range(6 + index)],
               voice=voice, style="neutral", rate=1.0, pitch=0.0, volume=0.0, pause_before=0.0)


def test_a_voice_with_an_adapter_is_rendered_by_its_own_model(parts, cloned, tmp_path):
    acoustic, vocoder, watermarker = parts
    _, ada_consent, ledger_path, voices_dir = cloned
    with Ledger(ledger_path) as ledger:
        ledger.add_voice("bea", "cloned", name="Bea Example")
        consent_id = ledger.add_consent("bea", "Bea Example", expires_at="2099-01-01T00:00:00Z")["consent_id"]
    vector = torch.randn(acoustic.config.speaker_dim, generator=torch.Generator().manual_seed(1))
    adapter = VoiceAdapter.create(acoustic, AdapterConfig(rank=2))
    for _, up in adapter.factors.values():
        up.normal_(0, 0.5, generator=torch.Generator().manual_seed(2))
    write_pack("bea", vector, {"kind": "cloned", "consent_id": consent_id}, folder=voices_dir, adapter=adapter)
    synth = Synthesizer(acoustic, vocoder, watermarker, ledger_path=ledger_path, voices_dir=voices_dir)
    synth.check_voice("ada")  # the same vector, no adapter
    synth.check_voice("bea")
    assert set(synth.engine.adapted) == {"bea"}
    assert synth.engine.adapted["bea"].encoder[0].qkv.weight is acoustic.encoder[0].qkv.weight
    jobs = [_job(0, "bea"), _job(1, "ada"), _job(2, "bea"), _job(3, "flite-slt")]
    batches = synth.engine.batches(jobs)
    assert sorted(sorted(j.index for j in b) for b in batches) == [[0, 2], [1, 3]]  # the adapted voice apart
    mixed = synth.engine.render(jobs)
    assert [r.job.index for r in mixed] == [0, 1, 2, 3]  # in the order given, across the two models
    plain, adapted_job = synth.engine.render([_job(0, "ada")])[0], synth.engine.render([_job(0, "bea")])[0]
    alone = synth.engine.render([_job(0, "bea"), _job(2, "bea")])  # the same batch without the others
    assert np.allclose(mixed[0].audio, alone[0].audio, atol=1e-5) and np.allclose(mixed[2].audio, alone[1].audio,
                                                                                   atol=1e-5)
    assert np.array_equal(plain.durations, adapted_job.durations)  # the adapter changes the decoder only
    assert not np.allclose(plain.audio, adapted_job.audio, atol=1e-3)
    result = synth.synthesize("Hello there.", tmp_path / "d.wav", voice="bea", progress=False)
    with Ledger(ledger_path) as ledger:
        assert ledger.clip(result.clip_id)["consent_id"] == consent_id
    with Ledger(ledger_path) as ledger:
        ledger.revoke_consent(consent_id, "the speaker asked")
    fresh = Synthesizer(*parts, ledger_path=ledger_path, voices_dir=voices_dir)
    with pytest.raises(InputError, match="'bea' cannot be used: its consent is revoked"):
        fresh.check_voice("bea")
    assert "bea" not in fresh.engine.adapted  # refused before its model was built
    damaged = voices_dir / "bea" / "adapter.safetensors"
    damaged.write_bytes(damaged.read_bytes()[:-2] + b"\1\1")
    with pytest.raises(InputError, match="damaged: adapter.safetensors does not match"):
        Synthesizer(*parts, ledger_path=ledger_path, voices_dir=voices_dir).check_voice("bea")


def test_a_pack_fitted_to_other_weights_is_refused(parts, cloned, tmp_path):
    from tts_moe.acoustic.loader import fingerprint

    acoustic, vocoder, watermarker = parts
    _, consent_id, ledger_path, voices_dir = cloned
    vector = torch.zeros(acoustic.config.speaker_dim)
    for name, print_ in (("same", fingerprint(acoustic)), ("other", "0123456789abcdef")):
        write_pack(name, vector, {"kind": "cloned", "consent_id": consent_id,
                                  "acoustic_model": {"fingerprint": print_}}, folder=voices_dir)
    synth = Synthesizer(acoustic, vocoder, watermarker, ledger_path=ledger_path, voices_dir=voices_dir)
    synth.check_voice("same")
    with pytest.raises(InputError, match="'other' was fitted to other acoustic-model weights .*enroll it again"):
        synth.check_voice("other")
    assert fingerprint(acoustic) == synth._fingerprint and len(synth._fingerprint) == 16
