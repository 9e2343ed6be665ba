"""bench/longform.py: the script builder, and the whole benchmark end to end on tiny random
models (synthesis in child processes, references, WER); figures are not checked."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import bench.common
from bench import longform as bench_longform
from bench._longform_run import build_script
from tests.acoustic.conftest import TINY
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.loader import save_pretrained
from tts_moe.acoustic.model import AcousticModel
from tts_moe.audio import SAMPLE_RATE, write_audio
from tts_moe.errors import InputError
from tts_moe.text.symbols import SymbolTable
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator


def test_script_is_sized_in_words_and_split_into_paragraphs(tmp_path):
    folder = tmp_path / "ljspeech-text"
    folder.mkdir()
    (folder / "test.txt").write_text("".join(f"LJ0-{i}|Sentence number {i} is here.\n" for i in range(10)))
    (folder / "val.txt").write_text("LJ1-0|From the validation file.\n")
    (folder / "train.txt").write_text("".join(f"LJ2-{i}|Training words {i}.\n" for i in range(100)))
    text, facts = build_script(0.4, tmp_path)  # 64 words: all 10 test sentences (50), val, then train
    assert facts["words"] >= 64 and facts["words"] < 64 + 5
    assert text.startswith("Sentence number 0 is here.") and "From the validation file." in text
    assert "Training words 0." in text and "Training words 9." not in text
    assert text.count("\n\n") == (facts["sentences"] - 1) // 6
    with pytest.raises(InputError, match="not found"):
        build_script(1, tmp_path / "missing")


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    root = tmp_path_factory.mktemp("longform-bench")
    torch.manual_seed(0)
    config = AcousticConfig(speakers=["flite-slt", "espeak-en-gb-x-rp+m1"], styles=["neutral", "fast"],
                            n_symbols=len(SymbolTable()), speaker_languages={"espeak-en-gb-x-rp+m1": "en-gb"},
                            **TINY)
    model = AcousticModel(config).eval()
    with torch.no_grad():
        model.duration_predictor.proj.bias.fill_(1.5)
    save_pretrained(model, root / "acoustic", {"kind": "mixture of experts"})
    Vocoder(Generator(VocoderConfig(dim=16, intermediate_dim=32, num_layers=1))).save_pretrained(root / "vocoder")
    from watermark.model import build_networks, preset
    from watermark.watermarker import Watermarker

    Watermarker(build_networks(preset("tiny"))).save_pretrained(root / "watermark")
    corpus = root / "corpus"
    (corpus / "audio").mkdir(parents=True)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    write_audio(corpus / "audio" / "a.flac", (0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), format="flac")
    record = {"id": "flite-slt__neutral__LJ0", "speaker": "flite-slt", "style": "neutral", "text": "Hello there.",
              "path": "audio/a.flac"}
    (corpus / "metadata.jsonl").write_text(json.dumps(record) + "\n")
    return root, corpus


def test_bench_runs_end_to_end_on_tiny_models(tiny_weights, tmp_path, monkeypatch, capsys):
    root, corpus = tiny_weights
    monkeypatch.setattr(bench.common, "RESULTS_DIR", tmp_path / "results")
    code = bench_longform.main([
        "--acoustic-weights", str(root / "acoustic"), "--vocoder-weights", str(root / "vocoder"),
        "--watermark-weights", str(root / "watermark"), "--minutes", "0.05", "--memory-minutes", "0.05,0.1", "--threads", "1",
        "--corpus", str(corpus), "--wer-voices", "flite-slt,hts-slt", "--wer-clips", "1"])
    assert code == 0
    results = json.loads((tmp_path / "results" / "longform.json").read_text())
    metrics = {row["metric"]: row["value"] for row in results["rows"]}
    assert isinstance(metrics["end-to-end RTF (~0.05 min script, 1T)"], float)
    assert metrics["watermark"] == f"trained ({root / 'watermark'})"
    shares = [v for m, v in metrics.items() if m.startswith("share: ")]
    assert len(shares) == 7 and sum(shares) == pytest.approx(100, abs=0.5)
    assert any(m.startswith("flite -voice slt") for m in metrics) and any(m.startswith("espeak-ng") for m in metrics)
    assert metrics["peak RSS, ~0.1 min script"] > 50 and "peak RSS ratio ~0.1 / ~0.05 min" in metrics
    assert "WER flite-slt: model / teacher" in metrics and "WER ratio model / teacher" in metrics
    assert results["wer"]["skipped_voices"] == ["hts-slt"]  # not a voice of the tiny model
    mos = metrics["DNSMOS overall: model / teacher"]  # speechmos is in the bench extra
    assert all(1.0 <= float(v) <= 5.0 for v in mos.split(" / "))
    assert "end-to-end RTF" in capsys.readouterr().out


def test_missing_weights_are_reported_from_the_child(tmp_path, capsys):
    code = bench_longform.main(["--acoustic-weights", str(tmp_path / "none"), "--minutes", "0.05",
                                "--parts", "speed", "--threads", "1"])
    assert code != 0
    assert "acoustic model weights not found" in capsys.readouterr().err
