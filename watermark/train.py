"""The watermark training loop: generator and detector trained jointly with AdamW.

Each step: embed random 16-bit payloads in a batch of speech segments, edit the marked
audio (random augmentation, random splicing with the unmarked original, sometimes a crop;
:class:`watermark.augment.TrainingPolicy`) and the unmarked audio the same way, and train

    loss = mel * multi-scale mel + stft * multi-scale STFT + l1 * |watermark|
           + loudness * time-frequency loudness           (imperceptibility)
           + detection * per-sample BCE (marked vs unmarked, target = mask)
           + message * bit BCE over marked samples         (payload)

Seeded and resumable: batches, payloads and augmentations are pure functions of
``(seed, step)``; checkpoints hold fp32 weights and optimizer state (no pickles). Logs go to
``RUN_DIR/log.jsonl`` and, as text, to ``log``.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from tts_moe.errors import InputError, OutputError
from watermark import losses
from watermark.augment import TrainingPolicy
from tts_moe.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
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
    lr: float = 5e-4
    warmup_steps: int = 200
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    grad_clip: float = 10.0
    weights: dict = field(default_factory=lambda: {"mel": 2.0, "stft": 1.0, "l1": 0.1, "loudness": 0.1,
                                                   "detection": 1.0, "message": 1.0})
    loudness_floor_db: float = -40.0
    codecs: bool = True
    splice_probability: float = 0.5
    bf16: bool = False
    holdout_fraction: float = 0.02
    val_batch: int = 8
    checkpoint_minutes: float = 10.0
    max_minutes: float | None = None
    log_every: int = 10
    threads: int | None = None


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
        self.policy = TrainingPolicy(codecs=options.codecs, splice_probability=options.splice_probability)
        self.step_index = 0

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
        with self.autocast():
            mark = watermark_signal(self.networks.generator, audio, bits).float()
        marked = audio + mark
        if edit:
            edited, edited_original, mask, name = self.policy.apply(marked, audio, generator)
        else:
            edited, edited_original, mask, name = marked, audio, torch.ones_like(audio), "clean"
        with self.autocast():
            logit, bit_logits = detector_logits(self.networks.detector, torch.cat([edited, edited_original]))
        logit, bit_logits = logit.float(), bit_logits.float()
        target = torch.cat([mask, torch.zeros_like(mask)])
        n = audio.shape[0]
        parts = {
            "mel": losses.multiscale_mel_loss(marked, audio),
            "stft": losses.multiscale_stft_loss(marked, audio),
            "l1": mark.abs().mean(),
            "loudness": losses.loudness_loss(mark, audio).clamp_min(o.loudness_floor_db),
            "detection": losses.detection_loss(logit, target),
            "message": losses.message_loss(bit_logits[:n], bits, mask),
        }
        total = sum(w[k] * v for k, v in parts.items())
        with torch.no_grad():
            figures = {k: float(v) for k, v in parts.items()}
            figures["det_acc"] = float(((logit > 0).float() == target).float().mean())
            figures["bit_acc"] = float(losses.bit_accuracy(bit_logits[:n], bits, mask))
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
        self.step_index += 1
        return figures

    def validate(self, audio: torch.Tensor) -> dict[str, float]:
        """Held-out detection and bit accuracy, clean and under a fixed random edit."""
        self.networks.generator.eval()
        self.networks.detector.eval()
        out = {}
        with torch.no_grad():
            for label, edit in (("clean", False), ("edited", True)):
                _, figures = self.forward(audio, torch.Generator().manual_seed(12345), edit=edit)
                out[f"val_{label}_det_acc"] = round(figures["det_acc"], 4)
                out[f"val_{label}_bit_acc"] = round(figures["bit_acc"], 4)
            out["val_mel"] = round(figures["mel"], 5)
        self.networks.generator.train()
        self.networks.detector.train()
        return out

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.networks.generator, "detector": self.networks.detector}


def _prepare_run(options: TrainOptions, log: Callable[[str], None]) -> tuple[TrainOptions, WatermarkConfig]:
    run = Path(options.run_dir)
    config_path = run / "config.json"
    if config_path.is_file():
        if not options.resume:
            raise InputError(f"{run} already holds a run: pass --resume to continue it or choose a new folder")
        saved = json.loads(config_path.read_text(encoding="utf-8"))
        kept = {k: v for k, v in saved["options"].items() if k not in CHANGEABLE_ON_RESUME}
        changed = [k for k, v in kept.items() if json.loads(json.dumps(getattr(options, k))) != v]
        if changed:
            log(f"resume: keeping the run's own settings for {', '.join(sorted(changed))}")
        for key, value in kept.items():
            setattr(options, key, tuple(value) if key == "betas" else value)
        return options, WatermarkConfig.from_dict(saved["watermark"])
    if options.resume and run.exists() and any(run.iterdir()):
        raise InputError(f"--resume: {run} holds no config.json, so it is not a watermark run folder")
    if options.init_from:
        from watermark.weights import read_card, resolve

        config = WatermarkConfig.from_dict(read_card(resolve(options.init_from)[1])["config"])
    elif options.config:
        config = WatermarkConfig.from_dict(options.config)
    else:
        config = preset(options.preset)
    try:
        run.mkdir(parents=True, exist_ok=True)
        saved = {"watermark": config.to_dict(), "options": json.loads(json.dumps(asdict(options)))}
        config_path.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot create run folder {run}: {error}") from None
    return options, config


def _append_log(run: Path, record: dict) -> None:
    try:
        with (run / "log.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as error:
        raise OutputError(f"cannot append to {run / 'log.jsonl'}: {error}") from None


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
    started = last_checkpoint = window_start = time.perf_counter()
    session_wall = state["wall_seconds"]
    window: dict[str, list[float]] = {}

    def save(reason: str) -> None:
        nonlocal last_checkpoint
        state["validation"].append({"step": trainer.step_index, **trainer.validate(held)})
        state.update(step=trainer.step_index, wall_seconds=session_wall + time.perf_counter() - started)
        save_checkpoint(run, trainer.modules(), {"watermark": trainer.optimizer}, state)
        last_checkpoint = time.perf_counter()
        _append_log(run, {"event": "checkpoint", "reason": reason, **state["validation"][-1],
                          "wall_seconds": round(state["wall_seconds"], 1)})
        log(f"checkpoint at step {trainer.step_index} ({reason}): {state['validation'][-1]}")

    try:
        while trainer.step_index < options.steps:
            figures = trainer.step()
            for key, value in figures.items():
                if isinstance(value, float):
                    window.setdefault(key, []).append(value)
            if trainer.step_index % options.log_every == 0 or trainer.step_index == options.steps:
                seconds = time.perf_counter() - window_start
                count = len(window.get("loss", [1]))
                record = {"step": trainer.step_index,
                          **{k: float(f"{sum(v) / len(v):.5g}") for k, v in window.items()},
                          "last_edit": figures["edit"], "s_per_step": round(seconds / count, 4),
                          "wall_seconds": round(session_wall + time.perf_counter() - started, 1)}
                _append_log(run, record)
                log(" ".join(f"{k}={v}" for k, v in record.items()))
                window, window_start = {}, time.perf_counter()
            if options.max_minutes is not None and (time.perf_counter() - started) / 60 >= options.max_minutes:
                save("time limit")
                return state
            if (time.perf_counter() - last_checkpoint) / 60 >= options.checkpoint_minutes:
                save("periodic")
    except KeyboardInterrupt:
        save("interrupted")
        raise
    save("finished")
    return state
