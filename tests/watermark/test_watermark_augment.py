"""Each training/benchmark edit changes the audio as intended (band, level, length, mask)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from watermark import augment
from watermark.augment.codecs import codec_round_trip

SR = 16_000


def noise_batch(seconds: float = 1.0, batch: int = 2, seed: int = 0) -> torch.Tensor:
    return 0.1 * torch.randn(batch, int(seconds * SR), generator=torch.Generator().manual_seed(seed))


def band_energy(audio: torch.Tensor, low: float, high: float) -> float:
    spectrum = torch.fft.rfft(audio, dim=-1).abs().pow(2)
    freqs = torch.fft.rfftfreq(audio.shape[-1], 1 / SR)
    return float(spectrum[..., (freqs >= low) & (freqs < high)].sum())


def gen(seed: int = 1) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def ones(audio: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(audio)


def test_lowpass_removes_the_high_band():
    x = noise_batch()
    y, m = augment.lowpass(x, ones(x), gen(), cutoff_hz=3000)
    assert y.shape == x.shape and torch.equal(m, ones(x))
    assert band_energy(y, 3500, 8000) < 1e-4 * band_energy(x, 3500, 8000)
    assert band_energy(y, 0, 2500) == pytest.approx(band_energy(x, 0, 2500), rel=1e-3)


def test_highpass_removes_the_low_band():
    x = noise_batch()
    y, _ = augment.highpass(x, ones(x), gen(), cutoff_hz=500)
    assert band_energy(y, 0, 400) < 1e-4 * band_energy(x, 0, 400)
    assert band_energy(y, 1000, 8000) == pytest.approx(band_energy(x, 1000, 8000), rel=1e-3)


def test_bandpass_keeps_only_the_band():
    x = noise_batch()
    y, _ = augment.bandpass(x, ones(x), gen(), low_hz=300, high_hz=4000)
    assert band_energy(y, 0, 200) < 1e-3 * band_energy(x, 0, 200)
    assert band_energy(y, 4200, 8000) < 1e-3 * band_energy(x, 4200, 8000)
    assert band_energy(y, 500, 3800) == pytest.approx(band_energy(x, 500, 3800), rel=1e-2)


@pytest.mark.parametrize("edit", [augment.white_noise, augment.pink_noise])
@pytest.mark.parametrize("snr", [10.0, 20.0])
def test_noise_is_added_at_the_requested_snr(edit, snr):
    x = noise_batch()
    y, _ = edit(x, ones(x), gen(), snr_db=snr)
    measured = 10 * torch.log10(x.pow(2).mean(-1) / (y - x).pow(2).mean(-1))
    assert torch.allclose(measured, torch.full_like(measured, snr), atol=0.01)
    again, _ = edit(x, ones(x), gen(), snr_db=snr)
    assert torch.equal(y, again)  # seeded


def test_pink_noise_has_more_low_than_high_energy_per_hz():
    x = torch.zeros(1, SR) + 1e-3 * torch.randn(1, SR)
    y, _ = augment.pink_noise(x, ones(x), gen(), snr_db=-20)
    noise = y - x
    assert band_energy(noise, 100, 600) / 500 > 5 * band_energy(noise, 4000, 8000) / 4000


def test_volume_changes_the_level():
    x = noise_batch()
    y, _ = augment.volume(x, ones(x), gen(), gain_db=-6.0)
    assert float(20 * torch.log10(y.abs().max() / x.abs().max())) == pytest.approx(-6.0, abs=1e-4)


def test_echo_adds_a_delayed_copy():
    x = noise_batch()
    y, _ = augment.echo(x, ones(x), gen(), delay_s=0.1, decay=0.5)
    scale = (y * x).sum(-1, keepdim=True) / x.pow(2).sum(-1, keepdim=True)  # the peak rescaling
    residual = y / scale - x
    delay = int(0.1 * SR)
    correlation = float((residual[:, delay:] * x[:, :-delay]).sum() / x[:, :-delay].pow(2).sum())
    assert correlation == pytest.approx(0.5, abs=0.05)
    assert float(y.abs().max()) <= float(x.abs().max()) + 1e-6


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_changes_length_and_moves_the_mask(factor):
    x = noise_batch()
    mask = torch.zeros_like(x)
    mask[:, : SR // 2] = 1
    y, m = augment.speed(x, mask, gen(), factor=factor)
    assert y.shape[-1] == round(SR / factor) and m.shape == y.shape
    assert float(m.mean()) == pytest.approx(0.5, abs=0.01)
    assert float(m[:, : int(0.45 * SR / factor)].min()) == 1.0


def test_crop_keeps_a_window_of_the_requested_length():
    x = noise_batch(2.0)
    y, m = augment.crop(x, ones(x), gen(), seconds=1.0)
    assert y.shape == (2, SR) and m.shape == y.shape
    for row in range(2):  # each row is a contiguous slice of its input
        start = int(torch.nonzero(x[row] == y[row, 0])[0])
        assert torch.equal(x[row, start : start + SR], y[row])


def test_splice_replaces_the_rest_with_unmarked_audio():
    x, other = noise_batch(seed=1), noise_batch(seed=2)
    y, m = augment.splice(x, ones(x), gen(), unmarked=other, fraction=0.3)
    assert float(m.mean()) == pytest.approx(0.3, abs=1e-3)
    assert torch.equal(y[m == 1], x[m == 1]) and torch.equal(y[m == 0], other[m == 0])
    for row in m:  # one contiguous marked window
        assert int((row.diff() != 0).sum()) <= 2


@pytest.mark.parametrize("rate", [8000, 22050])
def test_resample_round_trip_keeps_length_and_limits_band(rate):
    x = noise_batch()
    y, _ = augment.resample_round_trip(x, ones(x), gen(), rate=rate)
    assert y.shape == x.shape
    if rate == 8000:
        assert band_energy(y, 4200, 8000) < 1e-2 * band_energy(x, 4200, 8000)
    else:
        assert band_energy(y, 0, 6000) == pytest.approx(band_energy(x, 0, 6000), rel=0.02)
        assert not torch.equal(y, x)


def test_straight_through_edits_pass_gradients():
    x = noise_batch().requires_grad_(True)
    y, _ = augment.resample_round_trip(x, ones(x), gen(), rate=8000)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.ones_like(x))


@pytest.mark.parametrize("name,kbps", [("mp3", 64), ("aac", 64), ("opus", 32)])
def test_codecs_round_trip_keeps_length_alignment_and_limits_band(name, kbps):
    t = np.arange(SR) / SR
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = codec_round_trip(tone, name, kbps)
    assert out.shape == tone.shape and out.dtype == np.float32
    middle = slice(2000, SR - 2000)
    assert np.corrcoef(out[middle], tone[middle])[0, 1] > 0.98  # aligned, not shifted
    x = noise_batch()
    y, m = augment.codec(x, ones(x), gen(), name=name, bitrate_kbps=kbps)
    assert y.shape == x.shape and torch.equal(m, ones(x))
    assert not torch.allclose(y, x, atol=1e-3)


def test_training_policy_is_seeded_and_edits_both_versions_alike():
    policy = augment.TrainingPolicy(codecs=False)
    marked, original = noise_batch(seed=3), noise_batch(seed=4)
    for seed in range(12):
        a = policy.apply(marked, original, gen(seed))
        b = policy.apply(marked, original, gen(seed))
        assert a[3] == b[3] and torch.equal(a[0], b[0]) and torch.equal(a[2], b[2])
        assert a[0].shape == a[1].shape == a[2].shape
        length = a[0].shape[-1]  # the batch length, or a crop on the 0.1 s grid
        assert length == marked.shape[-1] or (length % 1600 == 0 and length < marked.shape[-1])
        assert set(a[2].unique().tolist()) <= {0.0, 1.0}


def test_benchmark_edits_cover_the_issue_list():
    names = set(augment.EDITS)
    for needed in ("clean", "resample 8 kHz", "mp3 64 kbit/s", "mp3 128 kbit/s", "white noise 10 dB",
                   "pink noise 20 dB", "low-pass 3 kHz", "high-pass 500 Hz", "speed +10 %", "speed -10 %",
                   "echo 100 ms", "volume +6 dB", "volume -6 dB", "crop 1 s"):
        assert needed in names
