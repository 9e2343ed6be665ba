"""Generator shapes, the output-length relation and the documented receptive field."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_moe.audio import MelConfig, log_mel
from vocoder.config import VocoderConfig, preset
from vocoder.model import Generator, parameter_count


@pytest.mark.parametrize("batch,frames", [(1, 1), (2, 17), (3, 64)])
def test_output_shape(tiny_config, batch, frames):
    generator = Generator(tiny_config).eval()
    audio = generator(torch.randn(batch, 80, frames))
    assert audio.shape == (batch, frames * 256)
    assert torch.isfinite(audio).all()


@pytest.mark.parametrize("samples", [513, 4000, 4096, 16000, 16255])
def test_output_length_relation_to_clip(tiny_config, samples):
    audio = np.random.default_rng(0).standard_normal(samples).astype(np.float32) * 0.1
    mel = log_mel(audio, MelConfig())
    out = Generator(tiny_config).eval()(mel[None])
    assert mel.shape[-1] == samples // 256 + 1
    assert samples < out.shape[-1] <= samples + 256


def test_receptive_field_is_as_documented():
    config = VocoderConfig(dim=16, intermediate_dim=32, num_layers=3)
    generator = Generator(config).eval()
    mel = torch.randn(1, 80, 120)
    changed = mel.clone()
    changed[..., 60] += 3.0
    with torch.no_grad():
        diff = (generator(changed) - generator(mel)).abs()[0]
    affected = torch.nonzero(diff > 0).flatten()
    reach = config.receptive_field_frames * 256
    assert affected.numel() > 0
    assert affected.min() >= 60 * 256 - reach and affected.max() < 60 * 256 + reach


def test_presets_build_and_base_size():
    assert 6e6 < parameter_count(Generator(preset("base"))) < 10e6
    assert parameter_count(Generator(preset("small"))) < parameter_count(Generator(preset("base")))


def test_config_roundtrip_and_validation():
    config = VocoderConfig(dim=8, intermediate_dim=16, num_layers=1)
    assert VocoderConfig.from_dict(config.to_dict()) == config
    from tts_moe.errors import InputError

    with pytest.raises(InputError, match="kernel_size"):
        VocoderConfig(kernel_size=4)
    with pytest.raises(InputError, match="unknown keys"):
        VocoderConfig.from_dict({**config.to_dict(), "bogus": 1})
    with pytest.raises(InputError, match="newer"):
        VocoderConfig.from_dict({**config.to_dict(), "version": 99})


@pytest.mark.parametrize("name", ["tiny", "hn-tiny"])
def test_grown_generator_starts_as_its_source(name):
    from dataclasses import replace

    from vocoder.model import load_grown

    torch.manual_seed(0)
    source = Generator(preset(name)).eval()
    for parameter in source.parameters():  # a trained-looking source, not the init
        parameter.data.add_(0.05 * torch.randn_like(parameter))
    grown = Generator(replace(source.config, num_layers=source.config.num_layers + 2)).eval()
    assert load_grown(grown, source) == 2
    assert parameter_count(grown) > parameter_count(source)
    mel = torch.randn(1, 80, 40)
    with torch.no_grad():
        assert torch.allclose(grown(mel), source(mel), atol=1e-6)
        grown.blocks[-1].gamma.fill_(1.0)  # once trained, the new blocks change the output
        assert (grown(mel) - source(mel)).abs().max() > 1e-5
    with pytest.raises(ValueError, match="layers"):
        load_grown(Generator(replace(source.config, dim=48, num_layers=4)), source)
    with pytest.raises(ValueError, match="layers"):
        load_grown(source, grown)


def test_widened_harmonic_head_starts_as_its_source():
    from dataclasses import replace

    from vocoder.model import load_grown

    torch.manual_seed(1)
    source = Generator(preset("hn-tiny")).eval()
    for parameter in source.parameters():
        parameter.data.add_(0.05 * torch.randn_like(parameter))
    wide = Generator(replace(source.config, phase_terms=5, num_layers=3)).eval()
    assert load_grown(wide, source) == 1
    mel = torch.randn(1, 80, 40)
    with torch.no_grad():
        assert torch.allclose(wide(mel), source(mel), atol=1e-6)
        wide.head.proj.weight[-3].fill_(0.1)  # a phase term's row, once trained, changes the output
        assert (wide(mel) - source(mel)).abs().max() > 1e-5
    with pytest.raises(ValueError, match="phase terms"):
        load_grown(source, wide)


def test_both_phase_bases_widen_in_place():
    """Adding mel-warped terms beside trained linear ones keeps every trained row where it acts."""
    from dataclasses import replace

    from vocoder.model import load_grown

    torch.manual_seed(2)
    source = Generator(replace(preset("hn-tiny"), phase_terms=3, mel_phase_terms=2)).eval()
    for parameter in source.parameters():
        parameter.data.add_(0.05 * torch.randn_like(parameter))
    wide = Generator(replace(source.config, phase_terms=5, mel_phase_terms=4)).eval()
    load_grown(wide, source)
    mel = torch.randn(1, 80, 40)
    with torch.no_grad():
        assert torch.allclose(wide(mel), source(mel), atol=1e-6)
        first = wide.head.phase_rows.start
        assert torch.equal(wide.head.proj.weight[first + 5 : first + 7], source.head.proj.weight[first + 3 : first + 5])
        assert not wide.head.proj.weight[first + 3 : first + 5].any() and not wide.head.proj.weight[first + 7 :-1].any()
    with pytest.raises(ValueError, match="phase terms"):
        load_grown(Generator(replace(source.config, phase_terms=5, mel_phase_terms=1)), source)
