"""Inference precision: the bf16 backbone runs, stays close to float32, never leaks autocast."""

from __future__ import annotations

import pytest
import torch

from tts_moe.audio import log_mel
from tts_moe.errors import InputError
from vocoder import precision as precision_module
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator


@pytest.fixture(scope="module")
def generator():
    torch.manual_seed(5)
    generator = Generator(VocoderConfig(dim=32, intermediate_dim=64, num_layers=3, head="harmonic"))
    for block in generator.blocks:  # make every layer matter (layer scale starts small)
        torch.nn.init.ones_(block.gamma)
    return generator


@pytest.fixture(scope="module")
def mel():
    return torch.randn(80, 200, generator=torch.Generator().manual_seed(6)) - 4.0


def test_unknown_precision_is_refused(generator):
    with pytest.raises(InputError, match="unknown vocoder precision 'fp8'.*fp32, bf16, auto"):
        Vocoder(generator, precision="fp8")


@pytest.mark.parametrize("native,expected", [(True, "bf16"), (False, "fp32")])
def test_auto_follows_the_hardware(monkeypatch, generator, native, expected):
    monkeypatch.setattr(precision_module, "native_bf16", lambda device="cpu": native)
    assert Vocoder(generator, precision="auto").precision == expected


def test_bf16_backbone_changes_the_output_only_slightly(generator, mel):
    full = Vocoder(generator)(mel)
    half = Vocoder(generator, precision="bf16")(mel)
    assert half.dtype == torch.float32 and half.shape == full.shape
    assert not torch.equal(half, full)  # autocast really ran
    # Same spectrum: the log-mels of the two outputs agree far better than either does with
    # the (random) input, whatever the phase drift of the pulse train does to the samples.
    spectral_gap = float((log_mel(half) - log_mel(full)).abs().mean())
    assert spectral_gap < 0.05, spectral_gap


def test_bf16_chunked_synthesis_stays_close_to_whole(generator, mel):
    vocoder = Vocoder(generator, precision="bf16")
    whole = vocoder(mel)
    chunked = torch.from_numpy(vocoder.synthesize(mel, chunk_frames=64))
    assert chunked.shape == whole.shape
    # each chunk's backbone sees the same frames as the whole pass did; bf16 kernels may round
    # differently for other shapes on other CPUs, so the check is spectral plus no clicks
    assert float((log_mel(chunked) - log_mel(whole)).abs().mean()) < 0.02
    jumps = chunked.diff().abs()
    assert float(jumps.max()) <= float(whole.diff().abs().max()) * 1.5


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_stream_does_not_leak_modes_to_the_caller(generator, mel, precision):
    stream = Vocoder(generator, precision=precision).stream(mel, chunk_frames=64)
    next(stream)  # suspended inside the chunk loop
    assert not torch.is_inference_mode_enabled()
    assert not torch.is_autocast_enabled("cpu")
    assert sum(piece.size for piece in stream) > 0


def test_from_pretrained_takes_the_precision(tmp_path, generator, mel):
    Vocoder(generator).save_pretrained(tmp_path)
    loaded = Vocoder.from_pretrained(tmp_path, precision="bf16")
    assert loaded.precision == "bf16"
    with pytest.raises(InputError, match="unknown vocoder precision"):
        Vocoder.from_pretrained(tmp_path, precision="half")
