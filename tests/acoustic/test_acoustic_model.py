import math

import pytest
import torch

from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.model import AcousticModel, Controls, phoneme_means
from tts_moe.errors import InputError


def inputs(batch=2, phonemes=7):
    torch.manual_seed(0)
    ids = torch.randint(1, 40, (batch, phonemes))
    id_mask = torch.ones(batch, phonemes, dtype=torch.bool)
    id_mask[1, -2:] = False
    return ids, id_mask, torch.tensor([0, 1]), torch.tensor([0, 2])


def model_for(config):
    torch.manual_seed(0)
    model = AcousticModel(config).eval()
    with torch.no_grad():  # predictors give clearly positive durations so rate changes are visible
        model.duration_predictor.proj.bias.fill_(2.0)
    return model


def test_training_pass_shapes_and_gradients(tiny_config):
    model = AcousticModel(tiny_config)
    ids, id_mask, speaker, style = inputs()
    frames = 30
    mel = torch.randn(2, frames, 80)
    mel_mask = torch.ones(2, frames, dtype=torch.bool)
    mel_mask[1, 20:] = False
    out = model(ids, id_mask, speaker, style, mel, mel_mask, torch.full((2, frames), 5.0),
                torch.ones(2, frames), torch.zeros(2, frames))
    assert out.mel.shape == (2, frames, 80)
    assert out.durations.sum(1).tolist() == [30, 20]
    assert len(out.routing) == len(tiny_config.moe_layers)
    (out.mel.abs().mean() + out.log_duration.sum() + out.routing[0].aux_loss).backward()
    assert model.embedding.weight.grad is not None and model.aligner.embedding.weight.grad is None


def test_rate_pitch_and_range_controls(tiny_config):
    model = model_for(tiny_config)
    ids, id_mask, speaker, style = inputs()
    base = model.synthesize(ids, id_mask, speaker, style)
    fast = model.synthesize(ids, id_mask, speaker, style, Controls(rate=2.0))
    assert fast.mel.shape[1] < base.mel.shape[1]
    assert (fast.durations.sum(1).float() / base.durations.sum(1).float() - 0.5).abs().max() < 0.2
    up = model.synthesize(ids, id_mask, speaker, style, Controls(pitch_shift=12.0))
    step = math.log(2) / tiny_config.pitch_std
    torch.testing.assert_close((up.pitch - base.pitch)[id_mask], torch.full((int(id_mask.sum()),), step))
    flat = model.synthesize(ids, id_mask, speaker, style, Controls(pitch_range=0.0))
    for row in range(2):
        values = flat.pitch[row][id_mask[row]]
        assert values.max() - values.min() < 1e-5
    per_item = model.synthesize(ids, id_mask, speaker, style, Controls(rate=torch.tensor([1.0, 2.0])))
    assert per_item.durations[0].tolist() == base.durations[0].tolist()
    assert per_item.durations[1].sum() < base.durations[1].sum()
    with pytest.raises(InputError, match="rate"):
        model.synthesize(ids, id_mask, speaker, style, Controls(rate=0.0))


def test_routing_is_returned_and_can_be_forced_or_made_dense(tiny_config):
    model = model_for(tiny_config)
    ids, id_mask, speaker, style = inputs()
    out = model.synthesize(ids, id_mask, speaker, style)
    routing = out.routing[0]
    assert routing.experts.shape == (2, 7, tiny_config.top_k)
    assert (routing.experts[~id_mask] == -1).all()
    bias = torch.zeros(tiny_config.num_experts)
    bias[3] = 1e4
    forced = model.synthesize(ids, id_mask, speaker, style, expert_bias=bias).routing[0]
    assert (forced.experts[id_mask][:, 0] == 3).all()
    dense = model.synthesize(ids, id_mask, speaker, style, dense=True)
    assert dense.routing[0].experts.shape[-1] == tiny_config.num_experts
    assert dense.mel.shape != out.mel.shape or not torch.allclose(dense.mel, out.mel)


def test_style_mix_interpolates_between_styles(tiny_config):
    model = model_for(tiny_config)
    speaker = torch.tensor([0])
    a = model.condition(speaker, torch.tensor([0]))
    b = model.condition(speaker, torch.tensor([2]))
    half = model.condition(speaker, torch.tensor([0]), (torch.tensor([2]), torch.tensor([0.5])))
    torch.testing.assert_close(half, (a + b) / 2)


def test_top1_and_dense_twin_build(tiny_config):
    for overrides in ({"top_k": 1}, {"mixture": False}):
        config = AcousticConfig.from_dict({**tiny_config.to_dict(), **overrides})
        model = model_for(config)
        ids, id_mask, speaker, style = inputs()
        out = model.synthesize(ids, id_mask, speaker, style)
        assert out.mel.shape[0] == 2
        assert len(out.routing) == (0 if overrides.get("mixture") is False else 1)


def test_config_errors_and_mismatch_report(tiny_config):
    with pytest.raises(InputError, match="moe_layers"):
        AcousticConfig.from_dict({**tiny_config.to_dict(), "moe_layers": [5]})
    with pytest.raises(InputError, match="unknown fields"):
        AcousticConfig.from_dict({**tiny_config.to_dict(), "surprise": 1})
    other = AcousticConfig.from_dict({**tiny_config.to_dict(), "speakers": ["x"], "n_symbols": 10})
    differences = tiny_config.describe_mismatch(other)
    assert any(d.startswith("n_symbols") for d in differences) and any(d.startswith("speakers") for d in differences)


def test_phoneme_means_use_only_weighted_frames():
    values = torch.tensor([[1.0, 3.0, 10.0, 20.0, 0.0]])
    weights = torch.tensor([[1.0, 1.0, 0.0, 1.0, 1.0]])
    means = phoneme_means(values, weights, torch.tensor([[2, 2, 0]]), 3)
    torch.testing.assert_close(means, torch.tensor([[2.0, 20.0, 0.0]]))
