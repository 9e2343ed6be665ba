"""A tiny end-to-end build, its resume, crash repair and stats."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from tts_moe.cli import main
from tts_moe.corpus.build import BuildOptions, build_corpus
from tts_moe.corpus.metadata import load_metadata, require_training_corpus
from tts_moe.corpus.stats import corpus_stats

pytestmark = pytest.mark.needs_teachers
SPEAKERS = "espeak-en-us+m3,flite-slt"
REQUIRED = {"id", "speaker", "style", "engine", "settings", "text", "normalized_text", "phonemes",
            "language", "duration", "f0_median", "f0_std", "sample_rate", "path", "split", "timings"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, require_engine):
    require_engine("espeak")
    require_engine("flite")
    out = tmp_path_factory.mktemp("corpus") / "tiny"
    options = BuildOptions(out, clips_per_cell=2, speakers=SPEAKERS, styles="neutral,fast,slow,whisper",
                           jobs=2, seed=1, log=lambda m: None)
    return out, options, build_corpus(options)


def test_tiny_build_writes_audio_metadata_and_manifest(corpus):
    out, _, report = corpus
    assert not report.failed
    # espeak: neutral, fast, slow, whisper; flite slt has no whisper
    assert report.rendered == report.planned == 2 * 7
    records = load_metadata(out)
    assert len(records) == 14
    for record in records.values():
        assert REQUIRED <= set(record)
        audio, rate = soundfile.read(out / record["path"])
        assert rate == 16000 and audio.ndim == 1
        assert abs(audio.size / 16000 - record["duration"]) < 1e-3
        assert 20 * np.log10(np.abs(audio).max()) <= -0.99
        assert record["split"] == "train" and record["normalized_text"]
    assert all(r["timings"] for r in records.values() if r["engine"] == "flite")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "training" and manifest["reserved"] is False
    assert manifest["status"] == "complete"
    assert {s["id"] for s in manifest["speakers"]} == set(SPEAKERS.split(","))
    assert "espeak-ng" in manifest["tool_versions"]
    assert require_training_corpus(out)["seed"] == 1
    cells = json.loads((out / "cells.json").read_text())
    assert cells["verdicts"]["espeak-en-us+m3"]["whisper"]["verified"]


def test_rerun_renders_nothing_and_repairs_after_a_crash(corpus):
    out, options, _ = corpus
    again = build_corpus(options)
    assert again.rendered == 0 and again.skipped == again.planned
    # simulate a crash: one audio file lost, and a torn half-written metadata line
    records = load_metadata(out)
    victim = sorted(records)[0]
    (out / records[victim]["path"]).unlink()
    with (out / "metadata.jsonl").open("a") as handle:
        handle.write('{"id": "torn", "speak')
    third = build_corpus(options)
    assert third.rendered == 1 and not third.failed
    lines = (out / "metadata.jsonl").read_text().splitlines()
    assert len(lines) == 14 and all(json.loads(line) for line in lines)


def test_stats_report_cells_against_neutral(corpus, capsys):
    out, _, _ = corpus
    stats = corpus_stats(out)
    assert stats["clips"] == 14 and stats["speakers"]["flite-slt"]["clips"] == 6
    cells = {(c["speaker"], c["style"]): c for c in stats["cells"]}
    assert cells[("flite-slt", "fast")]["rate_vs_neutral"] < 1.0
    assert cells[("flite-slt", "slow")]["rate_vs_neutral"] > 1.0
    assert cells[("espeak-en-us+m3", "whisper")]["voiced_vs_neutral"] < 0.5
    assert main(["corpus", "stats", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clips"] == 14
    assert main(["corpus", "stats", str(out)]) == 0
    assert "espeak-en-us+m3" in capsys.readouterr().out
