"""bench.common: results JSON and the printed table."""

import json

from bench import common
from bench.common import Row, print_table, write_results


def test_write_results_and_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    rows = [
        Row("throughput", 1234.5, "sent/s", ">= 1000", True),
        Row("failures", 3, "", "0", False),
        Row("note", "n/a"),
    ]
    path = write_results("demo", "Demo bench", rows, {"extra": 1})
    data = json.loads(path.read_text())
    assert data["rows"][1] == {
        "metric": "failures", "value": 3, "unit": "", "goal": "0", "passed": False,
    }
    assert data["extra"] == 1 and data["machine"]["cpu_count"] >= 1
    print_table("Demo bench", rows)
    out = capsys.readouterr().out
    assert "MISS" in out and "pass" in out and "1,234.5" in out


def test_results_take_numpy_values_and_keys(tmp_path, monkeypatch):
    import numpy as np
    import pytest

    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    extra = {"per_style": {np.int64(2): np.float32(0.5)}, "curve": np.arange(3), "pair": (np.bool_(True), "a")}
    data = json.loads(write_results("np", "numpy", [Row("mean", np.float64(1.25))], extra).read_text())
    assert data["per_style"] == {"2": 0.5} and data["curve"] == [0, 1, 2] and data["pair"] == [True, "a"]
    assert data["rows"][0]["value"] == 1.25
    with pytest.raises(TypeError):
        write_results("bad", "bad", [], {"thing": object()})
    assert not (tmp_path / "bad.json").exists()
