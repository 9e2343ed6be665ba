"""The per-phoneme MoE layer: dispatch equivalence, routing controls, capacity, losses."""

from __future__ import annotations

import math

import pytest
import torch

from tts_moe.errors import InputError
from tts_moe.model.moe import DenseFeedForward, MoEConfig, MoEFeedForward


def make(seed=0, **overrides):
    torch.manual_seed(seed)
    config = MoEConfig(**{"dim": 16, "hidden": 32, "num_experts": 4, "top_k": 2, **overrides})
    layer = MoEFeedForward(config)
    torch.nn.init.normal_(layer.gate.weight, std=1.0)  # decisive routing for the tests
    return layer


def batch(seed=1, b=3, t=11, dim=16):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, t, dim, generator=g)
    mask = torch.ones(b, t, dtype=torch.bool)
    mask[1, 7:] = False
    mask[2, 4:] = False
    return x, mask


def manual(layer, x, mask, dense=False):
    """Slow per-token reference: the definition of top-k mixing, no capacity."""
    probs = layer.route_logits(x, None).softmax(-1)
    out = torch.zeros_like(x)
    for b in range(x.shape[0]):
        for t in range(x.shape[1]):
            if not mask[b, t]:
                continue
            if dense:
                pairs = [(e, probs[b, t, e]) for e in range(layer.config.num_experts)]
            else:
                w, e = probs[b, t].topk(layer.config.top_k)
                pairs = list(zip(e.tolist(), w / w.sum() if layer.config.top_k > 1 else w))
            for expert, weight in pairs:
                out[b, t] += weight * layer._expert(expert, x[b, t][None])[0]
    return out


@pytest.mark.parametrize("dispatch", ["grouped", "mask"])
@pytest.mark.parametrize("top_k", [1, 2])
def test_dispatch_matches_definition(dispatch, top_k):
    layer = make(top_k=top_k).eval()
    x, mask = batch()
    out, routing = layer(x, mask, dispatch=dispatch)
    torch.testing.assert_close(out, manual(layer, x, mask), rtol=1e-5, atol=1e-5)
    assert routing.experts.shape == (3, 11, top_k)
    assert (routing.experts[~mask] == -1).all() and (routing.experts[mask] >= 0).all()
    assert not routing.dropped.any()


def test_grouped_and_mask_agree_under_capacity_in_training():
    layer = make(capacity_factor=0.6).train()
    x, mask = batch(b=4, t=20)
    out_g, r_g = layer(x, mask, dispatch="grouped")
    out_m, r_m = layer(x, mask, dispatch="mask")
    torch.testing.assert_close(out_g, out_m, rtol=1e-5, atol=1e-5)
    assert torch.equal(r_g.dropped, r_m.dropped)
    assert r_g.dropped.any(), "capacity 0.6 must drop some assignments"
    tokens = int(mask.sum())
    capacity = math.ceil(0.6 * tokens * 2 / 4)
    kept = r_g.experts[mask][~r_g.dropped[mask]]
    assert torch.bincount(kept, minlength=4).max() <= capacity
    # a dropped slot contributes nothing and is reported with weight 0
    assert (r_g.weights[r_g.dropped] == 0).all()


def test_gradients_reach_gate_and_every_used_expert():
    layer = make().train()
    x, mask = batch()
    out, routing = layer(x, mask)
    (out.pow(2).mean() + routing.aux_loss).backward()
    assert layer.gate.weight.grad.abs().sum() > 0
    used = routing.experts[mask].unique()
    for e in used.tolist():
        assert layer.w_in.grad[e].abs().sum() > 0


def test_top1_gate_learns_from_the_output_alone():
    layer = make(top_k=1).train()
    x, mask = batch()
    out, routing = layer(x, mask)
    out.pow(2).mean().backward()  # no auxiliary loss: the gradient comes through the gate weight
    assert layer.gate.weight.grad.abs().sum() > 0
    assert (routing.weights[mask] < 1).all()  # the raw top-1 probability, not a renormalised 1


def test_padding_does_not_leak():
    layer = make().eval()
    x, mask = batch()
    out1, _ = layer(x, mask)
    x2 = x.clone()
    x2[~mask] = 100.0
    out2, _ = layer(x2, mask)
    torch.testing.assert_close(out1[mask], out2[mask])
    assert (out1[~mask] == 0).all()


def test_expert_bias_forces_and_forbids():
    layer = make().eval()
    x, mask = batch()
    force = torch.tensor([0.0, 0.0, 0.0, 1e4])
    _, routing = layer(x, mask, expert_bias=force)
    assert (routing.experts[mask][:, 0] == 3).all()
    forbid = torch.tensor([0.0, -math.inf, 0.0, 0.0])
    _, routing = layer(x, mask, expert_bias=forbid)
    assert not (routing.experts == 1).any()
    per_sentence = torch.zeros(3, 4)
    per_sentence[0, 2] = 1e4
    _, routing = layer(x, mask, expert_bias=per_sentence)
    assert (routing.experts[0, :, 0] == 2).all()
    assert not (routing.experts[1:][mask[1:]][:, 0] == 2).all()


def test_dense_path_mixes_every_expert():
    layer = make().eval()
    x, mask = batch()
    out, routing = layer(x, mask, dense=True)
    torch.testing.assert_close(out, manual(layer, x, mask, dense=True), rtol=1e-5, atol=1e-5)
    assert routing.experts.shape[-1] == 4


def test_condition_steers_the_gate():
    torch.manual_seed(0)
    layer = MoEFeedForward(MoEConfig(dim=16, hidden=32, num_experts=4, top_k=1, cond_dim=8)).eval()
    torch.nn.init.normal_(layer.gate.weight, std=1.0)
    x, mask = batch()
    with pytest.raises(InputError, match="condition"):
        layer(x, mask)
    a = torch.zeros(3, 8)
    b = torch.full((3, 8), 5.0)
    _, ra = layer(x, mask, a)
    _, rb = layer(x, mask, b)
    assert not torch.equal(ra.experts, rb.experts)
    per_phoneme = a[:, None, :].expand(-1, 11, -1)
    _, rc = layer(x, mask, per_phoneme)
    assert torch.equal(ra.experts, rc.experts)


def test_aux_losses_at_uniform_routing():
    layer = make()
    torch.nn.init.zeros_(layer.gate.weight)
    x, mask = batch()
    _, routing = layer(x, mask)
    assert routing.balance_loss.item() == pytest.approx(1.0, abs=1e-5)
    assert routing.z_loss.item() == pytest.approx(math.log(4) ** 2, abs=1e-5)


def test_balance_loss_spreads_a_collapsed_router():
    layer = make(top_k=1, balance_weight=1.0, z_weight=0.0).train()
    with torch.no_grad():
        layer.gate.weight.normal_(std=0.3)
        layer.gate.weight[0, 0] = 4.0  # expert 0 wins: every input has feature 0 = 1
    x = torch.randn(8, 30, 16, generator=torch.Generator().manual_seed(3))
    x[..., 0] = 1.0
    mask = torch.ones(8, 30, dtype=torch.bool)
    _, before = layer(x, mask)
    optimizer = torch.optim.SGD(layer.gate.parameters(), lr=0.5)
    for _ in range(60):
        optimizer.zero_grad()
        _, routing = layer(x, mask)
        routing.aux_loss.backward()
        optimizer.step()
    _, after = layer(x, mask)
    assert before.expert_share(mask).max() > 0.9
    assert after.expert_share(mask).max() < 0.6
    assert (after.expert_share(mask) > 0.05).sum() >= 3
    assert after.balance_loss < before.balance_loss


def test_bad_config_and_input():
    with pytest.raises(InputError, match="top_k"):
        MoEConfig(num_experts=4, top_k=5)
    layer = make()
    with pytest.raises(InputError, match="dim"):
        layer(torch.zeros(1, 3, 8))
    with pytest.raises(InputError, match="dispatch"):
        layer(torch.zeros(1, 3, 16), dispatch="loop")


def test_dense_baseline_matches_active_parameters():
    config = MoEConfig(dim=64, hidden=128, num_experts=8, top_k=2)
    moe = MoEFeedForward(config)
    dense = DenseFeedForward(64, 2 * 128)
    per_expert = (moe.w_in[0].numel() + moe.b_in[0].numel() + moe.w_out[0].numel()
                  + moe.b_out[0].numel())
    dense_params = sum(p.numel() for p in dense.parameters())
    assert abs(dense_params - 2 * per_expert) <= 64  # only one output bias differs


def test_grouped_dispatch_survives_an_all_padding_batch_and_matches_mask_gradients():
    layer = make().train()
    x, mask = batch()
    out, routing = layer(x, torch.zeros_like(mask), dispatch="grouped")
    assert (out == 0).all() and not routing.dropped.any()
    grads = {}
    for dispatch in ("grouped", "mask"):
        layer.zero_grad()
        source = x.clone().requires_grad_(True)
        out, _ = layer(source, mask, dispatch=dispatch)
        out.pow(2).mean().backward()
        grads[dispatch] = (source.grad, layer.w_in.grad.clone(), layer.w_out.grad.clone(), layer.b_in.grad.clone())
    for grouped, masked in zip(grads["grouped"], grads["mask"]):
        torch.testing.assert_close(grouped, masked, rtol=1e-5, atol=1e-6)


def test_grouped_and_mask_drop_the_same_assignments_when_gate_weights_tie():
    layer = make(capacity_factor=0.3).train()
    torch.nn.init.zeros_(layer.gate.weight)  # every phoneme: the same gate weights, so capacity must break ties
    x, mask = batch(b=4, t=30)
    out_g, r_g = layer(x, mask, dispatch="grouped")
    out_m, r_m = layer(x, mask, dispatch="mask")
    assert r_g.dropped.any()
    assert torch.equal(r_g.dropped, r_m.dropped)
    torch.testing.assert_close(out_g, out_m, rtol=1e-5, atol=1e-5)
