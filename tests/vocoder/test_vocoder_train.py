"""Training steps, losses, checkpoints and exact resumption (tiny models, a few seconds)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError
from vocoder.config import VocoderConfig
from vocoder.dataset import SegmentDataset, load_corpus_clips
from vocoder.train import Trainer, TrainOptions, learning_rate, train

TINY_DISC = {"periods": [2, 3], "period_channels": [4, 8], "resolutions": [[512, 128]],
             "resolution_channels": 4}


def options(corpus, run_dir, **kw):
    base = dict(corpus=str(corpus), run_dir=str(run_dir), steps=2, batch_size=2,
                segment_seconds=0.3, preset="tiny", disc_start_step=1, log_every=1,
                warmup_steps=1, discriminator=TINY_DISC, val_clips=1)
    return TrainOptions(**{**base, **kw})


def quiet(_line: str) -> None:
    pass


def test_losses_are_finite_and_logged(corpus, tmp_path):
    state = train(options(corpus, tmp_path / "run"), log=quiet)
    assert state["step"] == 2
    lines = [json.loads(l) for l in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [l for l in lines if "loss_g" in l]
    assert [l["step"] for l in steps] == [1, 2]
    assert "adv" not in steps[0] and "adv" in steps[1] and "loss_d" in steps[1]
    for line in steps:
        assert all(math.isfinite(v) for v in line.values())
        assert line["s_per_step"] > 0
    assert math.isfinite(state["validation"][-1]["val_mel_l1"])


def test_resume_continues_exactly(corpus, tmp_path):
    train(options(corpus, tmp_path / "straight", steps=3), log=quiet)
    train(options(corpus, tmp_path / "split", steps=2), log=quiet)
    with pytest.raises(InputError, match="--resume"):
        train(options(corpus, tmp_path / "split", steps=3), log=quiet)
    messages = []
    state = train(options(corpus, tmp_path / "split", steps=3, resume=True), log=messages.append)
    assert state["step"] == 3 and any("resumed" in m and "step 2" in m for m in messages)
    for name in ("generator", "discriminator", "optim_generator"):
        a = load_file(str(tmp_path / "straight" / "checkpoint" / f"{name}.safetensors"))
        b = load_file(str(tmp_path / "split" / "checkpoint" / f"{name}.safetensors"))
        assert a.keys() == b.keys()
        for key in a:
            assert torch.allclose(a[key], b[key], atol=1e-6), (name, key)


def test_generator_steps_reduce_the_loss_on_a_fixed_batch(corpus):
    train_clips, _, _ = load_corpus_clips(corpus)
    data = SegmentDataset(train_clips, MelConfig(), 16)
    fixed = data.batch(0, 0, 2)
    data.batch = lambda seed, step, batch_size: fixed
    opts = options(corpus, "unused", steps=30, disc_start_step=10**9, lr=3e-3, warmup_steps=0)
    trainer = Trainer(opts, VocoderConfig(dim=32, intermediate_dim=64, num_layers=2), data)
    first = trainer.step()["mel"]
    for _ in range(25):
        last = trainer.step()["mel"]
    assert last < 0.8 * first


def test_learning_rate_schedule():
    o = TrainOptions(corpus="c", run_dir="r", steps=1000, warmup_steps=100, lr=1e-3, lr_min_ratio=0.1)
    assert learning_rate(o, 0) == pytest.approx(1e-5)
    assert learning_rate(o, 100) == pytest.approx(1e-3)
    assert learning_rate(o, 1000) == pytest.approx(1e-4)
    o.schedule = "exponential"
    assert learning_rate(o, 1000) == pytest.approx(1e-4)
    assert learning_rate(o, 550) == pytest.approx(1e-3 * 0.1 ** 0.5)
