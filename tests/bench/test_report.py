"""The scoreboard: bench/report.py (REPORT.md from results JSON) and the runner
(python -m bench), on fake results in a temporary folder and with a fake process runner."""

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import bench.__main__ as runner_module
from bench import report
from bench.__main__ import Context, Outcome, main, plan, select
from bench._png import read_png_size, write_png
from tts_moe.errors import InputError

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
BENCH = Path(runner_module.__file__).resolve().parent


def row(metric, value, unit="", goal="", passed=None):
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "passed": passed}


def write(folder: Path, name: str, rows: list, *, when: datetime = NOW - timedelta(hours=2), title=None, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    machine = {"date_utc": when.strftime("%Y-%m-%d %H:%M:%S"), "python": "3.11.7", "cpu_count": 2,
               "cpu_model": "Test CPU"}
    data = {"name": name, "title": title or f"{name} title", "machine": machine, "rows": rows, **extra}
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def build(tmp_path: Path, **kwargs) -> str:
    path = report.build_report(tmp_path / "results", tmp_path / "REPORT.md", now=NOW, **kwargs)
    return path.read_text(encoding="utf-8")


def line_of(text: str, needle: str, start: str = "") -> str:
    """The first table line containing ``needle`` after the heading ``start``."""
    text = text[text.index(start):] if start else text
    return next(line for line in text.splitlines() if needle in line and line.startswith("|"))


# ------------------------------------------------------------------ report
def test_miss_pass_and_plain_rows(tmp_path):
    write(tmp_path / "results", "vocoder", [
        row("weights 2T RTF 10 s whole", 0.0125, "", "<= 0.01", False),
        row("weights 2T RTF 60 s whole", 0.0081, "", "<= 0.01", True),
        row("peak RSS after inference", 773.3, "MB"),
    ])
    text = build(tmp_path)
    section = "## vocoder"
    assert "**MISS**" in line_of(text, "RTF 10 s whole", section)
    assert "0.0125" in line_of(text, "RTF 10 s whole", section)  # the figure itself, not rounded away
    assert line_of(text, "RTF 60 s whole", section).rstrip().endswith("| pass |")
    plain = line_of(text, "peak RSS after inference", section)
    assert "MISS" not in plain and "pass" not in plain and "773.3" in plain
    # the summary repeats the key figures with their verdicts and lists every miss
    assert "**MISS**" in line_of(text, "weights 2T RTF 10 s whole", "## Summary")
    misses = text[text.index("### Every MISS"):text.index("## vocoder")]
    assert "RTF 10 s whole" in misses and "RTF 60 s whole" not in misses


def test_issue_goal_applied_when_the_bench_has_none(tmp_path):
    write(tmp_path / "results", "vocoder", [row("heldout-test: PESQ-wb weights", 1.9061),
                                            row("heldout-test: PESQ-wb griffin_lim", 2.39)])
    text = build(tmp_path)
    summary = line_of(text, "heldout-test: PESQ-wb weights", "## Summary")
    assert "**MISS**" in summary and ">= 3.6 (issue)" in summary
    assert "heldout-test: PESQ-wb weights = 1.9061" in text[text.index("### Every MISS"):]


def test_areas_without_results_say_not_measured(tmp_path):
    write(tmp_path / "results", "moe_dispatch", [row("frames 16x300 infer mask / grouped", 0.94, "x", "> 1", False)])
    text = build(tmp_path)
    summary = text[text.index("## Summary"):text.index("### Every MISS")]
    for area in ("cloning", "intelligibility", "naturalness", "watermark", "speed"):
        assert "not measured yet" in line_of(summary, f"| {area} |"), area
    assert "DNSMOS" in line_of(summary, "| naturalness |")
    # an area with some figures still names the key figures it lacks
    assert "not measured yet" in line_of(summary, "MoE vs dense twin at equal wall-clock budget")
    assert "**MISS**" in line_of(summary, "infer mask / grouped")


def test_stale_random_and_foreign_results_are_flagged(tmp_path):
    results = tmp_path / "results"
    write(results, "corpus_build", [row("audio hours per wall hour", 102.6, "h/h", ">= 20", True)],
          when=NOW - timedelta(days=30))
    write(results, "watermark", [row("embed + detect RTF", 1.38, "x real time", "<= 0.02", False)],
          title="Watermark robustness (RANDOM (untrained) 'compact' networks)")
    data = json.loads((results / "watermark.json").read_text())
    data["machine"]["cpu_model"] = "Imaginary CPU"
    (results / "watermark.json").write_text(json.dumps(data))
    text = build(tmp_path, max_age_days=7)
    corpus = text[text.index("## corpus_build"):]
    assert "STALE: measured 30 days before this report" in corpus
    assert "STALE" in line_of(text, "audio hours per wall hour", "## Summary")
    watermark = text[text.index("## watermark"):]
    assert "random (untrained) weights" in watermark and "another machine (Imaginary CPU" in watermark
    assert "random (untrained) weights" in line_of(text, "embed + detect RTF", "## Summary")


def test_custom_layouts_and_escaping(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "text_frontend.json").write_text(json.dumps({
        "goal_sentences_per_s": 1000.0, "machine": {"cpu_count": 2, "python": "3.11.7"},
        "throughput": {"phonemize (batched)": {"sentences_per_s": 900.5}, "normalize": {"sentences_per_s": 1.0e4}},
        "failures": {"web": {"sentences": 10, "crashes": 1, "text_errors": 0, "unencodable": 0}}}))
    (results / "teacher_wer.json").write_text(json.dumps({
        "overall": {"wer": 0.1234, "sentences": 11, "reference_words": 200},
        "speakers": {"flite-slt": {"wer": 0.05, "sentences": 1}}}))
    (results / "broken.json").write_text("{not json")
    write(results, "odd", [row("a | b", "x|y")])
    text = build(tmp_path)
    assert "**MISS**" in line_of(text, "phonemize (batched): sentences/s", "## text_frontend")
    assert "**MISS**" in line_of(text, "web: crashes", "## text_frontend")
    assert "file time: the JSON has no date" in text[text.index("## text_frontend"):]
    assert "0.1234" in line_of(text, "WER all speakers", "## Summary")
    assert "unreadable" in text[text.index("## broken"):]
    assert "| a \\| b | x\\|y |" in text


def test_plots_written_and_linked(tmp_path):
    results = tmp_path / "results"
    write(results, "acoustic", [row("RTF ~10 s utterance, MoE, 2T", 0.02, "", "<= 0.01", False),
                                row("block 2 min expert share / fair share", 0.6, "", ">= 0.25", True)])
    write(results, "longform", [row("end-to-end RTF (~1 min script, 2T)", 0.04, "", "<= 0.05", True),
                                row("flite -voice slt RTF (same script, 1 process)", 0.003),
                                row("share: vocoder", 50.0, "%"), row("share: file I/O", 0.0, "%")])
    write_png(results / "acoustic_experts.png", np.full((8, 8, 3), 200, np.uint8))
    write_png(results / "mystery.png", np.zeros((4, 4, 3), np.uint8))
    text = build(tmp_path)
    for name in (report.GOALS_PNG, report.SPEED_PNG):
        width, height = read_png_size(results / name)
        assert width > 100 and height > 30
        assert f"(results/{name})" in text[:text.index("### Every MISS")]
    bars = [b[0] for b in report.stage_bars(report.key_figures(report.load_results(results, {}, NOW)))]
    assert bars == ["longform stage: vocoder"]  # 50 % of the end-to-end RTF; empty stages left out
    acoustic = text[text.index("## acoustic"):text.index("## longform")]
    assert "![acoustic experts](results/acoustic_experts.png)" in acoustic
    assert "(results/mystery.png)" in text[text.index("## Other plots"):]


def test_summary_plot_is_removed_when_nothing_to_plot(tmp_path):
    results = tmp_path / "results"
    write_png(results.mkdir() or results / report.GOALS_PNG, np.zeros((4, 4, 3), np.uint8))
    write(results, "odd", [row("words", "n/a", "", ">= 1")])
    text = build(tmp_path)
    assert not (results / report.GOALS_PNG).exists() and report.GOALS_PNG not in text


def test_goal_parsing():
    assert report.parse_goal(">= 1,000") == (">=", 1000.0)
    assert report.parse_goal("< 1536") == ("<", 1536.0)
    assert report.parse_goal("0") == ("=", 0.0)
    assert report.parse_goal("> 1 (grouped faster)") == (">", 1.0)
    assert report.parse_goal("model WER 0") is None
    assert report.meets("<= 0.01", 0.0101) is False and report.meets(">= 3.6", 3.6) is True
    assert report.meets(">= 3.6", "n/a") is None and report.meets("", 1.0) is None


# ------------------------------------------------------------------ runner
def flags_of(module: str) -> set[str]:
    return set(re.findall(r'add_argument\(\s*"(--[a-z0-9-]+)"', (BENCH / f"{module}.py").read_text()))


@pytest.mark.parametrize("mode", ["quick", "full"])
def test_every_command_uses_options_its_bench_has(mode, tmp_path):
    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "vocoder.safetensors").write_bytes(b"")
    ctx = Context(results_dir=tmp_path / "results", scratch=tmp_path / "scratch", vocoder_weights=tmp_path / "voc")
    steps = plan(mode, ctx)
    assert len({s.name for s in steps}) == len(steps)
    for step in steps:
        command = step.command()
        assert command[:2] == [sys.executable, "-m"] and command[2] == f"bench.{step.module}"
        assert (BENCH / f"{step.module}.py").is_file()
        used = {a.split("=")[0] for a in step.args if a.startswith("--")}
        assert used <= flags_of(step.module), (step.name, used - flags_of(step.module))


def test_quick_and_full_sizes(tmp_path):
    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "vocoder.safetensors").write_bytes(b"")
    ctx = Context(results_dir=tmp_path / "results", scratch=tmp_path / "scratch", vocoder_weights=tmp_path / "voc",
                  watermark_weights=None)
    quick = {s.name: s.args for s in plan("quick", ctx)}
    full = {s.name: s.args for s in plan("full", ctx)}
    assert quick["acoustic"] == ("--quick",) and full["acoustic"] == ()
    assert quick["longform"] == ("--quick",) and full["longform"] == ()
    assert "--skip-failures" in quick["text_frontend"] and "--skip-failures" not in full["text_frontend"]
    assert quick["corpus_build"][:2] == ("--hours", "0.1") and full["corpus_build"][:2] == ("--hours", "10")
    assert str(tmp_path / "scratch" / "corpus") in quick["corpus_build"]
    assert "--per-speaker" in quick["teacher_wer"] and "--per-speaker" not in full["teacher_wer"]
    assert str(tmp_path / "results" / "teacher_wer.json") in full["teacher_wer"]
    assert "--weights" in quick["vocoder"] and full["vocoder"][full["vocoder"].index("--per-speaker") + 1] == "5"
    assert "--update-card" in full["vocoder"] and "--update-card" not in quick["vocoder"]  # full figures -> card
    assert "--weights" not in quick["watermark"]  # no shipped watermark weights: random networks
    assert set(full) - set(quick) == {"vocoder_reserved", "watermark_configs", "moe_vs_dense"}
    assert list(quick)[-3:] == ["acoustic", "longform", "cloning"]
    assert "--quick" in quick["cloning"] and full["cloning"][full["cloning"].index("--seconds") + 1] == "30,60,120,300"
    # without shipped vocoder weights: speed of random networks only, no quality, no reserved run
    bare = {s.name: s.args for s in plan("full", Context(results_dir=tmp_path, vocoder_weights=None))}
    assert "--weights" not in bare["vocoder"] and "--corpus" not in bare["vocoder"] and "vocoder_reserved" not in bare
    assert "--update-card" not in bare["vocoder"]


def test_select_only_and_skip(tmp_path):
    steps = plan("quick", Context(results_dir=tmp_path))
    names = {s.name for s in plan("full", Context(results_dir=tmp_path))}
    assert [s.name for s in select(steps, "longform,text_frontend", None, "quick", names)] == \
        ["text_frontend", "longform"]
    assert "longform" not in [s.name for s in select(steps, None, "longform", "quick", names)]
    with pytest.raises(InputError, match="unknown benchmark nope"):
        select(steps, "nope", None, "quick", names)
    with pytest.raises(InputError, match="not part of a quick run"):
        select(steps, "watermark_configs", None, "quick", names)


class FakeRunner:
    """Stands in for the benchmark processes: writes a results file per step, or fails."""

    def __init__(self, results: Path, fail: dict[str, int] | None = None):
        self.results, self.fail, self.commands = results, fail or {}, []

    def __call__(self, command, cwd, timeout):
        self.commands.append((command, cwd, timeout))
        module = command[2].removeprefix("bench.")
        if module in self.fail:
            return Outcome(self.fail[module], 1.5, ["Traceback (most recent call last):", "ValueError: fake crash"])
        name = command[command.index("--results") + 1] if "--results" in command else module
        if module == "speech_metrics":
            name = "teacher_wer"
        write(self.results, name, [row(f"{name} figure", 1.0, "", ">= 2", False)], when=datetime.now(UTC))
        if module == "acoustic":
            write_png(self.results / "acoustic_experts.png", np.zeros((4, 4, 3), np.uint8))
        return Outcome(0, 0.5, [])


def test_runner_continues_past_a_failure_and_records_it(tmp_path):
    results, report_path = tmp_path / "results", tmp_path / "REPORT.md"
    fake = FakeRunner(results, fail={"vocoder": 3})
    code = main(["--quick", "--skip", "corpus_build", "--timeout", "2", "--results-dir", str(results),
                 "--report", str(report_path)], runner=fake)
    assert code == 1
    modules = [c[0][2] for c in fake.commands]
    assert modules == ["bench.text_frontend", "bench.moe_dispatch", "bench.speech_metrics", "bench.vocoder",
                       "bench.watermark", "bench.acoustic", "bench.longform", "bench.cloning"]  # went on after the failure
    assert all(cwd == runner_module.REPO_ROOT and timeout == 120 for _, cwd, timeout in fake.commands)
    log = json.loads((results / "_runs.json").read_text())
    assert log["runs"]["vocoder"]["exit_code"] == 3 and log["last"]["mode"] == "quick"
    text = report_path.read_text()
    failed = line_of(text, "| vocoder | 3 |", "### Benchmarks whose latest run failed")
    assert "ValueError: fake crash" in failed and "python -m bench.vocoder" in failed
    assert "not measured yet (`vocoder` failed, exit 3)" in line_of(text, "| vocoder |", "## Summary")
    assert "![acoustic experts](results/acoustic_experts.png)" in text
    assert "quick run" in text[text.index("## longform"):]
    assert "| last run | `python -m bench --quick --skip corpus_build --timeout 2` (quick)" in text


def test_failed_rerun_marks_old_figures_stale(tmp_path):
    results, report_path = tmp_path / "results", tmp_path / "REPORT.md"
    write(results, "moe_dispatch", [row("frames 16x300 infer mask / grouped", 1.1, "x", "> 1", True)],
          when=datetime.now(UTC) - timedelta(hours=5))
    code = main(["--full", "--only", "moe_dispatch", "--results-dir", str(results), "--report", str(report_path)],
                runner=FakeRunner(results, fail={"moe_dispatch": 1}))
    assert code == 1
    text = report_path.read_text()
    assert "STALE: its latest run" in text[text.index("## moe_dispatch"):]
    assert "(full)" in text


def test_report_only_runs_nothing(tmp_path):
    results, report_path = tmp_path / "results", tmp_path / "out" / "REPORT.md"
    write(results, "watermark", [row("TPR @ FPR 1e-3: clean", 0.5, "", ">= 0.99", False)])

    def refuse(*_):
        raise AssertionError("--report-only must not run a benchmark")

    assert main(["--report-only", "--results-dir", str(results), "--report", str(report_path)], runner=refuse) == 0
    text = report_path.read_text()
    assert "# tts-moe scoreboard" in text and "**MISS**" in line_of(text, "TPR @ FPR 1e-3: clean", "## Summary")
    assert "(../results/summary_goals.png)" in text  # links relative to where the report is
    assert main(["--report-only", "--only", "vocoder", "--results-dir", str(results)], runner=refuse) == 2


def test_cli_command_registers_and_forwards(tmp_path, capsys):
    from bench.cli import register

    parser = argparse.ArgumentParser(prog="tts-moe")
    register(parser.add_subparsers(dest="command"))
    results = tmp_path / "results"
    write(results, "vocoder", [row("heldout-test: PESQ-wb weights", 3.7)])
    args = parser.parse_args(["bench", "--report-only", "--results-dir", str(results),
                              "--report", str(tmp_path / "REPORT.md")])
    assert args.func(args) == 0
    assert "pass" in line_of((tmp_path / "REPORT.md").read_text(), "heldout-test: PESQ-wb weights", "## Summary")
    args = parser.parse_args(["bench", "--full", "--dry-run", "--only", "acoustic"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("python -m bench.acoustic")
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "--quick", "--full"])


def test_process_runner_keeps_exit_code_and_error_tail(tmp_path):
    from bench.__main__ import run_process

    script = "import sys; print('first', file=sys.stderr); print('last words', file=sys.stderr); sys.exit(3)"
    crash = run_process([sys.executable, "-c", script], tmp_path, None)
    assert crash.exit_code == 3 and crash.stderr_tail == ["first", "last words"] and not crash.note
    hung = run_process([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, 0.5)
    assert hung.exit_code != 0 and hung.note.startswith("timed out")


def test_report_sections_follow_the_run_order(tmp_path):
    steps = [s.name for s in plan("full", Context(results_dir=tmp_path, vocoder_weights=BENCH.parent / "vocoder" /
                                                  "weights"))]
    assert [n for n in report.ORDER if n in steps] == steps


def test_an_undated_file_committed_to_git_takes_its_commit_time(tmp_path):
    import os
    import shutil
    import subprocess

    from bench._report_results import file_time

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    results = tmp_path / "results"
    results.mkdir()
    path = results / "teacher_wer.json"
    path.write_text("{}")
    assert file_time(path) == datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)  # no repo
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+00:00",
           "PATH": os.environ["PATH"]}
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "r"]):
        subprocess.run(command, cwd=tmp_path, env=env, check=True)
    os.utime(path, (2e9, 2e9))  # a checkout's time, years later
    assert file_time(path) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    path.write_text('{"changed": 1}')  # modified since the commit: its own time again
    assert file_time(path) == datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
