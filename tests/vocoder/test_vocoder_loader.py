"""Input checks, save/load round trip in fp16 and refusal of mismatched weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError, ModelNotAvailableError
from vocoder.loader import Vocoder
from vocoder.model import Generator


@pytest.fixture()
def vocoder(tiny_config):
    torch.manual_seed(0)
    return Vocoder(Generator(tiny_config))


def good_mel(frames=20):
    return torch.full((80, frames), -5.0) + torch.randn(80, frames)


def test_call_shapes(vocoder):
    assert vocoder(good_mel(20)).shape == (20 * 256,)
    assert vocoder(good_mel(20)[None].repeat(2, 1, 1)).shape == (2, 20 * 256)
    assert vocoder(good_mel(5).numpy()).abs().max() <= 1.0


@pytest.mark.parametrize("mel,message", [
    (torch.zeros(80), "shape"),
    (torch.zeros(1, 1, 80, 10), "shape"),
    (torch.zeros(40, 10), "n_mels=80"),
    (torch.zeros(80, 0), "zero frames"),
    (torch.zeros(0, 80, 10), "zero frames"),
    (torch.zeros(80, 10, dtype=torch.int64), "floating-point"),
    (torch.full((80, 10), -80.0), "dB"),
    (torch.full((80, 10), 40.0), "dB"),
])
def test_bad_shapes_and_scales(vocoder, mel, message):
    with pytest.raises(InputError, match=message):
        vocoder(mel)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_mels_are_refused(vocoder, value):
    mel = good_mel()
    mel[3, 7] = value
    with pytest.raises(InputError, match="NaN/Inf"):
        vocoder(mel)
    with pytest.raises(InputError, match="NaN/Inf"):
        vocoder.synthesize(mel)


def test_save_load_roundtrip_fp16(vocoder, tmp_path):
    path = vocoder.save_pretrained(tmp_path / "weights", {"training": {"steps": 0}})
    with safe_open(str(path), "pt") as handle:
        assert all(handle.get_tensor(k).dtype == torch.float16 for k in handle.keys())
    loaded = Vocoder.from_pretrained(tmp_path / "weights")
    assert loaded.config == vocoder.config
    assert all(p.dtype == torch.float32 for p in loaded.generator.parameters())
    assert loaded.card["training"] == {"steps": 0}
    rounded = Generator(vocoder.config)
    rounded.load_state_dict({k: v.half().float() for k, v in vocoder.generator.state_dict().items()})
    mel = good_mel(30)
    assert torch.equal(loaded(mel), Vocoder(rounded)(mel))
    assert (loaded(mel) - vocoder(mel)).abs().max() < 1e-2
    assert Vocoder.from_pretrained(path).config == vocoder.config  # the .safetensors path works too


def test_mel_mismatch_is_refused(vocoder, tmp_path):
    vocoder.save_pretrained(tmp_path)
    card = json.loads((tmp_path / "vocoder.json").read_text())
    card["config"]["mel"]["hop_length"] = 200
    (tmp_path / "vocoder.json").write_text(json.dumps(card))
    with pytest.raises(InputError, match="hop_length: model 200 vs expected 256"):
        Vocoder.from_pretrained(tmp_path)
    assert Vocoder.from_pretrained(tmp_path, mel_config=MelConfig(hop_length=200)).hop_length == 200


def test_weights_that_do_not_fit_the_config(vocoder, tmp_path):
    vocoder.save_pretrained(tmp_path)
    card = json.loads((tmp_path / "vocoder.json").read_text())
    card["config"]["dim"] = 24
    (tmp_path / "vocoder.json").write_text(json.dumps(card))
    with pytest.raises(InputError, match="do not fit"):
        Vocoder.from_pretrained(tmp_path)


def test_missing_and_corrupt_files(vocoder, tmp_path):
    with pytest.raises(ModelNotAvailableError, match="not found"):
        Vocoder.from_pretrained(tmp_path / "nothing")
    vocoder.save_pretrained(tmp_path)
    (tmp_path / "vocoder.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="cannot read"):
        Vocoder.from_pretrained(tmp_path)
    (tmp_path / "vocoder.json").write_text("{")
    with pytest.raises(InputError, match="unreadable"):
        Vocoder.from_pretrained(tmp_path)


def test_slight_undershoot_is_clamped_not_refused(vocoder):
    mel = good_mel()
    mel[0, 0] = np.log(1e-5) - 1.0
    assert torch.isfinite(vocoder(mel)).all()


def test_default_weights_missing_says_how_to_get_them():
    from vocoder.loader import DEFAULT_WEIGHTS, WEIGHTS_NAME

    if (DEFAULT_WEIGHTS / WEIGHTS_NAME).exists():
        pytest.skip("trained weights ship in this checkout")
    with pytest.raises(ModelNotAvailableError, match="tts-moe vocoder train"):
        Vocoder.from_pretrained()


def tiny_acoustic(seed: int):
    from tests.acoustic.conftest import TINY
    from tts_moe.acoustic.config import AcousticConfig
    from tts_moe.acoustic.model import AcousticModel
    from tts_moe.text.symbols import SymbolTable

    torch.manual_seed(seed)
    return AcousticModel(AcousticConfig(speakers=["a"], styles=["neutral"], n_symbols=len(SymbolTable()),
                                        **TINY)).eval()


def test_synthesis_weights_pair_only_with_the_acoustic_model_they_were_tuned_for(vocoder, tmp_path, monkeypatch):
    import vocoder.loader as loader
    from tts_moe.acoustic.loader import fingerprint

    general, tuned = tmp_path / "general", tmp_path / "tuned"
    vocoder.save_pretrained(general, {"training": {"mel_source": "computed"}})
    monkeypatch.setattr(loader, "DEFAULT_WEIGHTS", general)
    monkeypatch.setattr(loader, "SYNTHESIS_WEIGHTS", tuned)
    model, other = tiny_acoustic(0), tiny_acoustic(1)
    assert loader.weights_for_acoustic(model) == general  # no tuned set ships
    vocoder.save_pretrained(tuned, {"training": {"tuned_for_acoustic": fingerprint(model)}})
    assert loader.weights_for_acoustic(model) == tuned
    assert loader.weights_for_acoustic(other) == general
    assert loader.tuned_for(tuned) == fingerprint(model) and loader.tuned_for(general) is None
    (tuned / "vocoder.json").write_text("{ broken", encoding="utf-8")  # an optional set must not stop synthesis
    with pytest.warns(UserWarning, match="ignoring the synthesis vocoder"):
        assert loader.weights_for_acoustic(model) == general
