"""The vocoder training loop: mel/STFT reconstruction, then GAN (multi-period +
multi-resolution discriminators) from ``disc_start_step`` on.

Seeded and resumable: batches are a pure function of ``(seed, step)`` (see
:mod:`vocoder.dataset`), checkpoints hold fp32 weights and optimizer state
(:mod:`tts_moe.checkpoint`), and the learning rate is a pure function of the step. Logs go
to ``RUN_DIR/log.jsonl`` (one JSON object per line) and, as text, to stderr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from tts_moe.acoustic.mel_source import SOURCE_NAME, read_mel_source
from tts_moe.audio import log_mel
from tts_moe.errors import InputError
from vocoder import losses
from tts_moe.training import create_run, reopen_run, training_loop
from tts_moe.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from vocoder.config import CONFIG_VERSION, PHASE_FIELDS, VocoderConfig, preset
from vocoder.dataset import SegmentDataset, load_corpus_clips
from vocoder.discriminators import DiscriminatorConfig, Discriminators
from vocoder.model import Generator, frames_for_seconds, load_grown, parameter_count
from vocoder.precision import backbone_autocast

PITCH_FILE = "pitch_tracks.npz"  # the YIN tracks of the training clips, kept for resumed runs
# Options a resumed run keeps from its first start (others may change between sessions).
CHANGEABLE_ON_RESUME = ("corpus", "run_dir", "steps", "device", "checkpoint_minutes", "max_minutes", "log_every",
                        "threads", "resume", "init_from", "pitch_cache")


def predicted_mels_fingerprint(mel_dir: str | None, resumed: str | None = None,
                               log: Callable[[str], None] = print) -> str | None:
    """The fingerprint of the acoustic weights that predicted ``mel_dir``'s mels (None for real
    mels): what the tuned vocoder suits (its card's ``tuned_for_acoustic``). A resumed run whose
    folder now holds another model's mels is refused: it would be tuned to a mix."""
    if not mel_dir:
        return None
    found = read_mel_source(mel_dir).get("acoustic_fingerprint")
    if resumed and found != resumed:
        raise InputError(f"{mel_dir} now holds mels of acoustic weights {found}, but this run was tuned on "
                         f"{resumed}'s: start a new run (--init-from) for the new mels")
    if found is None:
        log(f"note: {mel_dir} has no {SOURCE_NAME} naming the acoustic weights behind its mels, so the exported "
            "vocoder will not be paired with an acoustic model automatically")
    return found


@dataclass
class TrainOptions:
    corpus: str
    run_dir: str
    steps: int = 20_000
    batch_size: int = 16
    segment_seconds: float = 1.0
    seed: int = 0
    device: str = "cpu"
    preset: str = "hn-base"
    resume: bool = False
    init_from: str | None = None
    grow_layers: int = 0  # with init_from: append this many identity-initialised backbone blocks
    phase_terms: int | None = None  # harmonic head's phase residual terms (None: the preset's / init_from's)
    mel_phase_terms: int | None = None  # the same on a mel-warped frequency axis
    mel_dir: str | None = None
    pitch_cache: str | None = None  # a pitch-track file shared by runs on the same corpus (read and updated)
    allow_missing_mels: bool = False
    lr: float = 5e-4
    lr_min_ratio: float = 0.05
    warmup_steps: int = 200
    schedule: str = "cosine"  # or "exponential"
    betas: tuple[float, float] = (0.8, 0.99)
    weight_decay: float = 0.01
    grad_clip: float = 200.0  # ~2x the initial gradient norm of "base" on a teacher corpus (112)
    disc_start_step: int = 1000
    disc_batch: int | None = 8  # segments the discriminators see per step (None: all)
    adversarial: str = "hinge"  # or "lsgan"
    loss_resolutions: tuple[tuple[int, int, int], ...] = losses.MEL_RESOLUTIONS  # (n_fft, hop, n_mels) each
    mel_weight: float = 45.0
    stft_weight: float = 1.0
    adv_weight: float = 1.0
    fm_weight: float = 2.0
    f0_weight: float = 20.0  # harmonic head: L1 of log-F0 (voiced frames; unvoiced x 0.1)
    bf16: bool = False  # bf16 autocast for the generator's backbone and the discriminators
    holdout_fraction: float = 0.02
    holdout_speakers: tuple[str, ...] = ()
    val_clips: int = 8
    checkpoint_minutes: float = 15.0
    max_minutes: float | None = None
    log_every: int = 10
    threads: int | None = None
    discriminator: dict = field(default_factory=lambda: DiscriminatorConfig().to_dict())


def learning_rate(options: TrainOptions, step: int) -> float:
    """Linear warm-up, then cosine (to ``lr * lr_min_ratio`` at ``steps``) or exponential
    decay (reaching the same ratio at ``steps``)."""
    if step < options.warmup_steps:
        return options.lr * (step + 1) / options.warmup_steps
    span = max(1, options.steps - options.warmup_steps)
    progress = min(1.0, (step - options.warmup_steps) / span)
    if options.schedule == "exponential":
        return options.lr * options.lr_min_ratio**progress
    low = options.lr * options.lr_min_ratio
    return low + 0.5 * (options.lr - low) * (1 + math.cos(math.pi * progress))


class Trainer:
    """Holds the models, optimizers and data of one run; :meth:`step` does one update."""

    def __init__(self, options: TrainOptions, config: VocoderConfig, dataset: SegmentDataset):
        torch.manual_seed(options.seed)
        self.options, self.config, self.dataset = options, config, dataset
        device = torch.device(options.device)
        self.generator = Generator(config).to(device)
        self.discriminators = Discriminators(DiscriminatorConfig.from_dict(options.discriminator)).to(device)
        kw = dict(lr=options.lr, betas=tuple(options.betas), weight_decay=options.weight_decay)
        self.opt_g = torch.optim.AdamW(self.generator.parameters(), **kw)
        self.opt_d = torch.optim.AdamW(self.discriminators.parameters(), **kw)
        self.spectral_loss = losses.SpectralLoss(losses.mel_configs(config.mel_config, options.loss_resolutions))
        self.step_index = 0

    def autocast(self):
        """bf16 autocast when ``bf16``: the discriminators and the generator's backbone (its
        head projects and synthesises in float32, see :mod:`vocoder.precision`); the losses
        are always float32."""
        return backbone_autocast("bf16" if self.options.bf16 else "fp32", self.options.device)

    def step(self) -> dict[str, float]:
        """One optimisation step on the batch of ``(seed, step_index)``; returns the losses."""
        o = self.options
        mel, audio = self.dataset.batch(o.seed, self.step_index, o.batch_size)
        mel, audio = mel.to(o.device), audio.to(o.device)
        lr = learning_rate(o, self.step_index)
        for optimizer in (self.opt_g, self.opt_d):
            for group in optimizer.param_groups:
                group["lr"] = lr
        out = {"lr": lr}
        if self.generator.harmonic:  # the F0 tracks are read (or computed) outside autocast
            log_f0, voiced = self.dataset.pitch_batch(o.seed, self.step_index, o.batch_size)
        with self.autocast():
            if self.generator.harmonic:
                fake, f0_loss = self._harmonic_forward(mel, log_f0.to(o.device), voiced.to(o.device))
            else:
                fake, f0_loss = self.generator(mel), None
        if f0_loss is not None:
            out["f0"] = float(f0_loss.detach())
        adversarial = self.step_index >= o.disc_start_step
        if adversarial:
            d_real, d_fake = audio[: o.disc_batch], fake[: o.disc_batch]
            with self.autocast():
                real_scores, real_feats = self.discriminators(d_real)
                fake_scores, _ = self.discriminators(d_fake.detach())
                loss_d = losses.discriminator_loss(
                    [s.float() for s in real_scores], [s.float() for s in fake_scores], o.adversarial)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            out["grad_norm_d"] = float(torch.nn.utils.clip_grad_norm_(self.discriminators.parameters(), o.grad_clip))
            self.opt_d.step()
            out["loss_d"] = float((loss_d).detach())
        mel_loss, stft_loss = self.spectral_loss(fake, audio)
        loss_g = o.mel_weight * mel_loss + o.stft_weight * stft_loss
        if f0_loss is not None:
            loss_g = loss_g + o.f0_weight * f0_loss
        out["mel"], out["stft"] = float(mel_loss.detach()), float(stft_loss.detach())
        if adversarial:
            self.discriminators.requires_grad_(False)  # no weight gradients in the G pass
            with self.autocast():
                fake_scores, fake_feats = self.discriminators(d_fake)
                adv = losses.generator_adversarial_loss([s.float() for s in fake_scores], o.adversarial)
                fm = losses.feature_matching_loss(
                    [[f.float() for f in fs] for fs in real_feats], [[f.float() for f in fs] for fs in fake_feats])
            loss_g = loss_g + o.adv_weight * adv + o.fm_weight * fm
            out["adv"], out["fm"] = float((adv).detach()), float((fm).detach())
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.discriminators.requires_grad_(True)
        out["grad_norm_g"] = float(torch.nn.utils.clip_grad_norm_(self.generator.parameters(), o.grad_clip))
        self.opt_g.step()
        out["loss_g"] = float((loss_g).detach())
        if not all(math.isfinite(v) for v in out.values()):
            raise FloatingPointError(f"non-finite loss at step {self.step_index}: {out}")
        self.step_index += 1
        return out

    def _harmonic_forward(self, mel: torch.Tensor, log_f0: torch.Tensor,
                          voiced: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Harmonic head: audio made from the true F0 track ``log_f0 (batch, frames)``
        (teacher forcing) and the voicing-weighted L1 of the predicted log-F0; the noise table
        is read at offsets drawn from ``(seed, step)``."""
        o = self.options
        offsets = torch.from_numpy(np.random.default_rng([o.seed, self.step_index, 1]).integers(
            0, 2**31, size=mel.shape[0])).to(o.device)
        out = self.generator.synthesise(mel, log_f0=log_f0, noise_offset=offsets)
        weights = voiced + 0.1 * (1 - voiced)
        f0_loss = (weights * (out.log_f0 - log_f0).abs()).sum() / weights.sum()
        return out.audio, f0_loss

    def validate(self, data: SegmentDataset, count: int, limit_seconds: float = 10.0) -> dict[str, float]:
        """Mean log-mel L1 (the vocoder's own analysis) over the first ``count`` clips of
        ``data``, synthesised whole (up to ``limit_seconds`` each)."""
        clips = data.clips[:count]
        if not clips:
            return {}
        self.generator.eval()
        distances, cents = [], []
        max_frames = frames_for_seconds(limit_seconds, self.config.sample_rate, self.config.hop_length)
        with torch.inference_mode():
            for clip in clips:
                mel, audio = data.clip_features(clip)
                mel, audio = mel[:, :max_frames], audio[: max_frames * self.config.hop_length]
                batch = mel[None].to(self.options.device)
                if self.generator.harmonic:
                    out = self.generator.synthesise(batch)
                    fake = out.audio[0]
                    log_f0, voiced = data.clip_pitch(clip)
                    n = min(len(log_f0), out.log_f0.shape[1])
                    error = (out.log_f0[0, :n].cpu() - log_f0[:n]).abs()[voiced[:n] > 0]
                    if error.numel():
                        cents.append(float(error.mean()) * 1200 / math.log(2))
                else:
                    fake = self.generator(batch)[0]
                fake = fake.clamp(-1, 1).cpu()
                cfg = self.config.mel_config
                distances.append(float((log_mel(fake, cfg) - log_mel(audio, cfg)).abs().mean()))
        self.generator.train()
        figures = {"val_mel_l1": sum(distances) / len(distances), "val_clips": len(distances)}
        if cents:
            figures["val_f0_cents"] = sum(cents) / len(cents)
        return figures

    def modules(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminators}

    def optimizers(self) -> dict:
        return {"generator": self.opt_g, "discriminator": self.opt_d}


def _prepare_run(options: TrainOptions, log: Callable[[str], None]) -> tuple[TrainOptions, VocoderConfig, dict]:
    """Create or reopen the run folder; returns (options, config, saved run info)."""
    run = Path(options.run_dir)
    saved = reopen_run(run, options, CHANGEABLE_ON_RESUME, "vocoder", log)
    if saved is not None:
        return options, VocoderConfig.from_dict(saved["vocoder"]), saved
    if options.grow_layers < 0:
        raise InputError(f"--grow-layers must be >= 0, got {options.grow_layers}")
    if options.init_from:
        from vocoder.loader import Vocoder

        config = Vocoder.from_pretrained(options.init_from).config
        config = replace(config, num_layers=config.num_layers + options.grow_layers)
    elif options.grow_layers:
        raise InputError("--grow-layers needs --init-from (it deepens trained weights)")
    else:
        config = preset(options.preset)
    for name in PHASE_FIELDS:
        wanted, present = getattr(options, name), getattr(config, name)
        if wanted is None or wanted == present:
            continue
        if wanted < present:
            flag = "--" + name.replace("_", "-")
            raise InputError(f"{flag} {wanted} is fewer than the {present} terms of {options.init_from}: "
                             "terms can be added, not dropped")
        config = replace(config, **{name: wanted}, version=CONFIG_VERSION)  # validates the head
    saved = create_run(run, options, "vocoder", config.to_dict())
    return options, config, saved


def train(options: TrainOptions, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) training until ``options.steps`` or ``max_minutes``; returns the
    final checkpoint state (step, wall time, validation figures)."""
    if options.threads:
        torch.set_num_threads(options.threads)
    options, config, _ = _prepare_run(options, log)
    run = Path(options.run_dir)
    train_clips, held_clips, manifest = load_corpus_clips(
        options.corpus, holdout_fraction=options.holdout_fraction,
        holdout_speakers=tuple(options.holdout_speakers))
    segment = frames_for_seconds(options.segment_seconds, config.sample_rate, config.hop_length)
    dataset = SegmentDataset(train_clips, config.mel_config, segment, mel_dir=options.mel_dir,
                             allow_missing_mels=options.allow_missing_mels)
    held_data = SegmentDataset(held_clips, config.mel_config, segment, mel_dir=options.mel_dir,
                               allow_missing_mels=True, cache_mb=256) if held_clips else None
    trainer = Trainer(options, config, dataset)
    state = {"step": 0, "wall_seconds": 0.0, "validation": []}
    checkpoint = find_checkpoint(run) if options.resume else None
    if checkpoint is not None:
        state = load_checkpoint(checkpoint, trainer.modules(), trainer.optimizers())
        trainer.step_index = state["step"]
        log(f"resumed {run} at step {trainer.step_index}")
    elif options.init_from:
        from vocoder.loader import Vocoder

        grown = load_grown(trainer.generator, Vocoder.from_pretrained(options.init_from).generator)
        log(f"initialised the generator from {options.init_from}"
            + (f" with {grown} new identity blocks" if grown else "")
            + (f"; phase terms {config.phase_terms} linear + {config.mel_phase_terms} mel-warped"
               if config.phase_terms or config.mel_phase_terms else ""))
    state.update(
        corpus=str(options.corpus), corpus_kind=manifest.get("kind"),
        corpus_hours=manifest.get("hours_built"),
        corpus_speakers=sorted({c.speaker for c in train_clips}),
        held_out_speakers=sorted({c.speaker for c in held_clips} - {c.speaker for c in train_clips}),
        train_clips=len(train_clips),
        held_out_clips=len(held_clips), mel_source=options.mel_dir or "computed (tts_moe.audio.log_mel)",
        acoustic_fingerprint=predicted_mels_fingerprint(options.mel_dir, state.get("acoustic_fingerprint"), log),
        generator_parameters=parameter_count(trainer.generator),
        discriminator_parameters=parameter_count(trainer.discriminators),
    )
    log(f"training {state['generator_parameters'] / 1e6:.2f} M generator parameters on "
        f"{len(train_clips)} clips ({len(held_clips)} held out), batch {options.batch_size} x "
        f"{segment} frames, steps {trainer.step_index} -> {options.steps}")

    pitch_files = [run / PITCH_FILE] + ([Path(options.pitch_cache)] if options.pitch_cache else [])
    if trainer.generator.harmonic:
        for pitch_file in pitch_files:
            if pitch_file.is_file():
                log(f"reused {dataset.load_pitch(pitch_file)} pitch tracks from {pitch_file}")

    def save(checkpoint_state: dict) -> None:
        save_checkpoint(run, trainer.modules(), trainer.optimizers(), checkpoint_state)
        if trainer.generator.harmonic:
            for pitch_file in pitch_files:
                try:
                    dataset.save_pitch(pitch_file, keep_others=pitch_file != run / PITCH_FILE)
                except OSError as error:  # only a cache: the run goes on without it
                    log(f"could not save the pitch tracks to {pitch_file}: {error}")

    trainer.generator.train()
    trainer.discriminators.train()
    return training_loop(
        run=run, steps=options.steps, step=trainer.step, step_index=lambda: trainer.step_index,
        validate=lambda: trainer.validate(held_data, options.val_clips) if held_data else {},
        save=save, state=state,
        log_every=options.log_every, checkpoint_minutes=options.checkpoint_minutes,
        max_minutes=options.max_minutes, log=log)
