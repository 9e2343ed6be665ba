"""Training loop: logged losses, exact resumption, export, the curriculum (tiny networks, seconds)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from tts_moe.errors import InputError
from watermark import losses
from watermark.augment import TrainingPolicy
from watermark.export import export_run
from watermark.train import (
    TrainOptions,
    edit_schedule,
    imperceptibility_scale,
    imperceptibility_start,
    learning_rate,
    train,
)
from watermark.watermarker import Watermarker

# No curriculum: every loss and every edit from step 0, so short runs exercise all of them.
NO_CURRICULUM = dict(clean_steps=0, edit_ramp_steps=0, timing_start_step=0, timing_ramp_steps=0,
                     imperceptibility_start_step=0)


def options(corpus, run_dir, **kw):
    base = dict(corpus=str(corpus), run_dir=str(run_dir), steps=2, batch_size=2, segment_seconds=0.4,
                preset="tiny", log_every=1, warmup_steps=1, val_batch=2, codecs=False, **NO_CURRICULUM)
    return TrainOptions(**{**base, **kw})


def quiet(_line: str) -> None:
    pass


def test_losses_are_finite_and_logged(corpus, tmp_path):
    state = train(options(corpus, tmp_path / "run"), log=quiet)
    assert state["step"] == 2
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [line for line in lines if "loss" in line]
    assert [line["step"] for line in steps] == [1, 2]
    for line in steps:
        for key in ("mel", "stft", "l1", "loudness", "detection", "message", "det_acc", "bit_acc"):
            assert math.isfinite(line[key]), key
    checkpoint = [line for line in lines if line.get("event") == "checkpoint"][-1]
    assert 0.0 <= checkpoint["val_clean_bit_acc"] <= 1.0 and "val_edited_det_acc" in checkpoint


def test_resume_continues_exactly(corpus, tmp_path):
    train(options(corpus, tmp_path / "straight", steps=3), log=quiet)
    train(options(corpus, tmp_path / "split", steps=2), log=quiet)
    with pytest.raises(InputError, match="--resume"):
        train(options(corpus, tmp_path / "split", steps=3), log=quiet)
    messages = []
    state = train(options(corpus, tmp_path / "split", steps=3, resume=True), log=messages.append)
    assert state["step"] == 3 and any("resumed" in m and "step 2" in m for m in messages)
    for name in ("generator", "detector", "optim_watermark"):
        a = load_file(str(tmp_path / "straight" / "checkpoint" / f"{name}.safetensors"))
        b = load_file(str(tmp_path / "split" / "checkpoint" / f"{name}.safetensors"))
        assert a.keys() == b.keys()
        for key in a:
            assert torch.allclose(a[key], b[key], atol=1e-6), (name, key)


def test_export_then_load_and_init_from(corpus, tmp_path):
    train(options(corpus, tmp_path / "run", steps=1), log=quiet)
    card = export_run(tmp_path / "run", tmp_path / "weights", detection_threshold=0.7)
    assert card["training"]["steps"] == 1 and card["weights_dtype"] == "float16"
    marker = Watermarker.from_pretrained(tmp_path / "weights")
    assert marker.threshold == 0.7
    messages = []
    train(options(corpus, tmp_path / "again", steps=1, init_from=str(tmp_path / "weights")),
          log=messages.append)
    assert any("initialised" in m for m in messages)


def test_reserved_corpus_is_refused(corpus, tmp_path):
    import shutil

    reserved = tmp_path / "reserved"
    shutil.copytree(corpus, reserved)
    manifest = json.loads((reserved / "manifest.json").read_text())
    (reserved / "manifest.json").write_text(json.dumps({**manifest, "reserved": True}))
    with pytest.raises(InputError, match="reserved"):
        train(options(reserved, tmp_path / "run"), log=quiet)


def test_learning_rate_schedule():
    o = TrainOptions(corpus="c", run_dir="r", steps=1000, warmup_steps=100, lr=1e-3)
    assert TrainOptions(corpus="c", run_dir="r").lr == 1e-3  # the fast-start recipe
    assert learning_rate(o, 0) == pytest.approx(1e-5)
    assert learning_rate(o, 100) == pytest.approx(1e-3)
    assert learning_rate(o, 1000) == pytest.approx(5e-5)


def test_edit_schedule_ramps_edits_then_splicing_and_cropping():
    o = TrainOptions(corpus="c", run_dir="r", clean_steps=300, edit_ramp_steps=1000,
                     timing_start_step=1500, timing_ramp_steps=1000)
    assert edit_schedule(o, 0) == (0.0, 0.0) and edit_schedule(o, 299) == (0.0, 0.0)
    assert edit_schedule(o, 800) == pytest.approx((0.5, 0.0))
    assert edit_schedule(o, 1500) == pytest.approx((1.0, 0.0))
    assert edit_schedule(o, 2000) == pytest.approx((1.0, 0.5))
    assert edit_schedule(o, 10_000) == (1.0, 1.0)
    assert edit_schedule(TrainOptions(corpus="c", run_dir="r", **NO_CURRICULUM), 0) == (1.0, 1.0)


def test_imperceptibility_waits_for_detection_then_ramps():
    o = TrainOptions(corpus="c", run_dir="r", imperceptibility_gate=0.9, imperceptibility_start_step=1000,
                     imperceptibility_ramp_steps=100, ramp_floor=0.1)
    assert not imperceptibility_start(o, 50, det_acc_ema=0.89)
    assert imperceptibility_start(o, 50, det_acc_ema=0.9)
    assert imperceptibility_start(o, 1000, det_acc_ema=0.5)  # the latest start
    assert not imperceptibility_start(TrainOptions(corpus="c", run_dir="r", imperceptibility_gate=0.0,
                                                   imperceptibility_start_step=10), 9, det_acc_ema=1.0)
    assert imperceptibility_scale(o, 500, None) == 0.0
    assert imperceptibility_scale(o, 199, 200) == 0.0
    assert imperceptibility_scale(o, 200, 200) == pytest.approx(0.1)
    assert imperceptibility_scale(o, 250, 200) == pytest.approx(0.55)
    assert imperceptibility_scale(o, 5000, 200) == 1.0


def test_policy_curriculum_knobs():
    torch.manual_seed(0)
    marked, original = torch.randn(3, 8000), torch.randn(3, 8000)
    policy = TrainingPolicy(codecs=False, splice_probability=1.0)
    for seed in range(8):
        edited, edited_original, mask, name = policy.apply(
            marked, original, torch.Generator().manual_seed(seed), edit_probability=0.0, timing_probability=0.0)
        assert name == "identity" and torch.equal(edited, marked) and torch.equal(edited_original, original)
        assert torch.equal(mask, torch.ones_like(marked))
    _, _, mask, _ = policy.apply(marked, original, torch.Generator().manual_seed(0), timing_probability=1.0)
    assert float(mask.min()) == 0.0  # spliced: unmarked stretches


def test_pooled_message_loss():
    bits = torch.tensor([[1, 0, 1, 0], [0, 0, 1, 1]])
    logits = (2 * bits.float() - 1).unsqueeze(-1).expand(2, 4, 50) * 8
    mask = torch.ones(2, 50)
    assert float(losses.pooled_message_loss(logits, bits, mask)) < 1e-3
    wrong = logits.clone()
    wrong[1] = -wrong[1]
    assert float(losses.pooled_message_loss(wrong, bits, mask)) > 3.0
    mask[1] = 0  # an item with no marked sample is left out
    assert float(losses.pooled_message_loss(wrong, bits, mask)) < 1e-3
    assert float(losses.pooled_message_loss(wrong, bits, torch.zeros(2, 50))) == 0.0
    assert losses.bit_accuracy(wrong, bits, torch.ones(2, 50)) == 0.5


def test_curriculum_state_survives_resume(corpus, tmp_path):
    """A gate that opens at step 1 (from the running det_acc): the resumed run must keep the
    step it opened at, or its imperceptibility weights (and so its weights) would differ."""
    curriculum = dict(imperceptibility_gate=0.01, imperceptibility_start_step=1000, imperceptibility_ramp_steps=1,
                      ramp_floor=0.1, message_loss="pooled")
    train(options(corpus, tmp_path / "straight", steps=3, **curriculum), log=quiet)
    train(options(corpus, tmp_path / "split", steps=2, **curriculum), log=quiet)
    state = train(options(corpus, tmp_path / "split", steps=3, resume=True, **curriculum), log=quiet)
    assert state["curriculum"]["imperceptibility_from"] == 1
    lines = [json.loads(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    assert [line["imperceptibility_scale"] for line in lines if "loss" in line] == [0.0, 0.1, 1.0]
    for name in ("generator", "detector"):
        a = load_file(str(tmp_path / "straight" / "checkpoint" / f"{name}.safetensors"))
        b = load_file(str(tmp_path / "split" / "checkpoint" / f"{name}.safetensors"))
        for key in a:
            assert torch.allclose(a[key], b[key], atol=1e-6), (name, key)


def test_bad_message_loss_is_refused(corpus, tmp_path):
    with pytest.raises(InputError, match="message_loss"):
        train(options(corpus, tmp_path / "run", message_loss="median"), log=quiet)


def test_bit_curriculum_grows_to_all_bits():
    from watermark.train import TrainOptions, active_bits

    off = TrainOptions(corpus="c", run_dir="r")
    assert active_bits(off, 0, 16) == 16
    grow = TrainOptions(corpus="c", run_dir="r", bit_curriculum_start=4, bit_curriculum_steps=1200)
    assert [active_bits(grow, s, 16) for s in (0, 100, 600, 1200, 5000)] == [4, 5, 10, 16, 16]


def test_message_embeddings_start_small():
    from watermark.model import WatermarkConfig, build_generator

    small = build_generator(WatermarkConfig(n_filters=4, dimension=16, lstm=0, ratios=(4, 4)))
    default = build_generator(WatermarkConfig(n_filters=4, dimension=16, lstm=0, ratios=(4, 4), message_init_std=None))
    assert small.msg_processor.msg_processor.weight.std() < 0.05 < default.msg_processor.msg_processor.weight.std()
