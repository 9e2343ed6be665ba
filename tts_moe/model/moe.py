"""Per-phoneme mixture-of-experts feed-forward layer.

A light gate reads each phoneme's hidden state together with a conditioning vector (speaker
and style embeddings) and sends the phoneme to its top-k of N position-wise MLP experts. The
routing decision is returned to the caller (:class:`Routing`), can be biased or forced per
expert (a style knob), and a dense path (every expert, weighted by the full softmax) is
available on request.

Dispatch is grouped: the (token, expert) assignments are sorted by expert once, gathered
into one ``(experts, slots, dim)`` buffer, all experts run in two batched matrix multiplies,
and results are scattered back with one ``index_add_``: no Python loop over experts, tokens
or sentences. (One matmul per expert on its weight slice measured 5x slower, forward +
backward under CPU bf16 autocast: each slice's gradient allocates and fills a buffer of all
experts' weights, and those small products ran far below the bf16 matmul speed.)
``dispatch="mask"`` is the naive per-expert boolean-mask loop, kept as the reference the
benchmark compares against.

Shapes: hidden ``(batch, phonemes, dim)``, condition ``(batch, cond_dim)`` or
``(batch, phonemes, cond_dim)``, mask ``(batch, phonemes)`` with True = valid phoneme.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from tts_moe.errors import InputError


@dataclass
class MoEConfig:
    """Settings of one MoE feed-forward layer; saved with the model's config."""

    dim: int = 256
    hidden: int = 512
    num_experts: int = 8
    top_k: int = 2
    cond_dim: int = 0  # width of the speaker/style vector the gate also reads (0: none)
    capacity_factor: float = 2.0  # slots per expert = ceil(factor * tokens * k / N); 0 = no limit
    balance_weight: float = 0.01  # Switch Transformer load-balancing loss
    z_weight: float = 0.001  # ST-MoE router z-loss
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.top_k <= self.num_experts:
            raise InputError(f"top_k must be in 1..{self.num_experts}, got {self.top_k}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Routing:
    """What the gate decided, per phoneme (padding positions carry expert id -1).

    ``experts`` ``(batch, phonemes, k)`` long, ``weights`` ``(batch, phonemes, k)`` (the
    gate weights actually applied: renormalised over the k chosen for k > 1, the raw
    probability for k = 1; 0 where the slot was dropped for capacity),
    ``probs`` ``(batch, phonemes, num_experts)`` the full softmax, ``dropped``
    ``(batch, phonemes, k)`` bool, ``aux_loss`` scalar (balance + z-loss, already weighted).
    """

    experts: torch.Tensor
    weights: torch.Tensor
    probs: torch.Tensor
    dropped: torch.Tensor
    aux_loss: torch.Tensor
    balance_loss: torch.Tensor
    z_loss: torch.Tensor

    def expert_share(self, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Fraction of kept (phoneme, slot) assignments per expert, ``(num_experts,)``."""
        num_experts = self.probs.shape[-1]
        kept = (self.experts >= 0) & ~self.dropped
        if mask is not None:
            kept &= mask[..., None]
        counts = torch.bincount(self.experts[kept], minlength=num_experts).float()
        return counts / counts.sum().clamp(min=1)


class MoEFeedForward(nn.Module):
    """Top-k routed position-wise MLP experts (GELU), with stacked expert weights."""

    def __init__(self, config: MoEConfig) -> None:
        super().__init__()
        self.config = config
        n, d, h = config.num_experts, config.dim, config.hidden
        self.gate = nn.Linear(d + config.cond_dim, n, bias=False)
        self.w_in = nn.Parameter(torch.empty(n, d, h))
        self.b_in = nn.Parameter(torch.zeros(n, h))
        self.w_out = nn.Parameter(torch.empty(n, h, d))
        self.b_out = nn.Parameter(torch.zeros(n, d))
        self.dropout = nn.Dropout(config.dropout)
        nn.init.normal_(self.gate.weight, std=0.02)  # near-uniform routing at the start
        nn.init.normal_(self.w_in, std=1 / math.sqrt(d))
        nn.init.normal_(self.w_out, std=1 / math.sqrt(h))

    # ------------------------------------------------------------------------------ routing
    def route_logits(self, x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """Gate logits ``(batch, phonemes, num_experts)``."""
        if self.config.cond_dim:
            if condition is None:
                raise InputError("this MoE layer's gate needs a speaker/style condition vector")
            if condition.ndim == 2:
                condition = condition[:, None, :].expand(-1, x.shape[1], -1)
            x = torch.cat([x, condition.to(x.dtype)], dim=-1)
        return self.gate(x).float()

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        condition: torch.Tensor | None = None,
        *,
        expert_bias: torch.Tensor | None = None,
        dense: bool = False,
        dispatch: str = "grouped",
    ) -> tuple[torch.Tensor, Routing]:
        """Route and apply experts: ``(batch, phonemes, dim)`` -> same shape, plus routing.

        ``expert_bias`` ``(num_experts,)`` or ``(batch, num_experts)`` is added to the gate
        logits (large positive forces an expert, ``-inf`` forbids it). ``dense=True`` runs
        every expert and mixes them by the full softmax (the dense fallback path).
        """
        batch, length, dim = x.shape
        if dim != self.config.dim:
            raise InputError(f"MoE layer expects dim {self.config.dim}, got {dim}")
        if mask is None:
            mask = torch.ones(batch, length, dtype=torch.bool, device=x.device)
        logits = self.route_logits(x, condition)
        if expert_bias is not None:
            bias = expert_bias.to(logits)
            logits = logits + (bias[:, None, :] if bias.ndim == 2 else bias)
        probs = logits.softmax(dim=-1)
        k = self.config.num_experts if dense else self.config.top_k
        top_weights, top_experts = probs.topk(k, dim=-1)
        if not dense and k > 1:  # top-k mixes by renormalised gate weights; top-1 (Switch) keeps the
            # raw probability, else its weight is always 1 and the gate learns nothing from the output
            top_weights = top_weights / top_weights.sum(dim=-1, keepdim=True).clamp(min=1e-9)

        flat_x = x.reshape(-1, dim)
        flat_valid = mask.reshape(-1)
        experts = top_experts.reshape(-1, k)
        weights = top_weights.reshape(-1, k)
        capacity = self._capacity(int(flat_valid.sum()), k, dense)
        if dispatch == "grouped":
            out, dropped = self._grouped(flat_x, flat_valid, experts, weights, capacity)
        elif dispatch == "mask":
            out, dropped = self._mask_loop(flat_x, flat_valid, experts, weights, capacity)
        else:
            raise InputError(f"unknown dispatch {dispatch!r}: use 'grouped' or 'mask'")

        dropped = dropped.reshape(batch, length, k)
        applied = torch.where(dropped, torch.zeros_like(top_weights), top_weights)
        ids = torch.where(mask[..., None], top_experts, torch.full_like(top_experts, -1))
        balance, z = self._aux_losses(logits, probs, top_experts, mask)
        routing = Routing(
            experts=ids, weights=applied * mask[..., None], probs=probs, dropped=dropped & mask[..., None],
            aux_loss=self.config.balance_weight * balance + self.config.z_weight * z,
            balance_loss=balance, z_loss=z,
        )
        return out.reshape(batch, length, dim), routing

    def _capacity(self, tokens: int, k: int, dense: bool) -> int:
        if dense or self.config.capacity_factor <= 0 or not self.training:
            return tokens  # no drops at inference or on the dense path
        per_expert = self.config.capacity_factor * tokens * k / self.config.num_experts
        return max(1, math.ceil(per_expert))

    # ------------------------------------------------------------------------------ experts
    def _expert(self, index: int, tokens: torch.Tensor) -> torch.Tensor:
        """Expert ``index`` on ``(n, dim)`` tokens -> ``(n, dim)``."""
        hidden = F.gelu(torch.addmm(self.b_in[index], tokens, self.w_in[index]))
        return torch.addmm(self.b_out[index], self.dropout(hidden), self.w_out[index])

    def _grouped(self, x, valid, experts, weights, capacity):
        """Sort assignments by expert (highest gate weight first), gather each expert's kept
        tokens into one ``(experts, slots, dim)`` buffer and run every expert at once in two
        batched matrix multiplies; ``slots`` is the busiest expert's kept count (the rest of
        its row is zero padding)."""
        tokens, k = experts.shape
        num_experts = self.config.num_experts
        flat_expert = experts.reshape(-1)
        flat_weight = weights.reshape(-1)
        live = valid.repeat_interleave(k)
        # order: expert first (padding last), then descending weight, ties by position (two
        # stable sorts), so capacity drops the same assignments as the mask-loop reference
        by_weight = torch.sort(flat_weight.detach(), descending=True, stable=True).indices
        expert_key = torch.where(live, flat_expert, torch.full_like(flat_expert, num_experts))
        counts = torch.bincount(flat_expert[live], minlength=num_experts)
        assigned = int(counts.sum())
        order = by_weight[torch.argsort(expert_key[by_weight], stable=True)][:assigned]
        sorted_expert = flat_expert[order]
        slot = torch.arange(assigned, device=x.device) - (torch.cumsum(counts, 0) - counts)[sorted_expert]
        keep = slot < capacity
        kept = order[keep]  # (assignments,) indices into the flattened (token, k) slots
        dropped = live.clone()
        dropped[kept] = False
        out = torch.zeros_like(x)
        slots = int(counts.clamp(max=capacity).max()) if assigned else 0
        if slots == 0:
            return out, dropped.reshape(tokens, k)
        row = sorted_expert[keep] * slots + slot[keep]  # where each kept assignment sits in the buffer
        token = kept // k
        buffer = x.new_zeros(num_experts * slots, x.shape[1]).index_copy(0, row, x.index_select(0, token))
        hidden = F.gelu(torch.baddbmm(self.b_in[:, None, :], buffer.view(num_experts, slots, -1), self.w_in))
        result = torch.baddbmm(self.b_out[:, None, :], self.dropout(hidden), self.w_out).reshape(num_experts * slots, -1)
        picked = result.index_select(0, row) * flat_weight[kept, None].to(result.dtype)
        out.index_add_(0, token, picked.to(out.dtype))
        return out, dropped.reshape(tokens, k)

    def _mask_loop(self, x, valid, experts, weights, capacity):
        """Reference dispatch: a boolean mask per expert (same drops as grouped)."""
        tokens, k = experts.shape
        out = torch.zeros_like(x)
        dropped = torch.zeros(tokens, k, dtype=torch.bool, device=x.device)
        for index in range(self.config.num_experts):
            hit = (experts == index) & valid[:, None]  # (tokens, k)
            token_ids, slots = hit.nonzero(as_tuple=True)
            if token_ids.numel() == 0:
                continue
            gate = weights[token_ids, slots]
            if token_ids.numel() > capacity:
                keep = torch.argsort(-gate.detach(), stable=True)[:capacity]
                drop = torch.ones_like(gate, dtype=torch.bool)
                drop[keep] = False
                dropped[token_ids[drop], slots[drop]] = True
                token_ids, gate = token_ids[keep], gate[keep]
            result = self._expert(index, x[token_ids])
            out.index_add_(0, token_ids, (result * gate[:, None].to(result.dtype)).to(out.dtype))
        return out, dropped

    # ------------------------------------------------------------------------------ losses
    def _aux_losses(self, logits, probs, top_experts, mask):
        """Switch load-balancing loss and router z-loss over valid phonemes (scalars)."""
        valid = mask.reshape(-1)
        n = self.config.num_experts
        count = valid.sum().clamp(min=1)
        p = probs.reshape(-1, n)[valid]
        chosen = F.one_hot(top_experts.reshape(-1, top_experts.shape[-1])[valid], n).sum(1)
        fraction = chosen.float().sum(0) / (count * top_experts.shape[-1])
        balance = n * (fraction * p.sum(0) / count).sum()
        z = torch.logsumexp(logits.reshape(-1, n)[valid], dim=-1).pow(2).sum() / count
        return balance, z


class DenseFeedForward(nn.Module):
    """A plain position-wise MLP; with ``hidden = k * expert hidden`` it matches the MoE
    layer's active parameters per phoneme (the benchmark's dense baseline)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, phonemes, dim)`` -> ``(batch, phonemes, dim)``."""
        return self.net(x)
