import json

import pytest
import torch

from tests.acoustic.conftest import TINY
from tts_moe.acoustic.dataset import BatchSampler, held_out_split
from tts_moe.acoustic.export import export_run
from tts_moe.acoustic.features import build_features
from tts_moe.acoustic.loader import load_model, read_card
from tts_moe.acoustic.train import TrainOptions, train
from tts_moe.cli import main
from tts_moe.errors import InputError, ModelNotAvailableError


def options(corpus, run, **kwargs):
    base = dict(corpus=str(corpus), run_dir=str(run), steps=3, config=dict(TINY), max_frames=400, max_clips=4,
                curriculum_steps=2, binarize_after=1, holdout_fraction=0.25, checkpoint_minutes=100, log_every=1,
                threads=1, cache_dir=str(run.parent / "cache"))
    base.update(kwargs)
    return TrainOptions(**base)


def test_features_are_cached_and_consistent(corpus, tmp_path):
    first = build_features(corpus, tmp_path / "cache", log=lambda _: None)
    again = build_features(corpus, tmp_path / "cache", log=lambda _: None)
    assert len(first) == len(again) == 8
    assert first.arrays["mel"].shape == again.arrays["mel"].shape and first.arrays["mel"].shape[1] == 80
    clip = first.clip(3)
    assert len(clip["mel"]) == len(clip["log_f0"]) == first.frames(3)
    voiced = clip["voiced"].astype(bool)
    assert voiced.mean() > 0.5
    expected_hz = 120 + 60 * int(first.records[3]["speaker"][-1])  # the fixture's tone per speaker
    assert abs(float(clip["log_f0"][voiced].mean()) - float(torch.log(torch.tensor(float(expected_hz))))) < 0.1


def test_split_is_by_text_and_batches_are_deterministic(corpus, tmp_path):
    features = build_features(corpus, tmp_path / "cache", log=lambda _: None)
    train_clips, held = held_out_split(features, 0.5)
    assert set(train_clips).isdisjoint(held)
    held_texts = {features.records[i]["text_id"] for i in held}
    assert held_texts.isdisjoint({features.records[i]["text_id"] for i in train_clips})
    sampler = BatchSampler(features, train_clips + held, {"spk0": 0, "spk1": 1}, {"neutral": 0, "fast": 1},
                           max_frames=300, curriculum_steps=10, curriculum_start=0.25)
    assert sampler.clips_for(0, 5) == sampler.clips_for(0, 5)
    assert sampler.allowed(0) == 2 and sampler.allowed(10) == 8
    batch = sampler.batch(0, 20)
    assert batch.mel.shape[0] == len(batch.clips) and (batch.mel_mask.sum(1) > 0).all()
    assert int(batch.mel_mask.sum(1).max()) * len(batch.clips) <= 300 or len(batch.clips) == 1


def test_train_resume_export_and_load(corpus, tmp_path):
    run = tmp_path / "run"
    state = train(options(corpus, run), log=lambda _: None)
    assert state["step"] == 3 and state["validation"][-1]["val_mel"] > 0
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert {"moe0_min_share", "moe0_entropy", "align", "mel"} <= set(records[0])
    with pytest.raises(InputError, match="--resume"):
        train(options(corpus, run), log=lambda _: None)
    state = train(options(corpus, run, steps=5, resume=True), log=lambda _: None)
    assert state["step"] == 5
    saved = json.loads((run / "config.json").read_text())
    other = {**saved, "acoustic": {**saved["acoustic"], "symbols_version": "en-old", "speakers": ["spk0", "spkX"]}}
    (run / "config.json").write_text(json.dumps(other))
    with pytest.raises(InputError, match=r"cannot resume .*symbols_version: .*'en-old'.*; speakers: "):
        train(options(corpus, run, steps=6, resume=True), log=lambda _: None)
    (run / "config.json").write_text(json.dumps(saved))
    card = export_run(run, tmp_path / "weights")
    assert card["training"]["steps"] == 5 and card["parameters"]["active_per_phoneme"] < card["parameters"]["inference_total"]
    assert read_card(tmp_path / "weights")["config"]["num_experts"] == 4
    model = load_model(tmp_path / "weights")
    from tts_moe.acoustic.model import AcousticModel

    trained = AcousticModel(model.config)
    from tts_moe.checkpoint import find_checkpoint, load_checkpoint

    load_checkpoint(find_checkpoint(run), {"model": trained}, {})
    for name, value in trained.aligner.state_dict().items():  # the aligner ships too (fp16)
        torch.testing.assert_close(model.aligner.state_dict()[name], value.half().float())
    ids = torch.tensor([[5, 6, 7, 8]])
    out = model.synthesize(ids, torch.ones(1, 4, dtype=torch.bool), torch.tensor([0]), torch.tensor([0]))
    assert out.mel.shape[-1] == 80 and torch.isfinite(out.mel).all()


def test_training_is_seeded(corpus, tmp_path):
    a = train(options(corpus, tmp_path / "a", steps=2), log=lambda _: None)
    b = train(options(corpus, tmp_path / "b", steps=2), log=lambda _: None)
    assert a["validation"][-1]["val_mel"] == b["validation"][-1]["val_mel"]


def test_loader_errors(tmp_path, corpus):
    with pytest.raises(ModelNotAvailableError):
        load_model(tmp_path / "nowhere")
    run = tmp_path / "run"
    train(options(corpus, run, steps=1), log=lambda _: None)
    export_run(run, tmp_path / "weights")
    card_path = tmp_path / "weights" / "acoustic.json"
    card = json.loads(card_path.read_text())
    card["config"]["symbols_version"] = "en-ipa-0"
    card_path.write_text(json.dumps(card))
    with pytest.raises(InputError, match="symbol table 'en-ipa-0'"):
        load_model(tmp_path / "weights")


def test_cli_train_refuses_a_reserved_corpus_and_a_missing_folder(tmp_path, corpus, capsys):
    assert main(["train", "acoustic", str(tmp_path / "none"), "--out", str(tmp_path / "r")]) == 2
    manifest = json.loads((corpus / "manifest.json").read_text())
    reserved = tmp_path / "reserved"
    reserved.mkdir()
    (reserved / "manifest.json").write_text(json.dumps({**manifest, "reserved": True}))
    (reserved / "metadata.jsonl").write_text("")
    assert main(["train", "acoustic", str(reserved), "--out", str(tmp_path / "r")]) == 2
    assert "reserved" in capsys.readouterr().err


def test_init_from_may_change_loss_weights_but_not_the_architecture():
    from tts_moe.acoustic.config import AcousticConfig
    from tts_moe.acoustic.train import with_training_overrides

    config = AcousticConfig(speakers=["a"], styles=["neutral"], n_symbols=10)
    changed = with_training_overrides(config, {"balance_weight": 0.05, "z_weight": 0.0}, "w")
    assert (changed.balance_weight, changed.z_weight) == (0.05, 0.0)
    assert changed.num_experts == config.num_experts
    assert with_training_overrides(config, {"num_experts": config.num_experts}, "w") == config
    with pytest.raises(InputError, match="num_experts cannot change"):
        with_training_overrides(config, {"num_experts": config.num_experts + 1}, "w")


def test_a_run_from_trained_weights_skips_the_fresh_model_schedule(corpus, tmp_path, monkeypatch):
    import tts_moe.acoustic.train as acoustic_train
    from tts_moe.cli import main

    seen = []
    monkeypatch.setattr(acoustic_train, "train", lambda options, log: seen.append(options) or {"step": 0})
    assert main(["train", "acoustic", str(corpus), "--out", str(tmp_path / "a"), "--json"]) == 0
    assert main(["train", "acoustic", str(corpus), "--out", str(tmp_path / "b"), "--init-from", "w", "--json"]) == 0
    fresh, resumed = seen
    assert (fresh.curriculum_steps, fresh.warmup_steps, fresh.binarize_after) == (1500, 300, 1000)
    assert (resumed.curriculum_steps, resumed.warmup_steps, resumed.binarize_after) == (0, 50, 0)


def test_learning_rate_can_decay_over_wall_time_instead_of_steps(corpus, tmp_path, capsys):
    from tts_moe.acoustic.train import learning_rate

    by_steps = options(corpus, tmp_path / "a", steps=1000, warmup_steps=10)
    by_time = options(corpus, tmp_path / "b", steps=1000, warmup_steps=10, decay_minutes=30.0)
    assert learning_rate(by_steps, 5) == learning_rate(by_time, 5, 29.0) == pytest.approx(6e-4)  # warm-up by step
    assert learning_rate(by_steps, 1000) == pytest.approx(1e-4)
    assert learning_rate(by_time, 1000, 10.0) == pytest.approx(1e-4 + 0.45e-3 * 1.5)  # a third of the way
    assert learning_rate(by_time, 20, 30.0) == learning_rate(by_time, 20, 45.0) == pytest.approx(1e-4)
    assert main(["train", "acoustic", str(corpus), "--out", str(tmp_path / "c"), "--decay-minutes", "0"]) == 2
    assert "--decay-minutes must be positive" in capsys.readouterr().err
