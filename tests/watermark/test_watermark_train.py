"""Training loop: logged losses, exact resumption, export (tiny networks, seconds)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from tts_moe.errors import InputError
from watermark.export import export_run
from watermark.train import TrainOptions, learning_rate, train
from watermark.watermarker import Watermarker


def options(corpus, run_dir, **kw):
    base = dict(corpus=str(corpus), run_dir=str(run_dir), steps=2, batch_size=2, segment_seconds=0.4,
                preset="tiny", log_every=1, warmup_steps=1, val_batch=2, codecs=False)
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
    assert learning_rate(o, 0) == pytest.approx(1e-5)
    assert learning_rate(o, 100) == pytest.approx(1e-3)
    assert learning_rate(o, 1000) == pytest.approx(5e-5)
