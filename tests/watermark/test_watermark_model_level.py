"""The fixed mark level: fit_to_envelope / watermark_signal put the mark at the config's
target SNR below the audio's 20 ms envelope, in training and in Watermarker.embed alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from watermark.model import (
    PRESETS,
    WatermarkConfig,
    build_networks,
    fit_to_envelope,
    local_rms,
    message_bits,
    watermark_signal,
)
from watermark.watermarker import DEFAULT_PAYLOAD, Watermarker

FRAME = 320  # 20 ms


def snr_db(audio: torch.Tensor, mark: torch.Tensor) -> torch.Tensor:
    """Per item ``(batch,)``."""
    return 10 * torch.log10(audio.pow(2).mean(-1) / mark.pow(2).mean(-1))


def stepped_speech(speech, batch: int = 3) -> torch.Tensor:
    """Speech-like clips whose second half is 20 dB quieter, with 0.2 s of digital silence
    in the middle: ``(batch, 32000)``."""
    rows = []
    for seed in range(batch):
        audio = torch.from_numpy(speech(2.0, seed)).clone()
        audio[16000:] *= 0.1
        audio[12800:16000] = 0.0
        rows.append(audio)
    return torch.stack(rows)


def raw_marks(batch: int, time: int) -> torch.Tensor:
    """Raw generator-like output with its own, unrelated level changes."""
    torch.manual_seed(1)
    t = torch.arange(time) / 16000
    return 0.02 * torch.randn(batch, time) * (1.2 + torch.sin(2 * torch.pi * 2.5 * t))


@pytest.mark.parametrize("target", [20.0, 28.0, 35.0])
def test_target_snr_is_met_within_half_a_db(speech, target):
    audio = stepped_speech(speech)
    mark = fit_to_envelope(raw_marks(*audio.shape), audio, target)
    assert torch.all((snr_db(audio, mark) - target).abs() < 0.5), snr_db(audio, mark)


def test_the_mark_follows_the_local_envelope(speech):
    """Per 20 ms frame the SNR stays near the target in loud and quiet stretches alike (one
    gain per clip would leave the quiet half 10 dB too loud); digital silence stays unmarked."""
    audio = stepped_speech(speech)
    mark = fit_to_envelope(raw_marks(*audio.shape), audio, 28.0)
    frames_audio = audio.unfold(-1, FRAME, FRAME).pow(2).mean(-1)
    frames_mark = mark.unfold(-1, FRAME, FRAME).pow(2).mean(-1)
    active = frames_audio > 0
    active[:, 38:52] = False  # frames touching the silence: the 20 ms envelope is smoothed there
    local = 10 * torch.log10(frames_audio[active] / frames_mark[active])
    assert (local - 28.0).abs().median() < 1.0
    assert ((local - 28.0).abs() < 3.0).float().mean() > 0.9
    quiet, loud = local.reshape(audio.shape[0], -1)[:, -40:], local.reshape(audio.shape[0], -1)[:, :30]
    assert abs(float(quiet.mean() - loud.mean())) < 1.5
    assert float(mark[:, 13200:15600].abs().max()) < 1e-6  # inside the silence, away from its edges


def test_fit_to_envelope_is_differentiable_and_silent_audio_stays_unmarked(speech):
    audio = stepped_speech(speech, batch=2)
    raw = raw_marks(*audio.shape).requires_grad_(True)
    fit_to_envelope(raw, audio, 28.0).pow(2).sum().backward()
    assert torch.isfinite(raw.grad).all() and raw.grad.abs().sum() > 0
    silent = fit_to_envelope(raw_marks(1, 8000), torch.zeros(1, 8000), 28.0)
    assert torch.isfinite(silent).all() and float(silent.abs().max()) == 0.0


def test_local_rms_of_a_constant_level():
    audio = torch.full((2, 4000), 0.3)
    assert torch.allclose(local_rms(audio, FRAME)[:, FRAME:-FRAME], torch.full((2, 4000 - 2 * FRAME), 0.3))


def test_watermark_signal_uses_the_configs_level(speech):
    config = WatermarkConfig(**{**PRESETS["tiny"].to_dict(), "ratios": (4, 4), "target_snr_db": 31.0})
    torch.manual_seed(0)
    networks = build_networks(config)
    audio = stepped_speech(speech, batch=2)
    bits = message_bits(torch.tensor([3, 60000]))
    mark = watermark_signal(networks.generator, audio, bits)
    assert torch.all((snr_db(audio, mark) - 31.0).abs() < 0.5)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):  # training's bf16 path
        mark_bf16 = watermark_signal(networks.generator, audio, bits)
    assert mark_bf16.dtype == torch.float32 and torch.all((snr_db(audio, mark_bf16) - 31.0).abs() < 0.5)
    networks.generator.target_snr_db = None  # unscaled: the generator's own output
    raw = networks.generator.get_watermark(audio.unsqueeze(1), message=bits)[:, 0, : audio.shape[-1]]
    assert torch.equal(watermark_signal(networks.generator, audio, bits), raw)


def test_embed_at_inference_meets_the_same_target(speech):
    torch.manual_seed(0)
    networks = build_networks(PRESETS["tiny"])
    audio = speech(3.3, 4)
    for chunking in ({}, {"chunk_seconds": 1.0, "overlap_seconds": 0.25}):
        marked = Watermarker(networks, payload=None, **chunking).embed(audio, 1234)
        snr = 10 * np.log10((audio ** 2).sum() / ((marked - audio) ** 2).sum())
        assert abs(snr - PRESETS["tiny"].target_snr_db) < 0.5, (chunking, snr)
    # with the payload channel (20 dB) on top, the two independent marks' powers add
    channel = DEFAULT_PAYLOAD.snr_db
    expected = -10 * np.log10(10 ** (-PRESETS["tiny"].target_snr_db / 10) + 10 ** (-channel / 10))
    marked = Watermarker(networks).embed(audio, 1234)
    snr = 10 * np.log10((audio ** 2).sum() / ((marked - audio) ** 2).sum())
    assert abs(snr - expected) < 1.0, (snr, expected)


def test_config_level_round_trips_and_defaults():
    assert WatermarkConfig().target_snr_db == 28.0 and PRESETS["official"].target_snr_db is None
    for config in (WatermarkConfig(target_snr_db=25.5), WatermarkConfig(target_snr_db=None)):
        assert WatermarkConfig.from_dict(config.to_dict()) == config
    legacy = {k: v for k, v in WatermarkConfig().to_dict().items() if k != "target_snr_db"}
    assert WatermarkConfig.from_dict(legacy).target_snr_db == 28.0
    assert build_networks(PRESETS["official"]).generator.target_snr_db is None


def test_raw_output_is_returned_for_the_level_penalty():
    import torch

    from watermark.model import build_networks, message_bits, preset, watermark_signal

    networks = build_networks(preset("tiny"))
    audio = 0.1 * torch.randn(2, 4000)
    bits = message_bits(torch.tensor([1, 2]), 16)
    mark, raw = watermark_signal(networks.generator, audio, bits, with_raw=True)
    assert mark.shape == raw.shape == audio.shape
    torch.testing.assert_close(watermark_signal(networks.generator, audio, bits), mark)
    # the rescaled mark does not depend on the raw scale (so only the training penalty holds it)
    last = [m for m in networks.generator.decoder.modules() if isinstance(m, torch.nn.Conv1d)][-1]
    with torch.no_grad():
        last.weight.mul_(100.0)
        last.bias.mul_(100.0)
    scaled_mark, scaled_raw = watermark_signal(networks.generator, audio, bits, with_raw=True)
    assert float(scaled_raw.detach().abs().max()) > 50 * float(raw.detach().abs().max())
    torch.testing.assert_close(scaled_mark, mark, rtol=1e-3, atol=1e-6)


def test_fast_transposed_convolution_is_the_same_function():
    from watermark.model import _transposed_by_matmul, fast_transposed_convolutions

    torch.manual_seed(0)
    for kernel, stride in ((4, 2), (10, 5), (16, 8), (3, 3)):
        layer = torch.nn.ConvTranspose1d(6, 5, kernel, stride)
        x = torch.randn(2, 6, 37)
        assert torch.allclose(_transposed_by_matmul(layer, x), layer(x), atol=1e-5)
    odd = torch.nn.Sequential(torch.nn.ConvTranspose1d(4, 4, 5, 2), torch.nn.ConvTranspose1d(4, 4, 4, 2, padding=1))
    assert fast_transposed_convolutions(odd) == 0  # kernel not a multiple of the stride / padded: left alone
    generator = build_networks(PRESETS["tiny"]).generator  # build_generator applied it already
    audio, bits = torch.randn(1, 1, 4000) * 0.1, torch.zeros(1, 16, dtype=torch.long)
    fast = generator.get_watermark(audio, message=bits)
    for layer in generator.modules():
        layer.__dict__.pop("forward", None)
    assert torch.allclose(fast, generator.get_watermark(audio, message=bits), atol=1e-5)
