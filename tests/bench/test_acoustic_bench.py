"""bench/acoustic.py: its pieces on known inputs, and the whole script end to end on a tiny
random model and a tiny corpus (figures themselves are not checked, only that they exist)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import bench.common
from bench import acoustic as bench_acoustic
from bench._acoustic_quality import model_phrases, teacher_phrases
from bench._moe_stats import (
    MARKS,
    PHONEME_CLASSES,
    dependence,
    expert_shares,
    mutual_information_bits,
    phoneme_class,
)
from bench._png import Panel, heatmap_grid, read_png_size, write_png
from tests.acoustic.conftest import TINY, make_corpus
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.loader import save_pretrained
from tts_moe.acoustic.model import AcousticModel
from tts_moe.text.symbols import DEFAULT_SYMBOLS, SymbolTable
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator


def test_every_ipa_letter_has_a_sound_class_and_marks_are_marks():
    import unicodedata

    for symbol in DEFAULT_SYMBOLS:
        if unicodedata.category(symbol) in ("Ll", "Lu", "Lo") and symbol not in "_^$":
            assert phoneme_class(symbol) != MARKS, symbol
    assert [PHONEME_CLASSES[phoneme_class(s)] for s in "ɪtsnlˈ ,ː"] == [
        "vowel", "plosive", "fricative", "nasal", "approximant", "marks", "marks", "marks", "vowel"]


def test_mutual_information_is_zero_for_independence_and_full_for_identity():
    independent = np.full((4, 3), 10)
    assert mutual_information_bits(independent) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information_bits(np.eye(4) * 7) == pytest.approx(2.0)
    labels = np.repeat(np.arange(4), 50)
    same = dependence(labels, labels, 4, 4)
    assert same["mi_bits"] == pytest.approx(2.0) and same["mi_share"] == pytest.approx(1.0)
    assert same["chance_mi_bits"] < 0.2  # shuffled labels carry (almost) nothing
    assert same["table"].sum() == 200


def test_expert_shares_flag_starving_experts():
    experts = np.array([[0, 1]] * 50 + [[2, 1]] * 49 + [[3, 0]])  # expert 3: 1 of 200 slots
    shares = expert_shares(experts, 4)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert shares["starving"] == [3]
    padded = np.array([[0, 1], [-1, -1]])
    assert expert_shares(padded, 2)["share"].tolist() == [0.5, 0.5]


def test_phrases_line_up_pauses_and_punctuation():
    phonemes = "ab, cd. ef."
    durations = np.arange(1, len(phonemes) + 1)
    phrases, pauses = model_phrases(phonemes, durations)
    assert phrases.tolist() == [1 + 2, 5 + 6, 9 + 10]
    assert pauses.tolist() == [3 + 4, 7 + 8]  # ", " and ". " (the final "." is no pause)
    timings = [["pau", 0.032], ["ae", 0.096], ["b", 0.128], ["pau", 0.256], ["k", 0.32], ["pau", 0.4]]
    phrases, pauses = teacher_phrases(timings, 256, 16000)
    assert phrases.tolist() == [6, 4] and pauses.tolist() == [8]


def test_png_heatmap_is_a_valid_image(tmp_path):
    panel = Panel("block 2: style", np.random.default_rng(0).random((4, 3)), ["e0", "e1", "e2", "e3"],
                  ["neutral", "fast", "whisper"])
    image = heatmap_grid([[panel, panel]], "caption")
    path = write_png(tmp_path / "h.png", image)
    assert read_png_size(path) == (image.shape[1], image.shape[0])
    import zlib

    data = path.read_bytes()
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4:idat], "big")
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    assert len(raw) == image.shape[0] * (1 + 3 * image.shape[1])


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("acoustic-bench")
    corpus = make_corpus(root / "corpus", clips=8)
    rows = [json.loads(line) for line in (corpus / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    for index, row in enumerate(rows):
        if index % 2 == 0:  # teacher timings on half the clips
            end = row["duration"]
            row["timings"] = [["pau", 0.05], ["hh", end * 0.4], ["ax", end * 0.9], ["pau", end]]
    (corpus / "metadata.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                           encoding="utf-8")
    torch.manual_seed(0)
    config = AcousticConfig(speakers=["spk0", "spk1"], styles=["neutral", "fast", "whisper"],
                            n_symbols=len(SymbolTable()), **TINY)
    model = AcousticModel(config).eval()
    with torch.no_grad():
        model.duration_predictor.proj.bias.fill_(1.5)  # a few frames per phoneme
    save_pretrained(model, root / "acoustic", {"kind": "mixture of experts", "training": {"steps": 0}})
    Vocoder(Generator(VocoderConfig(dim=16, intermediate_dim=32, num_layers=1))).save_pretrained(root / "vocoder")
    return root, corpus


@pytest.fixture()
def fast_griffin_lim(monkeypatch):
    """librosa's Griffin-Lim compiles numba kernels on first use (~30 s with the suite's
    private cache); it has its own tests in tests/vocoder. Here: noise of its output length."""
    import vocoder.evaluate

    monkeypatch.setattr(vocoder.evaluate, "griffin_lim", lambda mel, config=None, iterations=32: (
        0.1 * np.random.default_rng(0).standard_normal((np.asarray(mel).shape[1] - 1) * 256)).astype(np.float32))


def test_a_broken_clip_is_counted_not_fatal(tiny_setup, fast_griffin_lim):
    from tts_moe.acoustic.loader import load_model

    root, corpus = tiny_setup
    model = load_model(root / "acoustic")
    records, _ = bench_acoustic.corpus_records(corpus, model)
    broken = {**records[0], "id": "broken", "path": "audio/missing.flac"}
    rows, extra = bench_acoustic.quality_section(model, Vocoder.from_pretrained(root / "vocoder"),
                                                 [records[0], broken], corpus, SymbolTable())
    metrics = {row.metric: row.value for row in rows}
    assert metrics["quality clips"] == 2 and metrics["quality clips failing a measure"] == 1
    assert "missing.flac" in extra["clips"][1]["error"]


def test_bench_runs_end_to_end_on_a_tiny_model(tiny_setup, fast_griffin_lim, tmp_path, monkeypatch, capsys):
    root, corpus = tiny_setup
    monkeypatch.setattr(bench.common, "RESULTS_DIR", tmp_path / "results")
    code = bench_acoustic.main(["--weights", str(root / "acoustic"), "--vocoder", str(root / "vocoder"),
                                "--corpus", str(corpus), "--threads", "1", "--quick", "--moe-speakers", "all",
                                "--moe-sentences", "4", "--repeats", "1", "--batch-sentences", "4",
                                "--batch-sizes", "1,4", "--vocoder-precision", "bf16"])
    assert code == 0
    results = json.loads((tmp_path / "results" / "acoustic.json").read_text())
    metrics = {row["metric"]: row["value"] for row in results["rows"]}
    assert metrics["vocoder backbone precision"] == "bf16" and results["vocoder_precision"] == "bf16"
    assert metrics["quality clips"] == 2  # --quick: one clip per speaker
    assert isinstance(metrics["MCD-DTW (neural)"], float) and isinstance(metrics["MCD-DTW (griffin_lim)"], float)
    assert isinstance(metrics["MCD-DTW floor: teacher mel (neural)"], float)
    assert metrics["clips with teacher timings"] >= 1
    assert isinstance(metrics["learned aligner: phrase duration MAE"], float)
    assert "block 1 MI(expert; style)" in metrics and "block 1 MI(expert; class)" in metrics
    assert "block 1 MI(expert; speaker)" in metrics  # two MoE speakers asked for
    assert metrics["MoE sample: speakers x styles x sentences"] == "2x3x4"
    assert any(m.startswith("RTF ~10 s utterance, dense fallback") for m in metrics)
    assert "batch 4: sentences/s (1T)" in metrics
    assert read_png_size(tmp_path / "results" / "acoustic_experts.png")[0] > 100
    assert set(results["quality"]["summary"]) == {"ALL", "spk0", "spk1"}
    out = capsys.readouterr().out
    assert "Per speaker" in out and "first-choice expert by style" in out


def test_missing_weights_give_a_clear_error(tmp_path, capsys):
    code = bench_acoustic.main(["--weights", str(tmp_path / "nothing"), "--parts", "speed"])
    assert code != 0
    assert "acoustic model weights not found" in capsys.readouterr().err


def test_the_learned_aligner_is_checked_against_teacher_timings(tiny_setup, fast_griffin_lim):
    from bench import _acoustic_quality as quality
    from tts_moe.acoustic.loader import load_model
    from tts_moe.audio import load_audio, log_mel

    root, corpus = tiny_setup
    model = load_model(root / "acoustic")
    records, _ = bench_acoustic.corpus_records(corpus, model)
    timed = next(r for r in records if r.get("timings"))
    mel = log_mel(load_audio(corpus / timed["path"]))
    durations = quality.aligner_durations(model, timed["phonemes"], mel, SymbolTable())
    assert durations.shape == (len(SymbolTable().encode(timed["phonemes"])),)
    assert durations.sum() == mel.shape[1] and durations.min() >= 1  # every frame, every symbol
    clip = quality.measure_clip(model, Vocoder.from_pretrained(root / "vocoder"), timed, corpus, SymbolTable())
    assert clip["phrases_aligned"] >= 1 and "aligned_phrase_frames" in clip
    assert sum(clip["aligned_phrase_frames"][0]) <= mel.shape[1]
    summary = quality.summarise([clip])["ALL"]
    assert summary["aligned_phrase_count_match"] == 1.0 and summary["aligned_phrase_mae_ms"] >= 0
