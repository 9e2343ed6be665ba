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
