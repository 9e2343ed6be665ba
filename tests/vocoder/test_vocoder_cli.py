"""``tts-moe vocoder train | export | copy-synth`` end to end with a tiny model."""

from __future__ import annotations

import json

import pytest

from tts_moe.cli import main
from vocoder.loader import Vocoder


@pytest.fixture(scope="module")
def exported(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("vocoder-cli")
    code = main(["vocoder", "train", str(corpus), "--out", str(root / "run"), "--steps", "2",
                 "--batch", "1", "--segment-seconds", "0.3", "--preset", "tiny",
                 "--disc-start", "100", "--seed", "1"])
    assert code == 0
    assert main(["vocoder", "export", str(root / "run"), "--to", str(root / "weights")]) == 0
    return root


def test_export_writes_weights_and_card(exported):
    card = json.loads((exported / "weights" / "vocoder.json").read_text())
    assert card["training"]["steps"] == 2 and card["training"]["wall_seconds"] > 0
    assert card["config"]["mel"]["hop_length"] == 256 and card["weights_dtype"] == "float16"
    assert card["training"]["options"]["seed"] == 1
    assert Vocoder.from_pretrained(exported / "weights").config.dim == 32


def test_resume_and_init_from(exported, corpus, capsys):
    assert main(["vocoder", "train", str(corpus), "--out", str(exported / "run"), "--steps", "3",
                 "--batch", "1", "--segment-seconds", "0.3", "--preset", "tiny", "--resume",
                 "--disc-start", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 3
    assert main(["vocoder", "train", str(corpus), "--out", str(exported / "finetune"), "--steps", "1",
                 "--batch", "1", "--segment-seconds", "0.3", "--init-from", str(exported / "weights"),
                 "--disc-start", "100"]) == 0
    assert main(["vocoder", "train", str(corpus), "--out", str(exported / "deeper"), "--steps", "1",
                 "--batch", "1", "--segment-seconds", "0.3", "--init-from", str(exported / "weights"),
                 "--grow-layers", "2", "--disc-start", "100"]) == 0
    deeper = json.loads((exported / "deeper" / "config.json").read_text())
    assert deeper["vocoder"]["num_layers"] == Vocoder.from_pretrained(exported / "weights").config.num_layers + 2
    assert main(["vocoder", "train", str(corpus), "--out", str(exported / "bad"), "--steps", "1",
                 "--grow-layers", "2"]) == 2


def test_loss_resolutions_reach_the_run_and_the_card(exported, corpus, capsys):
    run = exported / "short-window"
    assert main(["vocoder", "train", str(corpus), "--out", str(run), "--steps", "1", "--batch", "1",
                 "--segment-seconds", "0.3", "--preset", "tiny", "--disc-start", "100",
                 "--loss-resolutions", "128:32:16,1024:256:80"]) == 0
    saved = json.loads((run / "config.json").read_text())["options"]["loss_resolutions"]
    assert saved == [[128, 32, 16], [1024, 256, 80]]
    assert main(["vocoder", "export", str(run), "--to", str(exported / "short-weights")]) == 0
    card = json.loads((exported / "short-weights" / "vocoder.json").read_text())
    assert card["training"]["options"]["loss_resolutions"] == saved
    capsys.readouterr()
    assert main(["vocoder", "train", str(corpus), "--out", str(exported / "bad-res"), "--steps", "1",
                 "--loss-resolutions", "128:32"]) == 2
    assert "n_fft:hop:n_mels" in capsys.readouterr().err


def test_copy_synth_reports_figures_and_writes_no_audio(exported, corpus, capsys, tmp_path, monkeypatch):
    import bench.common

    monkeypatch.setattr(bench.common, "RESULTS_DIR", tmp_path)
    clip = next((corpus / "audio").rglob("*.flac"))
    assert main(["vocoder", "copy-synth", str(clip), "--weights", str(exported / "weights"), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["mel_l1_griffin_lim"] < figures["mel_l1_vocoder"]  # an untrained vocoder is worse
    assert [p.name for p in tmp_path.iterdir()] == ["vocoder_copy_synth.json"]


@pytest.mark.parametrize("argv,message", [
    (["vocoder", "train", "/no/such/corpus", "--out", "/tmp/x"], "corpus folder not found"),
    (["vocoder", "export", "/no/such/run", "--to", "/tmp/x"], "not a vocoder run folder"),
    (["vocoder", "copy-synth", "/no/such.wav", "--weights", "/no/weights"], "not found"),
])
def test_user_errors_are_one_line(argv, message, capsys):
    assert main(argv) in (2, 4)
    assert message in capsys.readouterr().err


def test_a_vocoder_tuned_on_predicted_mels_records_their_acoustic_model(exported, corpus, tmp_path, capsys):
    import numpy as np

    from tts_moe.acoustic.mel_source import SOURCE_NAME
    from tts_moe.audio import load_audio, log_mel
    from vocoder.dataset import load_corpus_clips
    from vocoder.loader import tuned_for

    assert tuned_for(exported / "weights") is None  # trained on real mels
    mels = tmp_path / "mels"
    mels.mkdir()
    train_clips, held_clips, _ = load_corpus_clips(corpus)
    for clip in train_clips + held_clips:
        np.save(mels / f"{clip.id}.npy", log_mel(load_audio(clip.path)).numpy().astype(np.float16))
    (mels / SOURCE_NAME).write_text(json.dumps({"acoustic_fingerprint": "0123456789abcdef"}), encoding="utf-8")
    assert main(["vocoder", "train", str(corpus), "--out", str(tmp_path / "run"), "--steps", "1", "--batch", "1",
                 "--segment-seconds", "0.3", "--preset", "tiny", "--disc-start", "100",
                 "--init-from", str(exported / "weights"), "--mel-dir", str(mels)]) == 0
    assert main(["vocoder", "export", str(tmp_path / "run"), "--to", str(tmp_path / "tuned")]) == 0
    assert tuned_for(tmp_path / "tuned") == "0123456789abcdef"
    # the folder re-predicted by other weights: resuming would tune the vocoder to a mix
    (mels / SOURCE_NAME).write_text(json.dumps({"acoustic_fingerprint": "fedcba9876543210"}), encoding="utf-8")
    assert main(["vocoder", "train", str(corpus), "--out", str(tmp_path / "run"), "--steps", "2", "--resume"]) != 0
    assert "now holds mels of acoustic weights fedcba9876543210" in capsys.readouterr().err
