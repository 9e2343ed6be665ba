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
