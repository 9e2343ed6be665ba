"""``tts-moe watermark ...`` through a parser built here (the lead registers the module)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from tts_moe.audio import load_audio, write_audio
from tts_moe.errors import InputError, ModelNotAvailableError
from watermark import cli
from watermark import weights as weights_module
from watermark.model import PRESETS, build_networks
from watermark.watermarker import Watermarker


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tts-moe")
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


@pytest.fixture()
def weights(tmp_path):
    torch.manual_seed(0)
    Watermarker(build_networks(PRESETS["tiny"])).save_pretrained(tmp_path / "w")
    return tmp_path / "w"


def test_help_and_group_without_subcommand(capsys):
    args = parse("watermark")
    assert args.func(args) == 2
    for sub in ("train", "export", "embed", "detect"):
        with pytest.raises(SystemExit):
            parse("watermark", sub, "--help")
        assert "usage" in capsys.readouterr().out


def test_embed_then_detect_json(weights, tmp_path, capsys, speech):
    source = tmp_path / "in.wav"
    write_audio(source, speech(1.0))
    args = parse("watermark", "embed", str(source), str(tmp_path / "out.wav"), "--payload", "321",
                 "--weights", str(weights), "--json")
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["payload"] == 321
    assert load_audio(tmp_path / "out.wav").shape == (16_000,)
    args = parse("watermark", "detect", str(tmp_path / "out.wav"), "--weights", str(weights), "--json")
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("detected", "probability", "marked_fraction", "segments", "payload", "bit_confidence"):
        assert key in report
    args = parse("watermark", "detect", str(tmp_path / "out.wav"), "--weights", str(weights))
    assert args.func(args) == 0 and "probability" in capsys.readouterr().out


def test_errors_are_toolkit_errors(weights, tmp_path, monkeypatch, speech):
    source = tmp_path / "in.wav"
    write_audio(source, speech(0.5))
    args = parse("watermark", "embed", str(source), str(tmp_path / "o.wav"), "--payload", "70000",
                 "--weights", str(weights))
    with pytest.raises(InputError, match="out of range"):
        args.func(args)
    monkeypatch.setattr(weights_module, "WEIGHTS_DIR", tmp_path / "none")
    args = parse("watermark", "detect", str(source))
    with pytest.raises(ModelNotAvailableError):
        args.func(args)
    args = parse("watermark", "train", str(tmp_path / "no-corpus"), "--out", str(tmp_path / "run"))
    with pytest.raises(InputError, match="not found"):
        args.func(args)
    args = parse("watermark", "train", str(tmp_path), "--out", str(tmp_path / "run"), "--steps", "0")
    with pytest.raises(InputError, match="--steps"):
        args.func(args)


def test_train_and_export_commands(corpus, tmp_path, capsys):
    args = parse("watermark", "train", str(corpus), "--out", str(tmp_path / "run"), "--steps", "1",
                 "--batch", "2", "--segment-seconds", "0.4", "--preset", "tiny", "--no-codecs", "--json")
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 1
    args = parse("watermark", "export", str(tmp_path / "run"), "--to", str(tmp_path / "w"), "--json")
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["config"]["n_filters"] == PRESETS["tiny"].n_filters
    assert np.isfinite(Watermarker.from_pretrained(tmp_path / "w").threshold)
    args = parse("watermark", "export", str(tmp_path / "run"), "--to", str(tmp_path / "w37"), "--mark-snr", "37",
                 "--json")
    assert args.func(args) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["config"]["target_snr_db"] == 37.0 and card["training_target_snr_db"] == PRESETS["tiny"].target_snr_db
    assert Watermarker.from_pretrained(tmp_path / "w37").networks.generator.target_snr_db == 37.0
    with pytest.raises(InputError, match="mark-snr"):
        bad = parse("watermark", "export", str(tmp_path / "run"), "--to", str(tmp_path / "w0"), "--mark-snr", "-3")
        bad.func(bad)
