"""Run every benchmark of the toolkit, one after another, then write bench/REPORT.md.

    python -m bench [--quick | --full] [--only NAME,...] [--skip NAME,...] [--report-only]
                    [--dry-run] [--timeout MINUTES]
    tts-moe bench ...                      # the same

Each benchmark runs as its own process (``python -m bench.MODULE ...``, from the repository
root) with sizes for the chosen mode: ``--quick`` (the default) takes minutes in total and
gives indicative figures; ``--full`` measures the real figures (the better part of an
hour on 2 cores). A benchmark that fails (non-zero exit code, timeout) does not stop the
run: its exit code, time and last error lines go into ``bench/results/_runs.json`` and the
report. ``--report-only`` just rebuilds REPORT.md from the JSON already in bench/results/.
``--dry-run`` prints the commands without running them. Exit code: 0 when every benchmark
ran, 1 when one failed (a figure under its goal is a result, not a failure), 2 for bad
options, 130 when interrupted.

The shipped vocoder (vocoder/weights) and watermark (watermark/weights) are measured when
present; otherwise those benches time random networks and the report says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import RESULTS_DIR
from bench.report import ORDER, REPORT_PATH, RUN_LOG, TIME_FORMAT, build_report
from tts_moe.errors import InputError, TTSMoeError

REPO_ROOT = RESULTS_DIR.parents[1]
CORPORA = REPO_ROOT.parent / "corpora"
TAIL_LINES = 20


@dataclass(frozen=True)
class Step:
    """One benchmark process: ``python -m bench.MODULE *args``, writing ``results`` (names of
    bench/results/NAME.json). ``estimate``: rough wall time on this 2-core machine."""

    name: str
    module: str
    args: tuple[str, ...]
    results: tuple[str, ...]
    estimate: str = ""

    def command(self, python: str = sys.executable) -> list[str]:
        return [python, "-m", f"bench.{self.module}", *self.args]

    def shown(self) -> str:
        return shlex.join(self.command("python"))


@dataclass
class Context:
    """Where the benches find their inputs. Paths are shown relative to the repository root
    when they are inside or beside it (the benches run from the root)."""

    results_dir: Path = RESULTS_DIR
    scratch: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "tts-moe-bench-XXXXXXXX")
    heldout: Path = CORPORA / "heldout-test"
    reserved: Path = CORPORA / "reserved-test"
    training: Path = CORPORA / "teacher-10h"
    twins: Path | None = None  # MoE/dense twin runs to evaluate (None: train them in scratch)
    vocoder_weights: Path | None = REPO_ROOT / "vocoder" / "weights"
    watermark_weights: Path | None = REPO_ROOT / "watermark" / "weights"

    def path(self, path: Path) -> str:
        return os.path.relpath(path, REPO_ROOT) if Path(path).is_absolute() and \
            Path(path).resolve().is_relative_to(REPO_ROOT.parent) else str(path)

    def has(self, weights: Path | None, name: str) -> bool:
        return weights is not None and (Path(weights) / name).is_file()


def plan(mode: str, ctx: Context) -> list[Step]:
    """The benchmark steps of ``mode`` ("quick" or "full"), in the order they run."""
    quick = mode == "quick"
    heldout, reserved = ctx.path(ctx.heldout), ctx.path(ctx.reserved)
    wer_json = ctx.path(ctx.results_dir / "teacher_wer.json")
    voc, wm = (("--weights", ctx.path(folder)) if ctx.has(folder, file) else ()
               for folder, file in ((ctx.vocoder_weights, "vocoder.safetensors"),
                                    (ctx.watermark_weights, "watermark.safetensors")))
    if quick:  # shipped weights only (random presets when there are none), 2 threads, 5 quality clips
        vocoder = (*voc, *(("--corpus", heldout, "--per-speaker", "1", "--presets=") if voc else ("--presets=base",)),
                   "--threads", "2", "--repeats", "2", "--no-train")
    else:  # the script's own defaults: shipped and random presets, 2 and 1 threads, training-step cost,
        # and the shipped weights with a bf16 backbone beside them (speed and quality); the figures
        # go into the shipped weights' model card (measured.bench)
        vocoder = (*voc, *(("--corpus", heldout, "--per-speaker", "5", "--bf16", "--update-card") if voc else ()))
    sizes = {  # name: (module, quick args, full args, estimate quick, estimate full); None: not in that mode
        "text_frontend": ("text_frontend", ("--sentences", "500", "--skip-failures"), ("--sentences", "2000"),
                          "40 s", "1-2 min"),
        "moe_dispatch": ("moe_dispatch", ("--repeats", "2"), ("--repeats", "7"), "20 s", "1 min"),
        "corpus_build": ("corpus_build", ("--hours", "0.1"), ("--hours", "10"), "30 s", "7 min"),
        "teacher_wer": ("speech_metrics", ("wer", heldout, "--per-speaker", "1", "--json", wer_json),
                        ("wer", heldout, "--json", wer_json), "20 s", "1 min"),
        "vocoder": ("vocoder", vocoder, vocoder, "1 min", "5 min"),
        "vocoder_reserved": ("vocoder", None, (*voc, "--corpus", reserved, "--per-speaker", "5", "--quality-only",
                                               "--results", "vocoder_reserved")
                             if voc else None, "", "1 min"),
        "moe_vs_dense": ("moe_vs_dense", None, twin_arguments(ctx), "", "55 min" if ctx.twins is None else "10 min"),
        "watermark": ("watermark", (*wm, "--clips", "5", "--calibration-clips", "20", "--max-seconds", "3"),
                      (*wm, "--clips", "20", "--calibration-clips", "100", "--toolkit-clips", "10"), "2 min", "15 min"),
        "watermark_configs": ("watermark", None, ("--configs",), "", "1-2 min"),
        "acoustic": ("acoustic", ("--quick",), (), "3 min", "10 min"),
        "longform": ("longform", ("--quick",), (), "4 min", "15-30 min"),
        # both reserved voices at 30 s / 1 / 2 / 5 min of reference (vector + adapter), and the
        # speaker vector alone at 2 min (each enrollment ~3-5 min on 2 cores)
        "cloning": ("cloning", ("--quick", "--seconds", "30", "--steps", "60", "--adapter-steps", "60",
                                "--vector-only-seconds", "30"),
                    ("--seconds", "30,60,120,300", "--vector-only-seconds", "120"), "5 min", "50-60 min"),
    }
    steps = []
    for name, (module, quick_args, full_args, quick_time, full_time) in sizes.items():
        args = quick_args if quick else full_args
        if args is None:
            continue
        if name == "corpus_build":  # a fresh corpus in the run's scratch folder, deleted afterwards
            args = (*args, "--jobs", "2", "--out", str(ctx.scratch / "corpus"))
        steps.append(Step(name, module, tuple(args), (name,), quick_time if quick else full_time))
    return steps


def twin_arguments(ctx: Context) -> tuple[str, ...]:
    """moe_vs_dense's arguments: evaluate ``ctx.twins/{moe,dense}`` when given (runs trained side
    by side earlier by this same bench), else train both anew in the scratch folder (~55 min);
    either way both then synthesise the held-out test clips (--quality)."""
    if ctx.twins is None:
        return ("--corpus", ctx.path(ctx.training), "--minutes", "45", "--quality",
                "--runs", ctx.path(ctx.scratch / "moe-vs-dense"))
    missing = [str(ctx.twins / name / "log.jsonl") for name in ("moe", "dense")
               if not (ctx.twins / name / "log.jsonl").is_file()]
    if missing:
        raise InputError(f"--twins {ctx.twins}: no finished twin run ({', '.join(missing)} missing); "
                         "train them with python -m bench.moe_vs_dense --corpus CORPUS --runs DIR")
    return ("--moe", ctx.path(ctx.twins / "moe"), "--dense", ctx.path(ctx.twins / "dense"), "--quality")


def select(steps: list[Step], only: str | None, skip: str | None, mode: str, all_names: set[str]) -> list[Step]:
    """Steps named in ``only`` (all when None) minus those in ``skip``; unknown names are an
    InputError listing the known ones."""
    def names(text: str | None, option: str) -> list[str]:
        wanted = [n.strip() for n in (text or "").split(",") if n.strip()]
        unknown = [n for n in wanted if n not in all_names]
        if unknown:
            raise InputError(f"{option}: unknown benchmark {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(all_names))}")
        return wanted

    chosen, skipped = names(only, "--only"), set(names(skip, "--skip"))
    missing = [n for n in chosen if n not in {s.name for s in steps}]
    if missing:
        raise InputError(f"--only: {', '.join(missing)} not part of a {mode} run "
                         f"(it runs with --full, or needs shipped weights that are not present)")
    return [s for s in steps if (not chosen or s.name in chosen) and s.name not in skipped]


# ------------------------------------------------------------------ running
@dataclass
class Outcome:
    exit_code: int
    seconds: float
    stderr_tail: list[str]
    note: str = ""


Runner = Callable[[list[str], Path, float | None], Outcome]


def run_process(command: list[str], cwd: Path, timeout: float | None) -> Outcome:
    """Run ``command`` in its own process group; its output goes to ours, the last lines of its
    error output are kept. On timeout the whole group is killed (exit code -9)."""
    start = time.monotonic()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True, errors="replace",
                               start_new_session=True)
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def pump() -> None:
        for line in process.stderr:
            sys.stderr.write(line)
            tail.append(line.rstrip("\n"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    note = ""
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        code, note = process.wait(), f"timed out after {timeout:.0f} s (--timeout)"
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    reader.join(timeout=5)
    return Outcome(code, time.monotonic() - start, list(tail), note)


def _now() -> str:
    return time.strftime(TIME_FORMAT, time.gmtime())


def run_steps(steps: list[Step], mode: str, ctx: Context, runner: Runner = run_process,
              timeout: float | None = None, command_line: str = "python -m bench") -> int:
    """Run ``steps`` in order, recording each in ``_runs.json`` as it finishes; returns the
    number that failed. Never stops at a failure; stops (re-raising) on Ctrl-C."""
    log_path = ctx.results_dir / RUN_LOG
    ctx.results_dir.mkdir(parents=True, exist_ok=True)
    try:
        log = json.loads(log_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log = {}
    log.setdefault("runs", {})
    log["last"] = {"command": command_line, "mode": mode, "started_utc": _now(), "finished_utc": None,
                   "benchmarks": [s.name for s in steps]}
    failed = 0
    try:
        for number, step in enumerate(steps, 1):
            print(f"\n=== [{number}/{len(steps)}] {step.name}: {step.shown()}", file=sys.stderr, flush=True)
            started = _now()
            try:
                outcome = runner(step.command(), REPO_ROOT, timeout)
            except OSError as error:
                outcome = Outcome(127, 0.0, [f"could not start: {error}"])
            except KeyboardInterrupt:
                log["runs"][step.name] = _entry(step, mode, started, Outcome(130, 0.0, ["interrupted (Ctrl-C)"]))
                raise
            failed += outcome.exit_code != 0
            log["runs"][step.name] = _entry(step, mode, started, outcome)
            state = "ok" if outcome.exit_code == 0 else f"FAILED (exit {outcome.exit_code}) {outcome.note}".strip()
            print(f"=== {step.name}: {state} in {outcome.seconds:.0f} s", file=sys.stderr, flush=True)
            _write_log(log_path, log)
    finally:
        log["last"]["finished_utc"] = _now()
        _write_log(log_path, log)
    return failed


def _entry(step: Step, mode: str, started: str, outcome: Outcome) -> dict:
    return {"command": step.shown(), "mode": mode, "results": list(step.results), "exit_code": outcome.exit_code,
            "seconds": round(outcome.seconds, 1), "started_utc": started, "finished_utc": _now(),
            "stderr_tail": outcome.stderr_tail + ([outcome.note] if outcome.note else [])}


def _write_log(path: Path, log: dict) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


# ------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench`` and ``tts-moe bench``, with description and epilog."""
    paragraphs = __doc__.split("\n\n")
    parser.description = " ".join(p.replace("\n", " ") for p in (paragraphs[0], paragraphs[2], paragraphs[3]))
    parser.epilog = (f"Benchmark names: {', '.join(ORDER)} (vocoder_reserved, moe_vs_dense and watermark_configs only with "
                     "--full). --dry-run lists the exact commands.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="reduced sizes: minutes in total, indicative figures (default)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the real figures: every clip, every repeat (the better part of an hour)")
    parser.set_defaults(mode="quick")
    parser.add_argument("--only", metavar="NAME,...", help="run only these benchmarks (see --dry-run for names)")
    parser.add_argument("--skip", metavar="NAME,...", help="do not run these benchmarks")
    parser.add_argument("--report-only", action="store_true", help="only rebuild REPORT.md from the existing JSON")
    parser.add_argument("--dry-run", action="store_true", help="print the commands of the chosen mode and exit")
    parser.add_argument("--timeout", type=float, metavar="MINUTES", help="stop a benchmark after this long")
    parser.add_argument("--twins", type=Path, metavar="DIR",
                        help="--full: evaluate the MoE/dense twins already trained in DIR/moe and DIR/dense "
                             "(by python -m bench.moe_vs_dense --runs DIR) instead of training them anew (~55 min)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=REPORT_PATH, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, runner: Runner = run_process) -> int:
    """Run the benchmarks chosen by ``args`` (see :func:`add_arguments`), then write the
    report; returns the exit code."""
    if args.timeout is not None and args.timeout <= 0:
        raise InputError(f"--timeout must be a positive number of minutes, got {args.timeout:g}")
    if args.report_only:
        if args.only or args.skip:
            raise InputError("--report-only runs no benchmark: drop --only/--skip")
        print(build_report(args.results_dir, args.report))
        return 0
    ctx = Context(results_dir=args.results_dir, twins=args.twins)
    every = set(ORDER)
    steps = select(plan(args.mode, ctx), args.only, args.skip, args.mode, every)
    if args.dry_run:
        for step in steps:
            print(f"{step.name:18} ~{step.estimate:10} {step.shown()}")
        return 0
    if not steps:
        raise InputError("nothing to run: --only/--skip left no benchmark")
    scratch = Path(tempfile.mkdtemp(prefix="tts-moe-bench-"))
    ctx.scratch = scratch
    steps = select(plan(args.mode, ctx), args.only, args.skip, args.mode, every)  # with the real scratch folder
    shown = "python -m bench " + shlex.join(a for a in (f"--{args.mode}",) + _passed(args))
    try:
        failed = run_steps(steps, args.mode, ctx, runner, args.timeout * 60 if args.timeout else None, shown)
    except KeyboardInterrupt:
        print("interrupted: writing the report of what finished", file=sys.stderr)
        print(build_report(args.results_dir, args.report))
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(build_report(args.results_dir, args.report))
    print(f"{len(steps) - failed} of {len(steps)} benchmarks ran" + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


def _passed(args: argparse.Namespace) -> tuple[str, ...]:
    out: tuple[str, ...] = ()
    for option in ("only", "skip"):
        if getattr(args, option):
            out += (f"--{option}", getattr(args, option))
    out += ("--twins", str(args.twins)) if args.twins else ()
    return out + (("--timeout", f"{args.timeout:g}") if args.timeout else ())


def main(argv: list[str] | None = None, runner: Runner = run_process) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args, runner)
    except TTSMoeError as error:
        print(f"python -m bench: error: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
