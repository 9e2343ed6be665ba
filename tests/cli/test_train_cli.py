"""Shared training-command options (tts_moe/train_cli.py): --steps on resume, checks."""

from __future__ import annotations

import argparse
import json

import pytest

from tts_moe.errors import InputError
from tts_moe.train_cli import DEFAULT_STEPS, add_run_arguments, check_run_arguments


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_run_arguments(parser, weights="x/weights", checkpoint_minutes=5.0)
    parser.add_argument("--batch", type=int, default=4)
    return parser.parse_args(list(argv))


def test_resume_keeps_the_runs_own_step_count(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"vocoder": {}, "options": {"steps": 40_000}}))
    args = parse(str(tmp_path), "--out", str(run), "--resume")
    check_run_arguments(args)
    assert args.steps == 40_000
    explicit = parse(str(tmp_path), "--out", str(run), "--resume", "--steps", "50000")
    check_run_arguments(explicit)
    assert explicit.steps == 50_000


def test_new_run_gets_the_default_step_count(tmp_path):
    args = parse(str(tmp_path), "--out", str(tmp_path / "new"))
    check_run_arguments(args)
    assert args.steps == DEFAULT_STEPS
    assert args.checkpoint_minutes == 5.0


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be at least 1"),
    (["--batch", "0"], "--batch must be at least 1"),
    (["--max-minutes", "-1"], "--max-minutes must be positive"),
])
def test_bad_counts_are_refused(tmp_path, argv, message):
    args = parse(str(tmp_path), "--out", str(tmp_path / "r"), *argv)
    with pytest.raises(InputError, match=message):
        check_run_arguments(args, "batch")


def test_missing_corpus_is_refused(tmp_path):
    args = parse(str(tmp_path / "nope"), "--out", str(tmp_path / "r"))
    with pytest.raises(InputError, match="corpus folder not found"):
        check_run_arguments(args)
