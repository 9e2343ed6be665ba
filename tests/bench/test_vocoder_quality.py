"""bench/_vocoder_quality.py: per-speaker means, goal verdicts, worst speaker."""

from __future__ import annotations

import math

from bench._vocoder_quality import per_speaker, summary_rows


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
