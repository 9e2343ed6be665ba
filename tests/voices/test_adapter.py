"""Voice adapters (voices/adapter.py) and their training (voices/adaptation.py), on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.acoustic.conftest import PHRASES, TINY, make_corpus
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.features import clip_features
from tts_moe.acoustic.model import AcousticModel
from tts_moe.audio import MelConfig
from tts_moe.errors import InputError
from tts_moe.text.symbols import SymbolTable
from voices.adaptation import adapt_speaker, reference_batch, train_adapter
from voices.adapter import AdapterConfig, VoiceAdapter


def tiny_config(**changes) -> AcousticConfig:
    return AcousticConfig(speakers=["spk0", "spk1"], styles=["neutral", "fast"], n_symbols=len(SymbolTable()),
                          **{**TINY, **changes})


@pytest.fixture()
def model():
    torch.manual_seed(0)
    return AcousticModel(tiny_config()).eval()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = make_corpus(tmp_path_factory.mktemp("adapter-corpus"), clips=6, seed=3)
    symbols = SymbolTable()
    paths = sorted((folder / "audio").rglob("*.flac"))
    return [clip_features(str(p), PHRASES[i % len(PHRASES)], MelConfig(), symbols) for i, p in enumerate(paths)]


def _mel(model, clips, speaker):
    batch = reference_batch(clips, speaker[None], 0)
    with torch.no_grad():
        return model(**batch.model_inputs()).mel


def _nudged(model, config=AdapterConfig()):
    adapter = VoiceAdapter.create(model, config, seed=1)
    for _, up in adapter.factors.values():
        up.normal_(0, 0.1)
    for offset in adapter.offsets.values():
        offset.normal_(0, 0.1)
    return adapter


def test_a_new_adapter_changes_nothing_and_targets_only_the_decoder(model, clips):
    adapter = VoiceAdapter.create(model, AdapterConfig(rank=2))
    names = set(adapter.factors) | set(adapter.offsets)
    assert names and all(n.startswith(("decoder.", "decoder_norm.", "mel_out.")) for n in names)
    assert "mel_out.weight" in adapter.factors and "mel_out.bias" in adapter.offsets
    assert all(down.shape[0] == 2 and up.shape[1] == 2 for down, up in adapter.factors.values())
    speaker = model.speaker_embedding.weight[0].detach()
    torch.testing.assert_close(_mel(adapter.apply(model), clips, speaker), _mel(model, clips, speaker))


def test_apply_merges_the_change_and_shares_everything_else(model, clips):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    adapter = _nudged(model)
    adapted = adapter.apply(model)
    down, up = adapter.factors["mel_out.weight"]
    torch.testing.assert_close(adapted.mel_out.weight, model.mel_out.weight + up @ down)
    torch.testing.assert_close(adapted.mel_out.bias, model.mel_out.bias + adapter.offsets["mel_out.bias"])
    assert adapted.encoder[0].qkv.weight is model.encoder[0].qkv.weight  # shared, not copied
    assert adapted.mel_out.weight is not model.mel_out.weight
    for key, value in model.state_dict().items():  # the base model is untouched
        torch.testing.assert_close(value, before[key])
    speaker = model.speaker_embedding.weight[0].detach()
    assert not torch.allclose(_mel(adapted, clips, speaker), _mel(model, clips, speaker))


def test_stored_tensors_round_trip_and_mismatches_are_named(model):
    adapter = _nudged(model)
    tensors = adapter.tensors()
    assert all(t.dtype == torch.float16 for t in tensors.values())
    back = VoiceAdapter.from_tensors(tensors, model, "pack")
    for name, (down, up) in adapter.factors.items():
        torch.testing.assert_close(back.factors[name][1] @ back.factors[name][0], (up @ down).half().float(),
                                   atol=2e-3, rtol=1e-2)
    with pytest.raises(InputError, match="'up.encoder.nothing' is not a change to a parameter"):
        VoiceAdapter.from_tensors({**tensors, "up.encoder.nothing": torch.zeros(1)}, model, "pack")
    with pytest.raises(InputError, match="unpaired: \\['mel_out.weight'\\]"):
        VoiceAdapter.from_tensors({k: v for k, v in tensors.items() if k != "up.mel_out.weight"}, model, "pack")
    wider = AcousticModel(tiny_config(dim=32))
    with pytest.raises(InputError, match="do not fit the model's parameter|offset for .* has shape"):
        VoiceAdapter.from_tensors(tensors, wider, "pack")
    poisoned = {**tensors, "offset.mel_out.bias": torch.full_like(tensors["offset.mel_out.bias"], float("nan"))}
    with pytest.raises(InputError, match="pack: non-finite values in offset.mel_out.bias"):
        VoiceAdapter.from_tensors(poisoned, model, "pack")
    adapter.offsets["mel_out.bias"][0] = 1e6  # overflows fp16
    with pytest.raises(InputError, match="enrollment diverged"):
        adapter.tensors()
    with pytest.raises(InputError, match="match no parameter"):
        VoiceAdapter.create(model, AdapterConfig(targets=("nowhere.",)))
    assert AdapterConfig.from_dict(AdapterConfig(rank=3).to_dict()) == AdapterConfig(rank=3)


def test_training_lowers_the_loss_and_leaves_the_model_frozen(model, clips):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    speaker, speaker_loss = adapt_speaker(model, clips, steps=3, lr=0.05)
    losses = []
    adapter, tuned, last = train_adapter(model, clips, speaker, AdapterConfig(rank=2, steps=40, lr=1e-2),
                                         max_frames=10**6, progress=lambda step, loss: losses.append(loss))
    assert len(losses) == 40 and last == losses[-1]
    assert np.mean(losses[-5:]) < 0.9 * losses[0]
    assert not torch.equal(tuned, speaker)  # the speaker vector kept adapting
    assert all(up.abs().sum() > 0 for _, up in adapter.factors.values())  # the adapter itself learned
    assert any(offset.abs().sum() > 0 for offset in adapter.offsets.values())
    assert all(not p.requires_grad for p in adapter.parameters())
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key])
    assert not any(p.requires_grad for p in model.parameters())
