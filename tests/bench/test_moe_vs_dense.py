"""bench/moe_vs_dense.py: comparison at the common wall-clock budget."""

from __future__ import annotations

import json

import pytest

from bench.moe_vs_dense import at_budget, checkpoints, compare


def event(step, wall, mel):
    return {"event": "checkpoint", "step": step, "wall_seconds": wall, "val_mel": mel, "val_duration": 0.1,
            "val_pitch": 0.2, "val_energy": 0.3}


def test_checkpoints_keep_only_validated_events(tmp_path):
    lines = [{"step": 1, "mel": 3.0}, event(10, 60, 1.0), {"event": "checkpoint", "step": 12, "wall_seconds": 70}]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert [e["step"] for e in checkpoints(tmp_path)] == [10]
    with pytest.raises(SystemExit, match="no log.jsonl"):
        checkpoints(tmp_path / "missing")


def test_compared_at_the_budget_both_reached():
    moe = [event(100, 300, 0.9), event(200, 600, 0.7), event(300, 900, 0.6)]
    dense = [event(150, 300, 0.8), event(300, 600, 0.75)]  # stopped earlier: budget 600 s
    assert at_budget(moe, 600)["step"] == 200 and at_budget(dense, 100) is None
    rows, data = compare(moe, dense)
    table = {r.metric: r for r in rows}
    assert data["budget_seconds"] == 600
    assert table["val_mel: MoE / dense"].value == "0.7000 / 0.7500"
    assert table["val_mel: MoE relative to dense"].passed is True
    assert table["val_mel: MoE relative to dense"].value == "-6.7"
    rows, _ = compare(dense, moe)  # swapped: the "MoE" now loses, and it is shown as a miss
    assert {r.metric: r for r in rows}["val_mel: MoE relative to dense"].passed is False


def test_synthesis_quality_rows_put_the_twins_side_by_side():
    from bench.moe_vs_dense import quality_rows

    moe = {"quality clips": 55, "MCD-DTW (neural)": 1.8, "F0 RMSE (neural)": 250.0,
           "total duration ratio model/teacher": 0.97, "phrase duration MAE": "n/a"}
    dense = {"quality clips": 55, "MCD-DTW (neural)": 2.0, "F0 RMSE (neural)": 240.0,
             "total duration ratio model/teacher": 1.05, "phrase duration MAE": 120.0}
    table = {r.metric: r.value for r in quality_rows(moe, dense)}
    assert table["MCD-DTW (neural): MoE relative to dense"] == "-10.0"
    assert table["F0 RMSE (neural): MoE relative to dense"] == "+4.2"
    assert table["total duration ratio model/teacher: distance from 1, MoE / dense"] == "0.0300 / 0.0500"
    assert table["phrase duration MAE: MoE / dense"] == "n/a / 120.0"  # a missing figure is shown, not compared
    assert "phrase duration MAE: MoE relative to dense" not in table


def test_launch_resumes_a_twin_for_the_rest_of_the_budget_only(tmp_path, monkeypatch):
    import bench.moe_vs_dense as twins

    started = []

    class FakeProcess:
        returncode = 0

        def __init__(self, command, **kwargs):
            started.append(command)

        def wait(self):
            return 0

    monkeypatch.setattr(twins.subprocess, "Popen", FakeProcess)
    (tmp_path / "moe").mkdir()
    (tmp_path / "moe" / "config.json").write_text("{}")
    (tmp_path / "moe" / "log.jsonl").write_text(json.dumps(event(300, 600.0, 0.5)) + "\n")
    twins.launch(tmp_path / "corpus", tmp_path, 15.0, ["--seed", "1"])
    moe, dense = started
    assert moe[moe.index("--max-minutes") + 1] == "5.00" and "--resume" in moe
    assert dense[dense.index("--max-minutes") + 1] == "15.00" and "--resume" not in dense
    assert moe[moe.index("--decay-minutes") + 1] == dense[dense.index("--decay-minutes") + 1] == "15.0"
    assert "--dense" in dense and dense[-2:] == ["--seed", "1"]
    started.clear()
    twins.launch(tmp_path / "corpus", tmp_path, 10.0, [])  # moe already holds 10 minutes: only dense runs
    assert len(started) == 1 and "--dense" in started[0]
