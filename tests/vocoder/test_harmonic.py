"""The harmonic-plus-noise head: source, phase, filters, chunking and training (tiny models)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tts_moe.audio import MelConfig, log_mel
from tts_moe.errors import InputError
from vocoder.config import VocoderConfig, preset
from vocoder.harmonic import envelope_prior, frame_phases, minimum_phase, pulse_train, sample_phases
from vocoder.loader import Vocoder
from vocoder.model import Generator
from vocoder.train import train

from .test_vocoder_train import TINY_DISC, quiet


def test_pulse_train_is_the_sum_of_its_harmonics():
    phase = torch.rand(2, 500) * 2 * math.pi - math.pi
    phase[0, :3] = torch.tensor([0.0, 1e-6, -1e-6])  # the kernel's removable singularity
    harmonics = torch.randint(1, 40, (2, 500)).float()
    k = torch.arange(1, 41).float()
    expected = (torch.cos(k * phase[..., None]) * (k <= harmonics[..., None])).sum(-1)
    assert torch.allclose(pulse_train(phase, harmonics), expected, atol=2e-3)


def test_phase_integrates_the_interpolated_f0():
    hop, rate = 256, 16000
    f0 = torch.tensor([[100.0, 180.0, 140.0, 140.0, 300.0]])
    per_sample = torch.cat([torch.from_numpy(np.interp(np.arange(hop * 5), np.arange(5) * hop, f0[0].numpy()))])
    expected = torch.remainder(2 * math.pi / rate * (torch.cumsum(per_sample, 0) - per_sample) + math.pi,
                               2 * math.pi) - math.pi
    got = sample_phases(f0, frame_phases(f0, hop, rate), hop, rate)[0]
    difference = torch.remainder(got.double() - expected + math.pi, 2 * math.pi) - math.pi
    assert difference.abs().max() < 1e-4


def test_anchor_sets_the_phase_of_its_frame():
    f0 = torch.full((2, 10), 123.0)
    plain = frame_phases(f0, 256, 16000)
    anchored = frame_phases(f0, 256, 16000, anchor_frame=4, anchor_phase=torch.tensor([1.0, -2.0]))
    assert torch.allclose(anchored[:, 4], torch.tensor([1.0, -2.0], dtype=torch.float64))
    assert torch.allclose(anchored - anchored[:, :1], plain - plain[:, :1])


def test_minimum_phase_keeps_the_magnitude_and_front_loads_the_response():
    n_fft = 1024
    freqs = torch.linspace(0, 1, n_fft // 2 + 1)
    log_magnitude = (-3 * freqs + 0.8 * torch.exp(-((freqs - 0.1) / 0.02) ** 2))[None, :, None]
    spectrum = minimum_phase(log_magnitude, n_fft)
    assert torch.allclose(spectrum.abs().log(), log_magnitude, atol=1e-3)
    response = torch.fft.irfft(spectrum[0, :, 0], n=n_fft)
    energy = response.pow(2)
    assert energy[: n_fft // 8].sum() > 0.95 * energy.sum()  # causal, decaying
    assert not torch.allclose(spectrum.imag, torch.zeros_like(spectrum.imag), atol=1e-3)


def test_minimum_phase_adds_the_extra_phase():
    n_fft = 256
    log_magnitude = torch.randn(2, n_fft // 2 + 1, 5) * 0.3
    extra = torch.randn(2, n_fft // 2 + 1, 5)
    plain = minimum_phase(log_magnitude, n_fft)
    shifted = minimum_phase(log_magnitude, n_fft, extra)
    assert torch.allclose(shifted.abs(), plain.abs(), atol=1e-5)
    turned = torch.angle(shifted * plain.conj())
    assert torch.allclose(turned, torch.remainder(extra + math.pi, 2 * math.pi) - math.pi, atol=1e-4)


def test_envelope_prior_recovers_a_flat_spectrum():
    config = MelConfig()
    weights, bias = envelope_prior(config)
    from tts_moe.audio import mel_filterbank

    area = mel_filterbank(config).sum(dim=0)
    flat = math.log(0.37)
    mel = torch.log(0.37 * area)  # the log-mel of a spectrum that is 0.37 in every bin
    assert torch.allclose(weights @ mel + bias, torch.full_like(bias, flat), atol=1e-4)


@pytest.fixture(scope="module")
def harmonic_vocoder():
    torch.manual_seed(3)
    generator = Generator(VocoderConfig(dim=32, intermediate_dim=64, num_layers=3, head="harmonic", phase_terms=6))
    for block in generator.blocks:
        torch.nn.init.ones_(block.gamma)
    with torch.no_grad():  # a phase residual in use, so chunked synthesis is checked with it
        generator.head.proj.weight[2 * generator.head.n_bins : -1].normal_(0.0, 0.3)
    return Vocoder(generator)


def test_phase_terms_turn_the_harmonic_filter_only(harmonic_vocoder):
    generator = harmonic_vocoder.generator
    mel = torch.randn(1, 80, 50, generator=torch.Generator().manual_seed(5)) - 4.0
    with torch.no_grad():
        out = generator.head.project(generator.features(mel))
        assert out.shape == (1, 2 * generator.head.n_bins + 6 + 1, 50)
        rest = out.clone()
        rest[:, 2 * generator.head.n_bins : -1] = 0.0
        turned, plain = generator.head.synthesise_from(out, mel), generator.head.synthesise_from(rest, mel)
    assert torch.equal(turned.log_f0, plain.log_f0)  # F0 stays the last row
    assert (turned.audio - plain.audio).abs().max() > 1e-3 * plain.audio.abs().max()


def test_phase_basis_is_linear_then_mel_warped():
    from vocoder.harmonic import hz_to_mel, phase_basis

    basis = phase_basis(513, 3, 4, 16000)
    omega = torch.linspace(0.0, math.pi, 513)
    assert basis.shape == (513, 7)
    assert torch.allclose(basis[:, 2], torch.sin(3 * omega))
    assert basis[0].abs().max() < 1e-6 and basis[-1].abs().max() < 1e-5  # zero at DC and Nyquist
    # the first mel-warped term rises through its first half-wave by the mel midpoint, far below 4 kHz
    midpoint_hz = float(700 * (10 ** (hz_to_mel(torch.tensor(8000.0)) / 2 / 2595) - 1))
    assert 1500 < midpoint_hz < 2500 and float(basis[:, 3].argmax()) * 8000 / 512 == pytest.approx(midpoint_hz, abs=16)
    # finer at low frequencies: the highest warped term crosses zero more often below 1 kHz than the linear one
    crossings = lambda column: int((column[:65].sign().diff() != 0).sum())  # bins 0-1 kHz
    assert crossings(basis[1:, 6]) > crossings(basis[1:, 2])


def test_teacher_forced_f0_sets_the_pitch(harmonic_vocoder):
    mel = log_mel(torch.randn(16000) * 0.1)[None]
    out = harmonic_vocoder.generator.synthesise(mel, log_f0=torch.full((1, mel.shape[-1]), math.log(200.0)))
    audio = out.audio[0, 2000:14000].double()
    spectrum = torch.fft.rfft(audio * torch.hann_window(audio.numel(), dtype=torch.float64)).abs()
    spectrum[: int(60 * audio.numel() / 16000)] = 0  # ignore DC
    peak_hz = float(spectrum.argmax()) * 16000 / audio.numel()
    assert peak_hz % 200 < 3 or peak_hz % 200 > 197, peak_hz  # strongest line is a harmonic of 200 Hz
    assert out.log_f0.shape == (1, mel.shape[-1])


def test_harmonic_chunked_synthesis_matches_whole(harmonic_vocoder):
    mel = torch.randn(80, 333, generator=torch.Generator().manual_seed(4)) - 4.0
    whole = harmonic_vocoder(mel).numpy()
    for chunk in (64, 100, 1000):
        chunked = harmonic_vocoder.synthesize(mel, chunk_frames=chunk)
        assert chunked.shape == whole.shape == (333 * 256,)
        assert np.abs(chunked - whole).max() < 1e-3 * np.abs(whole).max(), chunk
    assert np.abs(whole).max() > 0.01


def test_noise_is_read_at_absolute_positions(harmonic_vocoder):
    head = harmonic_vocoder.generator.head
    assert torch.equal(head.noise(1, 100, 50), head.noise(1, 150, 0)[:, 50:])
    pair = head.noise(2, 10, torch.tensor([0, 7]))
    assert torch.equal(pair[1, :3], head.noise(1, 10, 0)[0, 7:])


def test_head_is_checked_and_old_configs_load():
    with pytest.raises(InputError, match="head"):
        VocoderConfig(head="wavenet")
    old = VocoderConfig().to_dict()
    old.pop("head")
    old["version"] = 1
    assert VocoderConfig.from_dict(old).head == "istft"
    assert VocoderConfig.from_dict({**preset("hn-small").to_dict(), "version": 2}).phase_terms == 0
    with pytest.raises(InputError, match="phase_terms"):
        VocoderConfig(head="istft", phase_terms=4)
    with pytest.raises(InputError, match="phase_terms"):
        VocoderConfig(head="harmonic", phase_terms=-1)
    with pytest.raises(InputError, match="mel_phase_terms"):
        VocoderConfig(head="istft", mel_phase_terms=4)
    assert VocoderConfig.from_dict({**preset("hn-small").to_dict(), "version": 3}).mel_phase_terms == 0
    assert preset("hn-small").receptive_field_frames > preset("small").receptive_field_frames


@pytest.mark.parametrize("bf16", [False, True])
def test_harmonic_training_logs_f0(corpus, tmp_path, bf16):
    opts = dict(corpus=str(corpus), run_dir=str(tmp_path / "run"), steps=3, batch_size=2,
                segment_seconds=0.3, preset="hn-tiny", disc_start_step=2, log_every=1, warmup_steps=1,
                discriminator=TINY_DISC, val_clips=2, bf16=bf16)
    from vocoder.train import TrainOptions

    state = train(TrainOptions(**opts), log=quiet)
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [line for line in lines if "loss_g" in line]
    assert len(steps) == 3 and all(math.isfinite(line["f0"]) for line in steps)
    assert "adv" in steps[-1]  # the discriminators work with this head too
    validation = state["validation"][-1]
    assert math.isfinite(validation["val_mel_l1"]) and validation["val_f0_cents"] > 0


def test_head_stays_float32_under_bf16_autocast():
    generator = Generator(preset("hn-tiny"))
    mel = log_mel(torch.randn(4000) * 0.1)[None]
    with torch.no_grad():
        reference = generator.synthesise(mel)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            features = generator.features(mel)
            mixed = generator.head(features, mel)
        exact = generator.head(features.float(), mel)
        assert not torch.equal(features, generator.features(mel))  # the backbone did run in bf16
    assert mixed.audio.dtype == mixed.log_f0.dtype == torch.float32
    # the head under autocast computes exactly what it computes outside it on the same features
    assert torch.equal(mixed.log_f0, exact.log_f0) and torch.allclose(mixed.audio, exact.audio, atol=1e-6)
    # and the bf16 backbone moves the predicted F0 by under 2e-3 nepers (3.5 cents) here
    assert (mixed.log_f0 - reference.log_f0).abs().max() < 2e-3


def test_resumed_harmonic_run_reuses_its_pitch_tracks(corpus, tmp_path):
    from vocoder.train import PITCH_FILE, TrainOptions

    opts = dict(corpus=str(corpus), run_dir=str(tmp_path / "run"), steps=2, batch_size=2, segment_seconds=0.3,
                preset="hn-tiny", disc_start_step=100, log_every=1, warmup_steps=1, val_clips=1)
    train(TrainOptions(**opts), log=quiet)
    assert (tmp_path / "run" / PITCH_FILE).is_file()
    messages = []
    state = train(TrainOptions(**{**opts, "steps": 3, "resume": True}), log=messages.append)
    assert state["step"] == 3
    reused = [m for m in messages if m.startswith("reused")]
    assert reused and int(reused[0].split()[1]) > 0


def test_a_new_run_reads_and_updates_a_shared_pitch_cache(corpus, tmp_path):
    from vocoder.train import PITCH_FILE, TrainOptions

    cache = tmp_path / "cache.npz"
    opts = dict(corpus=str(corpus), steps=2, batch_size=2, segment_seconds=0.3, preset="hn-tiny",
                disc_start_step=100, log_every=1, warmup_steps=1, val_clips=1, pitch_cache=str(cache))
    train(TrainOptions(run_dir=str(tmp_path / "a"), **opts), log=quiet)
    assert cache.is_file() and (tmp_path / "a" / PITCH_FILE).is_file()
    messages = []
    train(TrainOptions(run_dir=str(tmp_path / "b"), **opts), log=messages.append)  # a new run, not a resume
    reused = [m for m in messages if m.startswith("reused")]
    assert len(reused) == 1 and str(cache) in reused[0] and int(reused[0].split()[1]) > 0


def test_phase_terms_are_added_to_initial_weights(corpus, tmp_path):
    from vocoder.train import TrainOptions

    source = Generator(preset("hn-tiny"))
    Vocoder(source).save_pretrained(tmp_path / "start")
    opts = dict(corpus=str(corpus), steps=1, batch_size=2, segment_seconds=0.3, disc_start_step=100,
                log_every=1, warmup_steps=1, val_clips=1, init_from=str(tmp_path / "start"))
    messages = []
    train(TrainOptions(run_dir=str(tmp_path / "wide"), phase_terms=3, **opts), log=messages.append)
    saved = json.loads((tmp_path / "wide" / "config.json").read_text())["vocoder"]
    assert saved["phase_terms"] == 3 and saved["mel_phase_terms"] == 0 and saved["version"] == 4
    assert any("phase terms 3 linear + 0 mel-warped" in m for m in messages)
    from vocoder.export import export_run

    card = export_run(tmp_path / "wide", tmp_path / "wide-out")
    assert card["config"]["phase_terms"] == 3 and card["training"]["options"]["phase_terms"] == 3
    assert Vocoder.from_pretrained(tmp_path / "wide-out").generator.head.phase_terms == 3
    with pytest.raises(InputError, match="fewer"):
        train(TrainOptions(run_dir=str(tmp_path / "narrow"), phase_terms=1,
                           **{**opts, "init_from": str(tmp_path / "wide-out")}), log=quiet)
    with pytest.raises(InputError, match="phase_terms"):
        train(TrainOptions(run_dir=str(tmp_path / "istft"), phase_terms=2, preset="tiny",
                           **{k: v for k, v in opts.items() if k != "init_from"}), log=quiet)
    train(TrainOptions(run_dir=str(tmp_path / "mel"), mel_phase_terms=2,
                       **{**opts, "init_from": str(tmp_path / "wide-out")}), log=quiet)
    card = export_run(tmp_path / "mel", tmp_path / "mel-out")
    assert (card["config"]["phase_terms"], card["config"]["mel_phase_terms"]) == (3, 2)
    assert card["training"]["options"]["mel_phase_terms"] == 2
    with pytest.raises(InputError, match="--mel-phase-terms 1 is fewer"):
        train(TrainOptions(run_dir=str(tmp_path / "mel-narrow"), mel_phase_terms=1,
                           **{**opts, "init_from": str(tmp_path / "mel-out")}), log=quiet)
