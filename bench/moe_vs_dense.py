"""MoE versus its dense twin at the same training budget (issue #3).

    python -m bench.moe_vs_dense --corpus CORPUS --minutes 45 --runs DIR   # train both, then compare
    python -m bench.moe_vs_dense --moe RUN_A --dense RUN_B                 # compare existing runs
    ... --quality [--corpus-test DIR]      # also synthesise the held-out test corpus with both

With ``--quality`` each run's last checkpoint is exported (RUN-weights/) and both models
synthesise the held-out LJ ``test.txt`` clips of every training speaker (bench.acoustic's
quality section, through the shipped vocoder): MCD-DTW, F0 RMSE, gross pitch and voicing
error, duration ratio and phrase-duration error against the teacher, side by side.

With ``--corpus`` the two models are trained side by side from scratch, one thread each (one
per core, started together so both see the same machine load), same data, seed and options,
for the same wall-clock budget; the dense twin has the MoE's active parameters per phoneme
(``tts-moe train acoustic --dense``). The comparison reads the trainers' own held-out
validation (teacher-forced, the same text-disjoint split for both) at the last checkpoint
both runs reached within the common budget, and at each run's end. The MoE must win on
held-out mel loss, or the table says by how much it lost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import Row, at_most, print_table, write_results

FIGURES = ("val_mel", "val_duration", "val_pitch", "val_energy")
# bench.acoustic quality rows compared side by side: (metric, lower is better?)
QUALITY = (("MCD-DTW (neural)", True), ("F0 RMSE (neural)", True), ("gross pitch error (neural)", True),
           ("voicing error (neural)", True), ("total duration ratio model/teacher", None),
           ("phrase duration MAE", True), ("phrase duration correlation", False))


def checkpoints(run: Path) -> list[dict]:
    """The checkpoint events (with validation figures) of a run's log, in order."""
    log = run / "log.jsonl"
    if not log.is_file():
        raise SystemExit(f"{run} has no log.jsonl: is it a `tts-moe train acoustic` run folder?")
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in events if e.get("event") == "checkpoint" and "val_mel" in e]


def at_budget(events: list[dict], seconds: float) -> dict | None:
    """The last checkpoint within ``seconds`` of wall time (None if there is none)."""
    within = [e for e in events if e["wall_seconds"] <= seconds + 1.0]
    return within[-1] if within else None


def compare(moe: list[dict], dense: list[dict]) -> tuple[list[Row], dict]:
    """Rows comparing the two runs' validation at their common budget and at their ends."""
    if not moe or not dense:
        raise SystemExit("both runs need at least one checkpoint with validation figures")
    budget = min(moe[-1]["wall_seconds"], dense[-1]["wall_seconds"])
    pair = {"moe": at_budget(moe, budget), "dense": at_budget(dense, budget)}
    rows = [Row("common budget (wall)", round(budget / 60, 1), "min")]
    for name, event in pair.items():
        rows.append(Row(f"{name}: steps / wall at that checkpoint", f"{event['step']} / {event['wall_seconds'] / 60:.1f} min"))
    for figure in FIGURES:
        a, b = pair["moe"][figure], pair["dense"][figure]
        goal = figure == "val_mel"
        rows.append(Row(f"{figure}: MoE / dense", f"{a:.4f} / {b:.4f}"))
        rows.append(Row(f"{figure}: MoE relative to dense", f"{100 * (a - b) / b:+.1f}", "%",
                        "MoE <= dense" if goal else "", at_most(a, b) if goal else None))
    for name, events in (("moe", moe), ("dense", dense)):
        last = events[-1]
        rows.append(Row(f"{name}: final step, val_mel", f"{last['step']}, {last['val_mel']:.4f}"))
    return rows, {"budget_seconds": budget, "at_budget": pair, "moe_curve": moe, "dense_curve": dense}


def synthesis_quality(run: Path, corpus: Path, vocoder) -> tuple[dict[str, object], dict]:
    """Export ``run``'s last checkpoint and measure it on ``corpus`` through ``vocoder``
    (bench.acoustic quality)."""
    from bench.acoustic import corpus_records, per_speaker, quality_section
    from tts_moe.acoustic.export import export_run
    from tts_moe.acoustic.loader import load_model
    from tts_moe.text.symbols import SymbolTable

    weights = run.parent / f"{run.name}-weights"
    export_run(run, weights)
    model = load_model(weights)
    records, _ = corpus_records(corpus, model)
    if not records:
        raise SystemExit(f"{corpus} has no clip in a speaker and style of {run}")
    rows, extra = quality_section(model, vocoder, per_speaker(records, 5), corpus, SymbolTable())
    return {row.metric: row.value for row in rows}, extra["summary"]


def quality_rows(moe: dict, dense: dict) -> list[Row]:
    rows = [Row("synthesis quality clips (MoE / dense)", f"{moe['quality clips']} / {dense['quality clips']}")]
    for metric, lower_better in QUALITY:
        a, b = moe.get(metric), dense.get(metric)
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            rows.append(Row(f"{metric}: MoE / dense", f"{a} / {b}"))
            continue
        rows.append(Row(f"{metric}: MoE / dense", f"{a:.4g} / {b:.4g}"))
        if lower_better is None:  # a ratio whose best value is 1
            a, b = abs(a - 1), abs(b - 1)
            rows.append(Row(f"{metric}: distance from 1, MoE / dense", f"{a:.4f} / {b:.4f}"))
        elif b:
            rows.append(Row(f"{metric}: MoE relative to dense", f"{100 * (a - b) / abs(b):+.1f}", "%",
                            "lower is better" if lower_better else "higher is better"))
    return rows


def launch(corpus: Path, runs: Path, minutes: float, extra: list[str]) -> tuple[Path, Path]:
    """Train the MoE and its dense twin at once, one thread each, for ``minutes`` of training
    wall time in all (a run folder that already holds some is resumed for the rest); wait."""
    folders = {"moe": runs / "moe", "dense": runs / "dense"}
    processes = []
    for name, folder in folders.items():
        resume = (folder / "config.json").is_file()
        done = (checkpoints(folder)[-1:] or [{"wall_seconds": 0.0}])[0]["wall_seconds"] / 60 if resume else 0.0
        if done >= minutes - 0.1:
            print(f"{name}: {folder} already holds {done:.1f} of {minutes:g} minutes", flush=True)
            continue
        command = [sys.executable, "-m", "tts_moe", "train", "acoustic", str(corpus), "--out", str(folder),
                   "--threads", "1", "--max-minutes", f"{minutes - done:.2f}", "--decay-minutes", str(minutes),
                   "--bf16", *(["--resume"] if resume else []), *(["--dense"] if name == "dense" else []), *extra]
        log = open(runs / f"{name}.out", "a", encoding="utf-8")  # noqa: SIM115 (closed below)
        processes.append((subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                           env={**os.environ, "OMP_NUM_THREADS": "1"}), log, name))
        print(f"started {name}: {' '.join(command)}", flush=True)
    failed = []
    for process, log, name in processes:
        if process.wait() != 0:
            failed.append(f"{name} (exit {process.returncode}, see {runs / (name + '.out')})")
        log.close()
    if failed:
        raise SystemExit("training failed: " + ", ".join(failed))
    return folders["moe"], folders["dense"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.moe_vs_dense", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="train both models on this corpus first")
    parser.add_argument("--runs", type=Path, default=Path("runs/moe-vs-dense"), help="run folders (with --corpus)")
    parser.add_argument("--minutes", type=float, default=35.0, help="wall-clock budget of each run (default 35)")
    parser.add_argument("--moe", type=Path, help="an existing MoE run folder")
    parser.add_argument("--dense", type=Path, help="an existing dense run folder")
    parser.add_argument("--results", default="moe_vs_dense", help="results name: bench/results/NAME.json")
    parser.add_argument("--quality", action="store_true",
                        help="also synthesise the held-out test corpus with both models (MCD, F0, durations)")
    parser.add_argument("--corpus-test", type=Path, help="held-out corpus for --quality (default: bench.acoustic's)")
    parser.add_argument("--quality-threads", type=int, default=2, help="torch threads for --quality (default 2)")
    args, extra = parser.parse_known_args(argv)
    if args.corpus:
        args.runs.mkdir(parents=True, exist_ok=True)
        args.moe, args.dense = launch(args.corpus, args.runs, args.minutes, extra)
    elif not (args.moe and args.dense):
        parser.error("give --corpus (train both) or both --moe and --dense")
    rows, data = compare(checkpoints(args.moe), checkpoints(args.dense))
    if args.quality:
        import torch

        from bench.acoustic import DEFAULT_CORPUS
        from vocoder.loader import Vocoder

        torch.set_num_threads(args.quality_threads)
        vocoder = Vocoder.from_pretrained()
        measured = {name: synthesis_quality(run, args.corpus_test or DEFAULT_CORPUS, vocoder)
                    for name, run in (("moe", args.moe), ("dense", args.dense))}
        rows += quality_rows(measured["moe"][0], measured["dense"][0])
        data["quality"] = {name: {"rows": figures, "per_speaker": summary}
                           for name, (figures, summary) in measured.items()}
    title = "MoE vs dense twin (same active parameters, data, seed and wall-clock budget)"
    print_table(title, rows)
    data.update(moe_run=str(args.moe), dense_run=str(args.dense))
    print(f"\nwrote {write_results(args.results, title, rows, data)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
