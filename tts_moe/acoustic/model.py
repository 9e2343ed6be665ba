"""The MoE acoustic model: phonemes + speaker + style -> 80-bin log-mel at hop 256.

    ids ─► embedding + positions + condition ─► encoder blocks (the last ones: per-phoneme
    mixture of experts; the gate reads each phoneme's state and the speaker/style vector)
        ─► duration / pitch / energy predictors (per phoneme) ─► pitch & energy embeddings
        ─► length regulator (phoneme -> frames) ─► decoder blocks ─► linear ─► log-mel

Training aligns phonemes to frames with the learned :class:`~tts_moe.acoustic.alignment.Aligner`
(durations by monotonic alignment search) and feeds the measured per-phoneme pitch and energy
(teacher forcing); inference uses the predictors, scaled by the user's controls.

Shapes: ``ids`` ``(batch, phonemes)``, ``id_mask`` ``(batch, phonemes)`` True = valid,
``speaker``/``style`` ``(batch,)`` indices, ``mel`` ``(batch, frames, n_mels)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tts_moe.acoustic.alignment import Aligner, beta_binomial_log_prior, frame_to_phoneme, monotonic_alignment
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.layers import Block, ValueEmbedding, VariancePredictor, positional_encoding
from tts_moe.errors import InputError
from tts_moe.model.moe import Routing


@dataclass
class Controls:
    """Per-utterance prosody controls (neutral defaults).

    ``rate`` > 1 speaks faster; ``pitch_shift`` in semitones; ``pitch_range`` scales each
    utterance's pitch movement around its mean (0 = monotone); ``energy_db`` adds loudness
    in dB to the energy the model is asked for. Each is a float for the whole batch or a
    ``(batch,)`` tensor.
    """

    rate: float | torch.Tensor = 1.0
    pitch_shift: float | torch.Tensor = 0.0
    pitch_range: float | torch.Tensor = 1.0
    energy_db: float | torch.Tensor = 0.0

    def columns(self, batch: int) -> tuple[torch.Tensor, ...]:
        """The four controls as ``(batch, 1)`` tensors (a float applies to every item; a
        tensor ``(batch,)`` gives one value per utterance)."""
        out = []
        for name in ("rate", "pitch_shift", "pitch_range", "energy_db"):
            value = torch.as_tensor(getattr(self, name), dtype=torch.float32).reshape(-1, 1)
            out.append(value.expand(batch, 1) if value.shape[0] == 1 else value)
        if bool((out[0] <= 0).any()):
            raise InputError("rate must be positive")
        return tuple(out)


@dataclass
class AcousticOutput:
    """What a forward pass produced.

    ``mel`` ``(batch, frames, n_mels)``, ``mel_mask`` ``(batch, frames)``, ``durations``
    ``(batch, phonemes)`` frames per phoneme (targets in training, predictions at inference),
    ``log_duration`` predicted ``log(1 + frames)``, ``pitch``/``energy`` predicted per phoneme
    (normalised units), ``routing`` one :class:`Routing` per MoE block (empty when dense).
    Training adds the per-phoneme targets and the alignment log-probabilities.
    """

    mel: torch.Tensor
    mel_mask: torch.Tensor
    durations: torch.Tensor
    log_duration: torch.Tensor
    pitch: torch.Tensor
    energy: torch.Tensor
    routing: list[Routing]
    pitch_target: torch.Tensor | None = None
    energy_target: torch.Tensor | None = None
    alignment: torch.Tensor | None = None


def phoneme_means(values: torch.Tensor, weights: torch.Tensor, durations: torch.Tensor, phonemes: int) -> torch.Tensor:
    """Weighted mean of frame ``values`` ``(batch, frames)`` over each phoneme's frames
    (``weights`` ``(batch, frames)`` in {0, 1}) -> ``(batch, phonemes)``; 0 where no weight."""
    index = frame_to_phoneme(durations, values.shape[1])
    weights = weights * (index >= 0)
    index = index.clamp(min=0)
    total = values.new_zeros(values.shape[0], phonemes).scatter_add_(1, index, values * weights)
    count = values.new_zeros(values.shape[0], phonemes).scatter_add_(1, index, weights)
    return torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))


class AcousticModel(nn.Module):
    def __init__(self, config: AcousticConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embedding = nn.Embedding(c.n_symbols, c.dim, padding_idx=0)
        self.speaker_embedding = nn.Embedding(len(c.speakers), c.speaker_dim)
        self.style_embedding = nn.Embedding(len(c.styles), c.style_dim)
        self.condition_in = nn.Linear(c.cond_dim, c.dim)
        self.condition_adaptor = nn.Linear(c.cond_dim, c.dim)
        self.condition_decoder = nn.Linear(c.cond_dim, c.dim)
        moe = c.moe_config()
        self.encoder = nn.ModuleList([
            Block(c.dim, c.heads, ("moe" if c.mixture else "dense") if i in c.moe_layers else "conv",
                  hidden=c.top_k * c.expert_hidden if i in c.moe_layers else c.ffn_hidden,
                  kernel=c.ffn_kernel, dropout=c.dropout, moe=moe)
            for i in range(c.encoder_layers)])
        self.duration_predictor = VariancePredictor(c.dim, c.predictor_hidden, dropout=c.dropout)
        self.pitch_predictor = VariancePredictor(c.dim, c.predictor_hidden, dropout=c.dropout)
        self.energy_predictor = VariancePredictor(c.dim, c.predictor_hidden, dropout=c.dropout)
        self.pitch_embedding = ValueEmbedding(c.dim)
        self.energy_embedding = ValueEmbedding(c.dim)
        self.decoder = nn.ModuleList([
            Block(c.dim, c.heads, "conv", hidden=c.ffn_hidden, kernel=c.ffn_kernel, dropout=c.dropout)
            for _ in range(c.decoder_layers)])
        self.decoder_norm = nn.LayerNorm(c.dim)
        self.mel_out = nn.Linear(c.dim, c.n_mels)
        self.aligner = Aligner(c.n_symbols, c.n_mels, c.aligner_dim)

    # ------------------------------------------------------------------ shared stages
    def condition(self, speaker: torch.Tensor, style: torch.Tensor | None = None,
                  style_mix: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Speaker/style vector ``(batch, cond_dim)``; ``style_mix = (other_style, weight)``
        blends the style embedding with another one (weight 0 = ``style``, 1 = other).
        ``speaker`` is ``(batch,)`` indices of built-in speakers, or ``(batch, speaker_dim)``
        float speaker vectors (cloned voices, :mod:`voices.enroll`)."""
        style_vector = self.style_embedding(style)
        if style_mix is not None:
            other, weight = style_mix
            weight = torch.as_tensor(weight, dtype=style_vector.dtype).reshape(-1, 1)
            style_vector = (1 - weight) * style_vector + weight * self.style_embedding(other)
        speaker_vector = speaker.to(style_vector.dtype) if speaker.is_floating_point() else self.speaker_embedding(speaker)
        return torch.cat([speaker_vector, style_vector], dim=-1)

    def encode(self, ids, id_mask, condition, *, expert_bias=None, dense=False):
        """Phoneme states ``(batch, phonemes, dim)`` (with the adaptor's condition added) and
        the routing of each MoE block."""
        positions = positional_encoding(ids.shape[1], self.config.dim, ids.device)
        x = self.embedding(ids) + positions[None] + self.condition_in(condition)[:, None, :]
        routing = []
        for block in self.encoder:
            x, r = block(x, id_mask, condition, expert_bias=expert_bias, dense=dense)
            if r is not None:
                routing.append(r)
        return x + self.condition_adaptor(condition)[:, None, :], routing

    def decode(self, hidden, durations, frames, condition):
        """Length-regulate ``hidden`` ``(batch, phonemes, dim)`` by ``durations`` into
        ``frames`` frames and decode -> log-mel ``(batch, frames, n_mels)`` and frame mask."""
        index = frame_to_phoneme(durations, frames)  # (B, T)
        mel_mask = index >= 0
        x = torch.gather(hidden, 1, index.clamp(min=0)[..., None].expand(-1, -1, hidden.shape[-1]))
        x = x + positional_encoding(frames, self.config.dim, hidden.device)[None]
        x = (x + self.condition_decoder(condition)[:, None, :]).masked_fill(~mel_mask[..., None], 0.0)
        for block in self.decoder:
            x, _ = block(x, mel_mask)
        mel = self.mel_out(self.decoder_norm(x)).masked_fill(~mel_mask[..., None], 0.0)
        return mel, mel_mask

    # ------------------------------------------------------------------ training
    def forward(self, ids, id_mask, speaker, style, mel, mel_mask, log_f0, voiced, energy) -> AcousticOutput:
        """Teacher-forced pass for training: aligns, measures per-phoneme targets and decodes.

        ``log_f0``/``voiced``/``energy`` are per frame ``(batch, frames)``."""
        c = self.config
        p_len, t_len = id_mask.sum(1), mel_mask.sum(1)
        prior = beta_binomial_log_prior(p_len, t_len, ids.shape[1], mel.shape[1])
        alignment = self.aligner(ids, mel, id_mask, prior)
        durations = monotonic_alignment(alignment, p_len, t_len)
        pitch_target = phoneme_means((log_f0 - c.pitch_mean) / c.pitch_std, voiced.float() * mel_mask,
                                     durations, ids.shape[1])
        energy_target = phoneme_means((energy - c.energy_mean) / c.energy_std, mel_mask.float(),
                                      durations, ids.shape[1])
        condition = self.condition(speaker, style)
        hidden, routing = self.encode(ids, id_mask, condition)
        log_duration = self.duration_predictor(hidden, id_mask)
        pitch = self.pitch_predictor(hidden, id_mask)
        energy_pred = self.energy_predictor(hidden, id_mask)
        hidden = hidden + self.pitch_embedding(pitch_target) + self.energy_embedding(energy_target)
        out_mel, out_mask = self.decode(hidden, durations, mel.shape[1], condition)
        return AcousticOutput(out_mel, out_mask, durations, log_duration, pitch, energy_pred, routing,
                              pitch_target=pitch_target, energy_target=energy_target, alignment=alignment)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def synthesize(self, ids, id_mask, speaker, style, controls: Controls | None = None, *,
                   style_mix=None, expert_bias=None, dense: bool = False, max_frames: int = 8000) -> AcousticOutput:
        """Predict mels for a batch of phoneme sequences (durations, pitch and energy from the
        predictors, adjusted by ``controls``)."""
        c, controls = self.config, controls or Controls()
        rate, shift, spread, gain = controls.columns(ids.shape[0])
        condition = self.condition(speaker, style, style_mix)
        hidden, routing = self.encode(ids, id_mask, condition, expert_bias=expert_bias, dense=dense)
        log_duration = self.duration_predictor(hidden, id_mask)
        durations = torch.clamp(torch.round((torch.exp(log_duration) - 1) / rate), min=0).long()
        durations = durations.masked_fill(~id_mask, 0)
        empty = durations.sum(1) == 0
        if empty.any():  # never return zero frames for a real utterance
            durations[empty] = id_mask[empty].long()
        pitch = self.pitch_predictor(hidden, id_mask)
        mean = (pitch * id_mask).sum(1, keepdim=True) / id_mask.sum(1, keepdim=True).clamp(min=1)
        pitch = mean + (pitch - mean) * spread + shift * (math.log(2) / 12 / c.pitch_std)
        energy = self.energy_predictor(hidden, id_mask) + gain * (math.log(10) / 20 / c.energy_std)
        hidden = hidden + self.pitch_embedding(pitch.masked_fill(~id_mask, 0)) + \
            self.energy_embedding(energy.masked_fill(~id_mask, 0))
        frames = int(min(durations.sum(1).max(), max_frames))
        mel, mel_mask = self.decode(hidden, durations, max(frames, 1), condition)
        return AcousticOutput(mel, mel_mask, durations, log_duration, pitch, energy, routing)
