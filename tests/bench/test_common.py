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
