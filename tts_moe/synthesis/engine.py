"""The speech engine: batches of phoneme jobs -> acoustic model -> vocoder -> audio.

Private to the toolkit: the audio it returns is NOT watermarked; only
:class:`tts_moe.synthesis.Synthesizer` (which watermarks and logs every clip) calls it.

Jobs are sorted by length and synthesised in batches (one acoustic call per batch; the
vocoder's calls hold at most ``max_vocoder_frames`` padded frames, because its activations
are what sets the peak memory: ~1.6 MB per second of audio in a call), then each utterance is loudness-normalised (active-speech RMS -23 dBFS, peak
<= -1 dBFS) and given its volume offset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from tts_moe.acoustic.model import AcousticModel, Controls
from tts_moe.batching import length_batches
from tts_moe.corpus.signal import normalise_loudness
from tts_moe.synthesis.plan import Job


@dataclass
class Rendered:
    """One job's audio ``(samples,)`` float32 (unmarked), its phoneme ``durations``
    ``(phonemes,)`` in frames, and its routing: ``experts``/``weights``
    ``(moe_blocks, phonemes, k)`` (empty for a dense model)."""

    job: Job
    audio: np.ndarray
    durations: np.ndarray
    experts: np.ndarray
    weights: np.ndarray


@dataclass
class StageTimes:
    """Seconds spent per stage (summed over calls)."""

    acoustic: float = 0.0
    vocoder: float = 0.0
    post: float = 0.0
    counts: dict = field(default_factory=dict)


class SpeechEngine:
    def __init__(self, acoustic: AcousticModel, vocoder, *, max_batch: int = 16,
                 max_batch_phonemes: int = 2400, max_vocoder_frames: int = 3000) -> None:
        self.acoustic, self.vocoder = acoustic.eval(), vocoder
        self.config = acoustic.config
        self.speakers = {s: i for i, s in enumerate(self.config.speakers)}
        self.cloned: dict[str, tuple] = {}  # cloned voice -> (speaker vector (speaker_dim,), consent id)
        self.adapted: dict[str, AcousticModel] = {}  # cloned voice with an adapter -> its adapted model
        self.styles = {s: i for i, s in enumerate(self.config.styles)}
        self.hop = int(self.config.mel["hop_length"])
        self.max_batch, self.max_batch_phonemes = max_batch, max_batch_phonemes
        self.max_vocoder_frames = max_vocoder_frames
        self.times = StageTimes()

    def batches(self, jobs: list[Job]) -> list[list[Job]]:
        """Length-sorted batches within the phoneme budget; the jobs of a voice with its own
        (adapted) model are batched apart from the rest."""
        out = []
        for model_key in dict.fromkeys(self._model_key(j) for j in jobs):
            group = [j for j in jobs if self._model_key(j) == model_key]
            out += [[group[i] for i in rows]
                    for rows in length_batches([len(j.ids) for j in group], self.max_batch_phonemes, self.max_batch)]
        return out

    def _model_key(self, job: Job) -> str | None:
        return job.voice if job.voice in self.adapted else None

    def render(self, jobs: list[Job], *, style_mix=None, expert_bias=None, dense: bool = False,
               pitch_range: float = 1.0) -> list[Rendered]:
        """Audio for each job, in the order given."""
        results: dict[int, Rendered] = {}
        for batch in self.batches(jobs):
            for item in self._render_batch(batch, style_mix, expert_bias, dense, pitch_range):
                results[id(item.job)] = item
        return [results[id(job)] for job in jobs]

    def _speakers(self, jobs) -> torch.Tensor:
        """Built-in speaker indices ``(batch,)``, or speaker vectors ``(batch, speaker_dim)``
        when a cloned voice is in the batch."""
        if not any(j.voice in self.cloned for j in jobs):
            return torch.tensor([self.speakers[j.voice] for j in jobs])
        table = self.acoustic.speaker_embedding.weight
        return torch.stack([self.cloned[j.voice][0] if j.voice in self.cloned else table[self.speakers[j.voice]]
                            for j in jobs]).to(table.dtype)

    @torch.inference_mode()
    def _render_batch(self, jobs, style_mix, expert_bias, dense, pitch_range) -> list[Rendered]:
        start = time.perf_counter()
        n, longest = len(jobs), max(len(j.ids) for j in jobs)
        ids = torch.zeros(n, longest, dtype=torch.long)
        for row, job in enumerate(jobs):
            ids[row, : len(job.ids)] = torch.as_tensor(job.ids)
        lengths = torch.tensor([len(j.ids) for j in jobs])
        id_mask = torch.arange(longest)[None] < lengths[:, None]
        speaker = self._speakers(jobs)
        style = torch.tensor([self.styles[j.style] for j in jobs])
        controls = Controls(rate=torch.tensor([j.rate for j in jobs]), pitch_shift=torch.tensor([j.pitch for j in jobs]),
                            pitch_range=pitch_range)
        model = self.adapted.get(jobs[0].voice, self.acoustic)
        out = model.synthesize(ids, id_mask, speaker, style, controls, style_mix=style_mix,
                               expert_bias=expert_bias, dense=dense)
        frames = out.mel_mask.sum(1)
        floor = float(np.log(self.config.mel["log_floor"]))
        mel = out.mel.masked_fill(~out.mel_mask[..., None], floor).clamp(min=floor)
        middle = time.perf_counter()
        audio = self._vocode(mel, frames)
        after_vocoder = time.perf_counter()
        rendered = []
        for row, job in enumerate(jobs):
            clip = audio[row]
            clip, _, _ = normalise_loudness(clip) if np.abs(clip).max() > 0 else (clip, 0.0, False)
            if job.volume:
                clip = np.clip(clip * 10 ** (job.volume / 20), -1.0, 1.0).astype(np.float32)
            p = len(job.ids)
            experts = np.stack([r.experts[row, :p].numpy() for r in out.routing]) if out.routing else np.zeros((0, p, 0))
            weights = np.stack([r.weights[row, :p].numpy() for r in out.routing]) if out.routing else np.zeros((0, p, 0))
            rendered.append(Rendered(job, clip.astype(np.float32), out.durations[row, :p].numpy(), experts, weights))
        self.times.acoustic += middle - start
        self.times.vocoder += after_vocoder - middle
        self.times.post += time.perf_counter() - after_vocoder
        return rendered

    def _vocode(self, mel: torch.Tensor, frames: torch.Tensor) -> list[np.ndarray]:
        """Audio per row ``(frames[row] * hop,)`` float32 for log-mels ``(batch, frames, n_mels)``,
        in vocoder calls of at most ``max_vocoder_frames`` padded frames (a longer row goes alone)."""
        lengths = [int(f) for f in frames]
        out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(lengths)
        for group in length_batches(lengths, self.max_vocoder_frames):
            longest = max(lengths[row] for row in group)
            piece = self.vocoder(mel[group, :longest].transpose(1, 2))  # (rows, samples)
            piece = (piece[None] if piece.ndim == 1 else piece).float().numpy()
            for k, row in enumerate(group):
                out[row] = piece[k, : lengths[row] * self.hop]
        return out
