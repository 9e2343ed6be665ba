"""bench/_vocoder_quality.py: per-speaker means, goal verdicts, worst speaker."""

from __future__ import annotations

import math

import numpy as np

from bench._vocoder_quality import per_speaker, summary_rows, timing_free_figures


def scored_rows():
    rows = []
    for speaker, pesq in (("a", 3.0), ("a", 4.0), ("b", 2.0)):
        row = {"clip": f"{speaker}.wav", "speaker": speaker}
        for name, offset in (("new", 0.0), ("griffin_lim", -0.5)):
            row.update({f"pesq_wb {name}": pesq + offset, f"stoi {name}": 0.9, f"mel_l1 {name}": 0.2})
        rows.append(row)
    rows[2]["pesq_wb griffin_lim"] = float("nan")  # pesq found no utterance: ignored in means
    return rows


def test_per_speaker_means():
    assert per_speaker(scored_rows(), "pesq_wb new") == {"a": 3.5, "b": 2.0}


def test_summary_has_goal_only_for_vocoders_and_names_the_worst_speaker():
    rows = {r.metric: r for r in summary_rows("test", scored_rows(), ["new"], with_goal=True)}
    assert rows["test: clips / speakers"].value == "3 / 2"
    assert math.isclose(rows["test: PESQ-wb new"].value, 3.0) and rows["test: PESQ-wb new"].passed is False
    assert rows["test: PESQ-wb griffin_lim"].passed is None
    assert math.isclose(rows["test: PESQ-wb griffin_lim"].value, 3.0)  # the NaN clip is left out
    assert rows["test: worst speaker PESQ-wb new"].value == "2.000 (b)"
    reserved = {r.metric: r for r in summary_rows("r", scored_rows(), ["new"], with_goal=False)}
    assert reserved["r: PESQ-wb new"].passed is None


def test_second_vocoder_gets_a_paired_difference_with_its_standard_error():
    scored = scored_rows()
    for row, new in zip(scored, (3.2, 3.9, 2.3)):  # +0.2, -0.1, +0.3 against "new"
        row.update({"pesq_wb newer": new, "stoi newer": 0.9, "mel_l1 newer": 0.2})
    rows = {r.metric: r for r in summary_rows("t", scored, ["new", "newer"], with_goal=True)}
    assert rows["t: PESQ-wb newer - new (per clip)"].value == "+0.133 (se 0.120, higher on 2 / 3 clips)"
    assert not any("new - " in metric for metric in rows)  # the first vocoder is the baseline
    scored[2]["pesq_wb griffin_lim"] = float("nan")
    scored[1]["pesq_wb newer"] = float("nan")  # a clip pesq could not score is left out of the pair
    rows = {r.metric: r for r in summary_rows("t", scored, ["new", "newer"], with_goal=True)}
    assert rows["t: PESQ-wb newer - new (per clip)"].value == "+0.250 (se 0.050, higher on 2 / 2 clips)"


def test_bf16_variants_are_compared_with_the_first_vocoders_bf16_twin():
    scored = scored_rows()
    for row in scored:
        for name, offset in (("newer", 0.1), ("new-bf16", -0.1), ("newer-bf16", 0.2)):
            row.update({f"pesq_wb {name}": row["pesq_wb new"] + offset, f"stoi {name}": 0.9, f"mel_l1 {name}": 0.2})
    rows = {r.metric: r.value for r in summary_rows("t", scored, ["new", "newer", "new-bf16", "newer-bf16"], True)}
    assert rows["t: PESQ-wb newer - new (per clip)"].startswith("+0.100")
    assert rows["t: PESQ-wb new-bf16 - new (per clip)"].startswith("-0.100")  # the precision's own effect
    assert rows["t: PESQ-wb newer-bf16 - new-bf16 (per clip)"].startswith("+0.300")


def test_timing_free_rows_and_their_paired_difference():
    scored = scored_rows()
    for row, (old, new) in zip(scored, ((2.0, 1.8), (2.2, 2.1), (1.5, None))):  # no figure: left out
        row.update({"mcd_db new": old, "mcd_db newer": new, "f0_rmse_cents new": 30.0, "pesq_wb newer": 3.0,
                    "stoi newer": 0.9, "mel_l1 newer": 0.2})
    rows = {r.metric: r for r in summary_rows("t", scored, ["new", "newer"], with_goal=True)}
    assert math.isclose(rows["t: MCD-DTW new"].value, 1.9) and rows["t: MCD-DTW new"].unit == "dB"
    assert rows["t: F0 RMSE new"].value == 30.0
    assert rows["t: MCD-DTW newer - new (per clip; lower is better)"].value.startswith("-0.150 (se 0.050, higher on 0 / 2")
    assert math.isnan(rows["t: voicing error griffin_lim"].value)  # never measured: NaN, not zero


def _vowel(f0: float, seconds: float = 1.0, formant: float = 700.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    harmonics = np.arange(1, int(7000 / f0))
    gains = 1.0 / (1.0 + ((harmonics * f0 - formant) / 150.0) ** 2)
    audio = (gains[:, None] * np.cos(2 * np.pi * f0 * harmonics[:, None] * t)).sum(0)
    return (0.3 * audio / np.abs(audio).max()).astype(np.float32)


def test_timing_free_figures_ignore_pulse_timing_but_see_the_envelope():
    reference = _vowel(120.0)
    drifted = _vowel(120.0 * 1.001)  # 1.7 cents: every pulse a little later, the same spectrum
    other_vowel = _vowel(120.0, formant=1500.0)
    same = timing_free_figures(drifted, reference)
    different = timing_free_figures(other_vowel, reference)
    assert same["f0_rmse_cents"] < 5 and same["voicing_decision_error"] == 0 and same["gross_pitch_error"] == 0
    assert same["mcd_db"] < 0.25 * different["mcd_db"]


def test_dnsmos_rows_only_when_scored_and_the_teacher_beside_them():
    scored = scored_rows()
    assert not any("DNSMOS" in r.metric for r in summary_rows("t", scored, ["new"], with_goal=True))
    for row, (mine, teacher) in zip(scored, ((2.5, 2.7), (2.6, 2.8), (2.7, 2.6))):
        row.update({"dnsmos new": mine, "dnsmos griffin_lim": 1.9, "dnsmos teacher": teacher})
    rows = {r.metric: r.value for r in summary_rows("t", scored, ["new"], with_goal=True)}
    assert math.isclose(rows["t: DNSMOS overall new"], 2.6) and math.isclose(rows["t: DNSMOS overall griffin_lim"], 1.9)
    assert math.isclose(rows["t: DNSMOS overall teacher clips"], 2.7)


def test_a_silent_output_gives_no_timing_free_figures_instead_of_stopping_the_bench():
    figures = timing_free_figures(np.zeros(16000, np.float32), _vowel(120.0))
    assert figures == {"mcd_db": None, "f0_rmse_cents": None, "gross_pitch_error": None,
                       "voicing_decision_error": None}


def test_extra_figures_may_not_replace_the_standard_ones():
    import pytest
    import torch

    from vocoder.config import preset
    from vocoder.evaluate import compare
    from vocoder.loader import Vocoder
    from vocoder.model import Generator

    torch.manual_seed(0)
    vocoder = Vocoder(Generator(preset("hn-tiny")))
    rates = []
    figures = compare(_vowel(120.0), vocoder, with_perceptual=False, griffin_lim_too=False,
                      extra=lambda out, ref, rate: rates.append(rate) or {"peak": float(np.abs(out).max())})
    assert rates == [16000] and "peak_vocoder" in figures
    with pytest.raises(ValueError, match="mel_l1_vocoder"):
        compare(_vowel(120.0), vocoder, with_perceptual=False, griffin_lim_too=False,
                extra=lambda out, ref, rate: {"mel_l1": 0.0})
