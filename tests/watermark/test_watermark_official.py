"""Loading official AudioSeal checkpoints from disk (full-size architecture, no download)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from tts_moe.errors import InputError
from watermark.model import build_networks, official_config
from watermark.watermarker import Watermarker
from watermark.weights import adapt_state_dict


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    """A freshly built full-size pair saved as .pth state dicts and as safetensors."""
    torch.manual_seed(3)
    networks = build_networks(official_config())
    folder = tmp_path_factory.mktemp("official")
    torch.save(networks.generator.state_dict(), folder / "generator.pth")
    torch.save({"model": networks.detector.state_dict()}, folder / "detector.pth")  # checkpoint layout
    save_file({k: v.contiguous() for k, v in networks.detector.state_dict().items()},
              str(folder / "detector.safetensors"))
    return networks, folder


def test_loads_pth_state_dicts_and_reproduces_the_model(official):
    networks, folder = official
    marker = Watermarker.from_audioseal_checkpoint(folder / "generator.pth", folder / "detector.pth")
    assert marker.config == official_config()
    for ours, theirs in ((marker.networks.generator, networks.generator),
                         (marker.networks.detector, networks.detector)):
        for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), name
    audio = (0.1 * np.random.default_rng(0).standard_normal(16_000)).astype(np.float32)
    found = marker.detect(marker.embed(audio, 4321))
    assert len(found.frame_probabilities) == 50


def test_loads_safetensors_too(official):
    _, folder = official
    marker = Watermarker.from_audioseal_checkpoint(folder / "generator.pth", folder / "detector.safetensors")
    assert marker.card["source"] == "official AudioSeal checkpoint"


def test_swapped_or_foreign_files_are_refused_clearly(official, tmp_path):
    _, folder = official
    with pytest.raises(InputError, match="do not fit the model"):
        Watermarker.from_audioseal_checkpoint(folder / "detector.pth", folder / "generator.pth")
    with pytest.raises(InputError, match="not found"):
        Watermarker.from_audioseal_checkpoint(tmp_path / "missing.pth", folder / "detector.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read"):
        Watermarker.from_audioseal_checkpoint(tmp_path / "junk.pth", folder / "detector.pth")


def test_pickled_python_objects_are_not_loaded(official, tmp_path):
    _, folder = official
    state = torch.load(folder / "generator.pth", weights_only=True)
    torch.save({"model": state, "xp.cfg": argparse.Namespace(lr=1e-4)}, tmp_path / "with_objects.pth")
    with pytest.raises(InputError, match="not loaded for safety"):
        Watermarker.from_audioseal_checkpoint(tmp_path / "with_objects.pth", folder / "detector.pth")


def test_weight_norm_and_old_key_names_are_adapted():
    conv = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(2, 3, 5))
    state = {"enc.conv.parametrizations.weight.original0": conv.parametrizations.weight.original0.detach(),
             "enc.conv.parametrizations.weight.original1": conv.parametrizations.weight.original1.detach(),
             "enc.conv.bias": conv.bias.detach()}
    adapted = adapt_state_dict(state, {"enc.conv.inner_conv.weight", "enc.conv.inner_conv.bias"})
    assert set(adapted) == {"enc.conv.inner_conv.weight", "enc.conv.inner_conv.bias"}
    assert torch.allclose(adapted["enc.conv.inner_conv.weight"], conv.weight.detach(), atol=1e-6)


def test_a_folder_of_official_checkpoints_works_wherever_weights_are_taken(official, tmp_path, capsys):
    import shutil

    from tts_moe.cli import main

    networks, folder = official
    pair = tmp_path / "audioseal"
    pair.mkdir()
    shutil.copy(folder / "generator.pth", pair / "generator_base.pth")
    shutil.copy(folder / "detector.safetensors", pair / "detector_base.safetensors")
    marker = Watermarker.from_pretrained(pair)
    assert marker.card["source"] == "official AudioSeal checkpoint"
    for a, b in zip(marker.networks.detector.state_dict().values(), networks.detector.state_dict().values()):
        assert torch.equal(a, b)
    audio = (0.1 * np.random.default_rng(1).standard_normal(16_000)).astype(np.float32)
    from tts_moe.audio import write_audio

    write_audio(tmp_path / "clip.wav", marker.embed(audio, 77))
    assert main(["watermark", "detect", str(tmp_path / "clip.wav"), "--weights", str(pair), "--json"]) == 0
    assert '"probability"' in capsys.readouterr().out
    shutil.copy(folder / "generator.pth", pair / "generator_large.pth")  # ambiguous: not taken as official
    from tts_moe.errors import ModelNotAvailableError

    with pytest.raises(ModelNotAvailableError, match="generator\\*.pth"):
        Watermarker.from_pretrained(pair)
