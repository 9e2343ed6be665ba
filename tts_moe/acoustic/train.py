"""Training loop of the acoustic model (`tts-moe train acoustic`).

Seeded and resumable: batches are pure functions of ``(seed, step)``; checkpoints hold fp32
weights and the optimizer state as safetensors + JSON (:mod:`tts_moe.checkpoint`). Logs go
to ``RUN_DIR/log.jsonl`` and to the console: losses, validation losses, each MoE block's
expert shares (min/max relative to the fair share), routing entropy and dropped slots.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.dataset import BatchSampler, collate, held_out_split
from tts_moe.acoustic.features import FeatureSet, build_features
from tts_moe.acoustic.losses import DEFAULT_WEIGHTS, loss_terms, routing_statistics
from tts_moe.acoustic.model import AcousticModel
from tts_moe.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from tts_moe.corpus.metadata import require_training_corpus
from tts_moe.corpus.speakers import ALL_STYLES
from tts_moe.errors import InputError
from tts_moe.training import create_run, reopen_run, training_loop
from tts_moe.text.symbols import SymbolTable

CHANGEABLE_ON_RESUME = ("corpus", "run_dir", "steps", "checkpoint_minutes", "max_minutes", "decay_minutes",
                        "log_every", "threads", "resume", "init_from", "cache_dir", "device")


@dataclass
class TrainOptions:
    corpus: str
    run_dir: str
    steps: int = 20_000
    seed: int = 0
    mixture: bool = True
    config: dict = field(default_factory=dict)  # AcousticConfig overrides (dim, num_experts, top_k, ...)
    resume: bool = False
    init_from: str | None = None
    lr: float = 1e-3
    warmup_steps: int = 300
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    max_frames: int = 4000
    max_clips: int = 24
    curriculum_steps: int = 1500
    binarize_after: int = 1000
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    bf16: bool = False
    holdout_fraction: float = 0.01
    checkpoint_minutes: float = 5.0
    max_minutes: float | None = None
    decay_minutes: float | None = None  # cosine decay over training wall time instead of over ``steps``
    log_every: int = 20
    threads: int | None = None
    cache_dir: str | None = None
    device: str = "cpu"


def learning_rate(options: TrainOptions, step: int, minutes: float = 0.0) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``lr / 10`` at ``steps`` or, with
    ``decay_minutes``, at that many minutes of training wall time (``minutes`` so far, counted
    from the run's start, warm-up included, over every session of a resumed run): two models
    compared at one wall-clock budget then both end their schedule at the budget."""
    if step < options.warmup_steps:
        return options.lr * (step + 1) / options.warmup_steps
    if options.decay_minutes:
        progress = min(1.0, minutes / options.decay_minutes)
    else:
        progress = min(1.0, (step - options.warmup_steps) / max(1, options.steps - options.warmup_steps))
    return options.lr / 10 + 0.45 * options.lr * (1 + math.cos(math.pi * progress))


# config fields that only shape the training losses, so a run started from shipped weights may change them
TRAINING_ONLY_FIELDS = ("balance_weight", "z_weight", "capacity_factor")


def with_training_overrides(config: AcousticConfig, overrides: dict, source: str) -> AcousticConfig:
    """``config`` with the loss settings of ``overrides`` applied; any other override that
    differs from ``config`` (e.g. the number of experts) cannot apply to existing weights."""
    from dataclasses import replace

    fixed = sorted(k for k, v in overrides.items() if k not in TRAINING_ONLY_FIELDS and getattr(config, k) != v)
    if fixed:
        raise InputError(f"--init-from {source}: {', '.join(fixed)} cannot change on existing weights "
                         f"(only {', '.join(TRAINING_ONLY_FIELDS)} can)")
    return replace(config, **{k: v for k, v in overrides.items() if k in TRAINING_ONLY_FIELDS})


def data_config(features: FeatureSet, train_clips: list[int], options: TrainOptions) -> AcousticConfig:
    """A config whose speakers, styles and normalisation come from the training data."""
    speakers = sorted({features.records[i]["speaker"] for i in train_clips})
    languages = {features.records[i]["speaker"]: features.records[i].get("language") or "en-us" for i in train_clips}
    voiced = features.arrays["voiced"].astype(bool)
    log_f0 = features.arrays["log_f0"][voiced]
    energy = features.arrays["energy"]
    return AcousticConfig(speakers=speakers, styles=list(ALL_STYLES), n_symbols=len(SymbolTable()),
                          speaker_languages=languages, mixture=options.mixture,
                          pitch_mean=float(log_f0.mean()), pitch_std=float(log_f0.std()),
                          energy_mean=float(energy.mean()), energy_std=float(energy.std()),
                          **options.config)


class Trainer:
    def __init__(self, options: TrainOptions, config: AcousticConfig, features: FeatureSet,
                 train_clips: list[int], held_clips: list[int]) -> None:
        torch.manual_seed(options.seed)
        self.options, self.config, self.features = options, config, features
        self.model = AcousticModel(config).to(options.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=options.lr, betas=(0.9, 0.98),
                                           weight_decay=options.weight_decay)
        self.speakers = {s: i for i, s in enumerate(config.speakers)}
        self.styles = {s: i for i, s in enumerate(config.styles)}
        self.sampler = BatchSampler(features, train_clips, self.speakers, self.styles, max_frames=options.max_frames,
                                    max_clips=options.max_clips, curriculum_steps=options.curriculum_steps)
        self.held = held_clips
        self.step_index = 0
        self.wall_before, self.clock = 0.0, time.perf_counter()  # training wall time of earlier sessions

    def minutes(self) -> float:
        """Training wall time so far (earlier sessions of a resumed run included)."""
        return (self.wall_before + time.perf_counter() - self.clock) / 60

    def autocast(self):
        if self.options.bf16:
            return torch.autocast(device_type=self.options.device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def losses(self, batch) -> tuple[torch.Tensor, dict[str, float], object]:
        weights = self.options.weights
        batch = batch.to(self.options.device)
        with self.autocast():
            out = self.model(**batch.model_inputs())
        terms = loss_terms(out, batch, binarize=self.step_index >= self.options.binarize_after)
        total = sum(weights.get(k, 0.0) * v for k, v in terms.items())
        return total, {k: float(v.detach()) for k, v in terms.items()}, out

    def step(self) -> dict:
        o = self.options
        batch = self.sampler.batch(o.seed, self.step_index)
        lr = learning_rate(o, self.step_index, self.minutes())
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        total, figures, out = self.losses(batch)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        figures["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), o.grad_clip))
        self.optimizer.step()
        figures.update(loss=float(total.detach()), lr=lr, clips=len(batch.clips),
                       frames=int(batch.mel_mask.sum()), **routing_statistics(out, batch.id_mask))
        if not math.isfinite(figures["loss"]):
            raise FloatingPointError(f"non-finite loss at step {self.step_index}: {figures}")
        self.step_index += 1
        return figures

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Teacher-forced validation losses over the held-out clips (in batches)."""
        self.model.eval()
        sums: dict[str, float] = {}
        count = 0
        ordered = sorted(self.held, key=self.features.frames)
        for start in range(0, len(ordered), 16):
            batch = collate(self.features, ordered[start:start + 16], self.speakers, self.styles)
            _, figures, out = self.losses(batch)
            for key, value in {**figures, **routing_statistics(out, batch.id_mask)}.items():
                sums[key] = sums.get(key, 0.0) + value * len(batch.clips)
            count += len(batch.clips)
        self.model.train()
        return {f"val_{k}": round(v / max(count, 1), 5) for k, v in sums.items()}


def _prepare_run(options: TrainOptions, features: FeatureSet, train_clips: list[int],
                 log: Callable[[str], None]) -> tuple[TrainOptions, AcousticConfig]:
    run = Path(options.run_dir)
    saved = reopen_run(run, options, CHANGEABLE_ON_RESUME, "acoustic", log)
    if saved is not None:
        config = AcousticConfig.from_dict(saved["acoustic"])
        differences = config.describe_mismatch(data_config(features, train_clips, options))
        if differences:
            raise InputError(f"cannot resume {run}: its model does not fit this corpus and toolkit (now vs the run): "
                             + "; ".join(differences))
        return options, config
    if options.init_from:
        from tts_moe.acoustic.loader import read_card

        config = AcousticConfig.from_dict(read_card(options.init_from)["config"])
        config = with_training_overrides(config, options.config, options.init_from)
        fresh = data_config(features, train_clips, options)
        differences = config.describe_mismatch(fresh)
        if differences:
            raise InputError(f"--init-from {options.init_from} does not fit this corpus: " + "; ".join(differences))
    else:
        config = data_config(features, train_clips, options)
    create_run(run, options, "acoustic", config.to_dict())
    return options, config


def train(options: TrainOptions, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) training until ``steps`` or ``max_minutes``; returns the last state."""
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.set_flush_denormal(True)  # denormal optimizer/activation values slow CPU steps many-fold
    manifest = require_training_corpus(options.corpus)
    features = build_features(options.corpus, options.cache_dir, log=log)
    train_clips, held_clips = held_out_split(features, options.holdout_fraction, options.seed)
    options, config = _prepare_run(options, features, train_clips, log)
    run = Path(options.run_dir)
    trainer = Trainer(options, config, features, train_clips, held_clips or train_clips[:8])
    state = {"step": 0, "wall_seconds": 0.0, "validation": []}
    checkpoint = find_checkpoint(run) if options.resume else None
    if checkpoint is not None:
        state = load_checkpoint(checkpoint, {"model": trainer.model}, {"acoustic": trainer.optimizer})
        trainer.step_index = state["step"]
        trainer.wall_before = state.get("wall_seconds", 0.0)
        log(f"resumed {run} at step {trainer.step_index}")
    elif options.init_from:
        from tts_moe.acoustic.loader import load_weights

        load_weights(trainer.model, options.init_from)
        log(f"initialised from {options.init_from}")
    total_params = sum(p.numel() for p in trainer.model.parameters())
    state.update(corpus=str(options.corpus), corpus_hours=manifest.get("hours_built"), train_clips=len(train_clips),
                 held_out_clips=len(held_clips), parameters=total_params)
    log(f"training acoustic model ({'MoE' if config.mixture else 'dense'}, {total_params / 1e6:.2f} M parameters) "
        f"on {len(train_clips)} clips ({len(held_clips)} held out), steps {trainer.step_index} -> {options.steps}")
    trainer.clock = time.perf_counter()
    return training_loop(
        run=run, steps=options.steps, step=trainer.step, step_index=lambda: trainer.step_index,
        validate=trainer.validate, state=state, log_every=options.log_every,
        save=lambda st: save_checkpoint(run, {"model": trainer.model}, {"acoustic": trainer.optimizer}, st),
        checkpoint_minutes=options.checkpoint_minutes, max_minutes=options.max_minutes, log=log)
