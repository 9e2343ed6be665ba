"""bench/vocoder.py runs end to end on a tiny model (figures themselves are not checked)."""

from __future__ import annotations

import json

import torch

import bench.common
from bench import vocoder as bench_vocoder
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator


def test_bench_runs_with_weights_and_corpus(tmp_path, corpus, monkeypatch, capsys):
    monkeypatch.setattr(bench.common, "RESULTS_DIR", tmp_path / "results")
    torch.manual_seed(0)
    Vocoder(Generator(VocoderConfig(dim=16, intermediate_dim=32, num_layers=1))).save_pretrained(
        tmp_path / "w", {"training": {"options": {"holdout_fraction": 0.0}}})
    code = bench_vocoder.main(["--weights", str(tmp_path / "w"), "--corpus", str(corpus),
                               "--per-speaker", "1", "--presets", "", "--threads", "1", "--repeats", "1",
                               "--no-train", "--update-card"])
    assert code == 0
    results = json.loads((tmp_path / "results" / "vocoder.json").read_text())
    metrics = {row["metric"]: row["value"] for row in results["rows"]}
    name = corpus.name
    assert metrics[f"{name}: clips / speakers"].split(" / ")[1] == metrics[f"{name}: clips / speakers"].split(" / ")[0]
    assert f"{name}: PESQ-wb griffin_lim" in metrics and f"{name}: PESQ-wb weights" in metrics
    assert "weights 1T RTF 60 s chunked" in metrics
    card = json.loads((tmp_path / "w" / "vocoder.json").read_text())
    assert card["measured"]["bench"]["figures"][f"{name}: mel L1 weights"] > 0
    assert "RTF" in capsys.readouterr().out
