"""`python -m bench --full --twins DIR`: evaluate twin runs trained earlier instead of training anew."""

import pytest

from bench.__main__ import Context, plan, twin_arguments
from tts_moe.errors import InputError


def _twin_runs(folder):
    for name in ("moe", "dense"):
        (folder / name).mkdir(parents=True)
        (folder / name / "log.jsonl").write_text("{}\n", encoding="utf-8")


def test_without_twins_the_full_run_trains_both(tmp_path):
    args = twin_arguments(Context(results_dir=tmp_path, scratch=tmp_path / "scratch"))
    assert args[0] == "--corpus" and "--minutes" in args


def test_given_twins_are_evaluated_not_trained(tmp_path):
    _twin_runs(tmp_path / "twins")
    ctx = Context(results_dir=tmp_path, twins=tmp_path / "twins")
    step = next(s for s in plan("full", ctx) if s.name == "moe_vs_dense")
    assert "--corpus" not in step.args
    assert step.args[step.args.index("--moe") + 1].endswith("moe")
    assert step.args[step.args.index("--dense") + 1].endswith("dense")


def test_twins_folder_without_runs_is_refused(tmp_path):
    (tmp_path / "twins" / "moe").mkdir(parents=True)
    (tmp_path / "twins" / "moe" / "log.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(InputError, match="dense"):
        twin_arguments(Context(results_dir=tmp_path, twins=tmp_path / "twins"))
