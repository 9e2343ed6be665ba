"""The watermark training loop: generator and detector trained jointly with AdamW.

Each step: embed random 16-bit payloads in a batch of speech segments, edit the marked
audio (random augmentation, random splicing with the unmarked original, sometimes a crop;
:class:`watermark.augment.TrainingPolicy`) and the unmarked audio the same way, and train

    loss = s * (mel * multi-scale mel + stft * multi-scale STFT + l1 * |watermark|
                + loudness * time-frequency loudness)     (imperceptibility, s = schedule)
           + detection * per-sample BCE (marked vs unmarked, target = mask)
           + message * bit BCE over marked samples         (payload)

Recipe (the defaults; measured with short probes, compact preset, see TrainOptions): the mark
level is fixed by ``WatermarkConfig.target_snr_db`` (28 dB below the audio's 20 ms envelope),
so the losses cannot buy detection or quietness by changing the level; lr 1e-3 with a
50-step warm-up; the imperceptibility losses stay off until the running detection accuracy
reaches 0.9 (or step 1000), then ramp in; edits follow a curriculum (:func:`edit_schedule`):
300 clean steps, then edits ramp in, splicing and cropping last.

Seeded and resumable: batches, payloads and augmentations are pure functions of
``(seed, step)``, and the curriculum's running state is saved with each checkpoint;
checkpoints hold fp32 weights and optimizer state (no pickles). Logs go to
``RUN_DIR/log.jsonl`` and, as text, to ``log``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from tts_moe.errors import InputError
from watermark import losses
from watermark.augment import TrainingPolicy
from tts_moe.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from tts_moe.training import create_run, reopen_run, training_loop
from watermark.data import Segments, corpus_paths
from watermark.model import (
    WatermarkConfig,
    build_networks,
    detector_logits,
    message_bits,
    parameter_count,
    preset,
    watermark_signal,
)

CHANGEABLE_ON_RESUME = ("corpus", "run_dir", "steps", "checkpoint_minutes", "max_minutes", "log_every",
                        "threads", "resume", "init_from", "codecs")


@dataclass
class TrainOptions:
    corpus: str
    run_dir: str
    steps: int = 20_000
    batch_size: int = 16
    segment_seconds: float = 1.0
    seed: int = 0
    preset: str = "compact"
    config: dict | None = None  # explicit WatermarkConfig (overrides preset)
    resume: bool = False
    init_from: str | None = None
    # Defaults: the fast-start recipe (module docstring). Probe figures, compact, batch 8, bf16:
    # lr 5e-4 + imperceptibility from step 0: detection starts ~step 500; lr 1e-3 without
    # imperceptibility: training det_acc 0.73 at step 100, 0.99 at 140-200.
    lr: float = 1e-3
    warmup_steps: int = 50
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    grad_clip: float = 10.0
    # imperceptibility weights at a fifth of AudioSeal's (mel 2, STFT 1, L1 0.1) and no
    # time-frequency loudness term: ramped to full weight they wore held-out clean detection
    # down from 0.98 to 0.63 within 700 steps; at a fifth, the loudness term alone (unbounded
    # reward for hiding the fixed-level mark in the loudest tiles: -> -18 dB) dragged training
    # detection from 0.97 to 0.57 (measured, watermark/README.md)
    weights: dict = field(default_factory=lambda: {"mel": 0.4, "stft": 0.2, "l1": 0.02, "loudness": 0.0,
                                                   "detection": 1.0, "message": 1.0,
                                                   "raw_scale": 0.1})
    loudness_floor_db: float = -40.0
    # Imperceptibility weights are 0 until detection works: until the running (EMA) training
    # det_acc reaches imperceptibility_gate, or at the latest imperceptibility_start_step
    # (gate <= 0: exactly at that step). From then they grow linearly from ramp_floor x to 1 x
    # over imperceptibility_ramp_steps. With them on from step 0 the detector needs ~500 steps
    # to find the mark (~130 without them).
    imperceptibility_gate: float = 0.9
    imperceptibility_start_step: int = 1000
    imperceptibility_ramp_steps: int = 1500
    ramp_floor: float = 0.05
    # Edit curriculum (edit_schedule): clean marked vs clean unmarked for clean_steps, then the
    # edit probability ramps 0 -> 1 over edit_ramp_steps; splicing and cropping (which make
    # much of a batch unmarked) start at timing_start_step and ramp over timing_ramp_steps.
    clean_steps: int = 300
    edit_ramp_steps: int = 1000
    timing_start_step: int = 1500
    timing_ramp_steps: int = 1000
    message_temperature: float = 1.0  # bit logits are divided by this in the message loss
    # "sample": per-sample BCE over the marked samples; "pooled": BCE of the bit logits
    # averaged over each item's marked samples (the way Watermarker.detect decodes).
    message_loss: str = "sample"
    codecs: bool = True
    splice_probability: float = 0.5
    bf16: bool = False
    holdout_fraction: float = 0.02
    val_batch: int = 8
    checkpoint_minutes: float = 10.0
    max_minutes: float | None = None
    log_every: int = 10
    threads: int | None = None
    # payload curriculum: start with this many random bits and reach all of them after
    # bit_curriculum_steps (0 = all bits at once)
    bit_curriculum_start: int = 1
    bit_curriculum_steps: int = 0


def active_bits(options: "TrainOptions", step: int, nbits: int) -> int:
    """Bits that carry random values at ``step``: a curriculum from ``bit_curriculum_start``
    to all ``nbits`` over ``bit_curriculum_steps`` (0 = all bits from the start)."""
    if options.bit_curriculum_steps <= 0:
        return nbits
    grown = options.bit_curriculum_start + (nbits - options.bit_curriculum_start) * step // options.bit_curriculum_steps
    return int(min(nbits, max(1, grown)))


IMPERCEPTIBILITY_TERMS = ("mel", "stft", "l1", "loudness")
MESSAGE_LOSSES = ("sample", "pooled")
DET_ACC_DECAY = 0.9  # EMA of the training det_acc that gates the imperceptibility losses


def _ramp(step: int, start: int, length: int) -> float:
    """0 before ``start``, then linear to 1 over ``length`` steps (a step at ``length <= 0``)."""
    if step < start:
        return 0.0
    if length <= 0:
        return 1.0
    return min(1.0, (step - start) / length)


def imperceptibility_scale(options: TrainOptions, step: int, started_at: int | None) -> float:
    """Factor on the imperceptibility weights at ``step`` when they were switched on at
    ``started_at`` (``None``: not yet): 0 before, then ``ramp_floor`` -> 1 (linear) over
    ``imperceptibility_ramp_steps``."""
    if started_at is None or step < started_at:
        return 0.0
    progress = _ramp(step, started_at, options.imperceptibility_ramp_steps)
    return options.ramp_floor + (1.0 - options.ramp_floor) * progress


def imperceptibility_start(options: TrainOptions, step: int, det_acc_ema: float) -> bool:
    """Whether the imperceptibility losses switch on at ``step`` (the gate: running
    detection accuracy ``det_acc_ema`` reached ``imperceptibility_gate``, or the step reached
    ``imperceptibility_start_step``)."""
    gate = options.imperceptibility_gate
    return step >= options.imperceptibility_start_step or (gate > 0 and det_acc_ema >= gate)


def edit_schedule(options: TrainOptions, step: int) -> tuple[float, float]:
    """The edit curriculum at ``step``: ``(edit_probability, timing_probability)`` for
    :meth:`watermark.augment.TrainingPolicy.apply` (both in [0, 1])."""
    edit = _ramp(step, options.clean_steps, options.edit_ramp_steps)
    timing = _ramp(step, max(options.clean_steps, options.timing_start_step), options.timing_ramp_steps)
    return edit, timing


def learning_rate(options: TrainOptions, step: int) -> float:
    """Linear warm-up to ``lr`` then cosine decay to ``lr / 20`` at ``steps``."""
    if step < options.warmup_steps:
        return options.lr * (step + 1) / options.warmup_steps
    progress = min(1.0, (step - options.warmup_steps) / max(1, options.steps - options.warmup_steps))
    low = options.lr / 20
    return low + 0.5 * (options.lr - low) * (1 + math.cos(math.pi * progress))


class Trainer:
    """Networks, optimizer and data of one run; :meth:`step` does one update."""

    def __init__(self, options: TrainOptions, config: WatermarkConfig, data: Segments):
        torch.manual_seed(options.seed)
        self.options, self.config, self.data = options, config, data
        self.networks = build_networks(config)
        params = list(self.networks.generator.parameters()) + list(self.networks.detector.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=options.lr, betas=tuple(options.betas),
                                           weight_decay=options.weight_decay)
        if options.message_loss not in MESSAGE_LOSSES:
            raise InputError(f"message_loss must be one of {', '.join(MESSAGE_LOSSES)}, got {options.message_loss!r}")
        if not options.message_temperature > 0:
            raise InputError(f"message_temperature must be positive, got {options.message_temperature}")
        self.policy = TrainingPolicy(codecs=options.codecs, splice_probability=options.splice_probability)
        self.step_index = 0
        self.training = True  # False in validate: full edits whatever the curriculum
        # curriculum state (saved with checkpoints): running training det_acc and the step at
        # which the imperceptibility losses switched on (None: not yet)
        self.det_acc_ema = 0.0  # no bias correction: the gate cannot open in the first ~20 steps
        self.imperceptibility_from: int | None = None
        self._update_gate()

    def autocast(self):
        if self.options.bf16:
            return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward(self, audio: torch.Tensor, generator: torch.Generator, *, edit: bool = True
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and figures for clean audio ``(batch, time)``."""
        o, w = self.options, self.options.weights
        payloads = torch.randint(0, 2**self.config.nbits, (audio.shape[0],), generator=generator)
        bits = message_bits(payloads, self.config.nbits)
        active = active_bits(o, self.step_index, self.config.nbits) if self.training else self.config.nbits
        bits[:, active:] = 0  # bit curriculum: the later bits stay fixed until their turn
        with self.autocast():
            mark, raw = watermark_signal(self.networks.generator, audio, bits, with_raw=True)
        mark = mark.float()
        raw_level = raw.float().pow(2).mean(-1).add(1e-12).sqrt()
        marked = audio + mark
        if edit:
            edit_probability, timing_probability = edit_schedule(o, self.step_index) if self.training \
                else (1.0, 1.0)
            edited, edited_original, mask, name = self.policy.apply(
                marked, audio, generator, edit_probability=edit_probability,
                timing_probability=timing_probability)
        else:
            edited, edited_original, mask, name = marked, audio, torch.ones_like(audio), "clean"
        with self.autocast():
            logit, bit_logits = detector_logits(self.networks.detector, torch.cat([edited, edited_original]))
        logit, bit_logits = logit.float(), bit_logits.float()
        target = torch.cat([mask, torch.zeros_like(mask)])
        n = audio.shape[0]
        message_loss = losses.pooled_message_loss if o.message_loss == "pooled" else losses.message_loss
        parts = {
            "mel": losses.multiscale_mel_loss(marked, audio),
            "stft": losses.multiscale_stft_loss(marked, audio),
            "l1": mark.abs().mean(),
            "loudness": losses.loudness_loss(mark, audio).clamp_min(o.loudness_floor_db),
            "detection": losses.detection_loss(logit, target),
            "message": message_loss(bit_logits[:n, :active] / o.message_temperature, bits[:, :active], mask),
            "raw_scale": raw_level.log().pow(2).mean(),
        }
        scale = imperceptibility_scale(o, self.step_index, self.imperceptibility_from)
        total = sum(w.get(k, 0.0) * (scale if k in IMPERCEPTIBILITY_TERMS else 1.0) * v for k, v in parts.items())
        with torch.no_grad():
            figures = {k: float(v) for k, v in parts.items()}
            figures["det_acc"] = float(((logit > 0).float() == target).float().mean())
            figures["bit_acc"] = float(losses.bit_accuracy(bit_logits[:n, :active], bits[:, :active], mask))
            figures["active_bits"] = float(active)
            figures["snr_db"] = float(losses.snr_db(marked, audio).mean())
            figures["edit"] = name
        return total, figures

    def step(self) -> dict:
        o = self.options
        audio = self.data.batch(o.seed, self.step_index, o.batch_size)
        generator = torch.Generator().manual_seed(o.seed * 1_000_003 + self.step_index)
        lr = learning_rate(o, self.step_index)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        total, figures = self.forward(audio, generator)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        figures["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, o.grad_clip))
        self.optimizer.step()
        figures.update(loss=float(total.detach()), lr=lr)
        if not all(math.isfinite(v) for v in figures.values() if isinstance(v, float)):
            raise FloatingPointError(f"non-finite loss at step {self.step_index}: {figures}")
        self.det_acc_ema = DET_ACC_DECAY * self.det_acc_ema + (1 - DET_ACC_DECAY) * figures["det_acc"]
        figures["imperceptibility_scale"] = imperceptibility_scale(o, self.step_index, self.imperceptibility_from)
        self.step_index += 1
        self._update_gate()
        return figures

    def _update_gate(self) -> None:
        if self.imperceptibility_from is None and imperceptibility_start(
                self.options, self.step_index, self.det_acc_ema):
            self.imperceptibility_from = self.step_index

    def curriculum_state(self) -> dict:
        """The curriculum's running state, JSON-able (for checkpoints)."""
        return {"det_acc_ema": self.det_acc_ema, "imperceptibility_from": self.imperceptibility_from}

    def load_curriculum_state(self, state: dict) -> None:
        self.det_acc_ema = float(state.get("det_acc_ema", 0.0))
        started = state.get("imperceptibility_from")
        self.imperceptibility_from = None if started is None else int(started)
        self._update_gate()

    def validate(self, audio: torch.Tensor) -> dict[str, float]:
        """Held-out detection and bit accuracy, clean and under a fixed random edit."""
        self.networks.generator.eval()
        self.networks.detector.eval()
        self.training = False
        out = {}
        with torch.no_grad():
            for label, edit in (("clean", False), ("edited", True)):
                _, figures = self.forward(audio, torch.Generator().manual_seed(12345), edit=edit)
                out[f"val_{label}_det_acc"] = round(figures["det_acc"], 4)
                out[f"val_{label}_bit_acc"] = round(figures["bit_acc"], 4)
            out["val_mel"] = round(figures["mel"], 5)
            out["val_snr_db"] = round(figures["snr_db"], 2)
        self.training = True
        self.networks.generator.train()
        self.networks.detector.train()
        return out

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.networks.generator, "detector": self.networks.detector}


def _prepare_run(options: TrainOptions, log: Callable[[str], None]) -> tuple[TrainOptions, WatermarkConfig]:
    run = Path(options.run_dir)
    saved = reopen_run(run, options, CHANGEABLE_ON_RESUME, "watermark", log)
    if saved is not None:
        return options, WatermarkConfig.from_dict(saved["watermark"])
    if options.init_from:
        from watermark.weights import read_card, resolve

        config = WatermarkConfig.from_dict(read_card(resolve(options.init_from)[1])["config"])
    elif options.config:
        config = WatermarkConfig.from_dict(options.config)
    else:
        config = preset(options.preset)
    create_run(run, options, "watermark", config.to_dict())
    return options, config


def train(options: TrainOptions, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) training until ``steps`` or ``max_minutes``; returns the last state."""
    if options.threads:
        torch.set_num_threads(options.threads)
    options, config = _prepare_run(options, log)
    run = Path(options.run_dir)
    train_paths, held_paths, manifest = corpus_paths(options.corpus, options.holdout_fraction)
    samples = int(options.segment_seconds * config.sample_rate)
    trainer = Trainer(options, config, Segments(train_paths, samples))
    held = Segments(held_paths or train_paths[:1], samples, cache_mb=64).batch(options.seed + 1, 0, options.val_batch)
    state = {"step": 0, "wall_seconds": 0.0, "validation": []}
    checkpoint = find_checkpoint(run) if options.resume else None
    if checkpoint is not None:
        state = load_checkpoint(checkpoint, trainer.modules(), {"watermark": trainer.optimizer})
        trainer.step_index = state["step"]
        trainer.load_curriculum_state(state.get("curriculum", {}))
        log(f"resumed {run} at step {trainer.step_index}")
    elif options.init_from:
        from watermark.watermarker import Watermarker

        source = Watermarker.from_pretrained(options.init_from)
        trainer.networks.generator.load_state_dict(source.networks.generator.state_dict())
        trainer.networks.detector.load_state_dict(source.networks.detector.state_dict())
        log(f"initialised both networks from {options.init_from}")
    state.update(corpus=str(options.corpus), corpus_hours=manifest.get("hours_built"),
                 train_clips=len(train_paths), held_out_clips=len(held_paths),
                 generator_parameters=parameter_count(trainer.networks.generator),
                 detector_parameters=parameter_count(trainer.networks.detector))
    log(f"training watermark ({state['generator_parameters'] / 1e6:.3f} M + "
        f"{state['detector_parameters'] / 1e6:.3f} M parameters) on {len(train_paths)} clips, batch "
        f"{options.batch_size} x {options.segment_seconds} s, steps {trainer.step_index} -> {options.steps}")

    def save(current: dict) -> None:
        current["curriculum"] = trainer.curriculum_state()
        save_checkpoint(run, trainer.modules(), {"watermark": trainer.optimizer}, current)

    return training_loop(
        run=run, steps=options.steps, step=trainer.step, step_index=lambda: trainer.step_index,
        validate=lambda: trainer.validate(held), save=save, state=state, log_every=options.log_every,
        checkpoint_minutes=options.checkpoint_minutes, max_minutes=options.max_minutes, log=log)
