"""Reading the scoreboard's inputs: ``bench/results/*.json`` (as :class:`Result`) and the
runner's log ``_runs.json``, with the caveats each result carries (stale, quick run, random
weights, another machine). Part of :mod:`bench.report`."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import _cpu_model

RUN_LOG = "_runs.json"
ORDER = ("text_frontend", "moe_dispatch", "corpus_build", "teacher_wer", "vocoder", "vocoder_reserved", "moe_vs_dense",
         "watermark", "watermark_configs", "acoustic", "longform", "longform_wer_repeat",
         "longform_wer_ft", "cloning")
MAX_AGE_DAYS = 7.0
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class Result:
    """One results file. ``rows``: dicts with metric, value, unit, goal, passed."""

    name: str
    title: str
    path: Path
    measured: datetime | None
    date_source: str
    machine: dict
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    stale: bool = False


def _utc(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC) if text else None
    except (TypeError, ValueError):
        return None


def make_row(metric: str, value, unit: str = "", goal: str = "", passed: bool | None = None) -> dict:
    """One table row as the report keeps it: metric, value, unit, goal, passed (None: no verdict)."""
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "passed": passed}


def _text_frontend_rows(data: dict) -> tuple[str, list[dict]]:
    goal = data.get("goal_sentences_per_s", 1000.0)
    rows = []
    for stage, r in {**data.get("throughput", {}), **data.get("phonemizer_variants", {})}.items():
        checked = stage.startswith(("phonemize", "prepare", "tts_moe"))
        rows.append(make_row(f"{stage}: sentences/s", r["sentences_per_s"], "sent/s", f">= {goal:g}" if checked else "",
                             r["sentences_per_s"] >= goal if checked else None))
    lin = data.get("linearity", {})
    for key in ("normalize_5MB_over_1MB", "split_5MB_over_1MB"):
        if key in lin:
            rows.append(make_row(f"{key.split('_')[0]} time, 5 MB / 1 MB", lin[key], "x"))
    inventory = data.get("inventory", {})
    if inventory:
        unknown = [accent for accent, r in inventory.items() if r.get("unknown")]
        rows.append(make_row("English espeak accents checked", len(inventory)))
        rows.append(make_row("accents with symbols outside the table", ", ".join(unknown) or "none"))
    for corpus, r in data.get("failures", {}).items():
        rows.append(make_row(f"{corpus}: sentences", r["sentences"]))
        rows.append(make_row(f"{corpus}: crashes", r["crashes"], "", "0", r["crashes"] == 0))
        rows.append(make_row(f"{corpus}: text errors / unencodable", f"{r['text_errors']} / {r['unencodable']}"))
    return "Text front end: throughput, linearity, symbol inventory, failures", rows


def _wer_rows(data: dict) -> tuple[str, list[dict]]:
    overall = data["overall"]
    rows = [make_row("WER all speakers (teacher audio)", round(overall["wer"], 4),
                 f"{overall['reference_words']} words, {overall['sentences']} sent")]
    rows += [make_row(f"WER {speaker}", round(r["wer"], 4), f"{r['sentences']} sent")
             for speaker, r in data.get("speakers", {}).items()]
    return "pocketsphinx WER of the teacher's own audio (held-out corpus)", rows


def file_time(path: Path) -> datetime:
    """When an undated results file was written: its last commit's time when git tracks it
    unchanged (a fresh clone's files all carry the checkout time), else its modification time."""
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    try:
        folder, name = str(path.parent), path.name
        changed = subprocess.run(["git", "status", "--porcelain", "--", name], cwd=folder, capture_output=True,
                                 text=True, timeout=10)
        committed = subprocess.run(["git", "log", "-1", "--format=%ct", "--", name], cwd=folder, capture_output=True,
                                   text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return mtime
    if changed.returncode or changed.stdout.strip() or committed.returncode or not committed.stdout.strip():
        return mtime
    return datetime.fromtimestamp(int(committed.stdout.strip()), UTC)


def load_result(path: Path) -> Result:
    """Read one results file: the ``write_results`` layout, or the text front end's and the
    ``speech_metrics wer --json`` layouts (converted to rows). Never raises for a bad file:
    it becomes a result without rows and with a note saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        if isinstance(data.get("rows"), list):
            title, rows = data.get("title") or path.stem, [make_row(**{k: r.get(k) for k in ("metric", "value")},
                                                                    unit=r.get("unit") or "", goal=r.get("goal") or "",
                                                                    passed=r.get("passed")) for r in data["rows"]]
        elif "throughput" in data:
            title, rows = _text_frontend_rows(data)
        elif "overall" in data and "speakers" in data:
            title, rows = _wer_rows(data)
        else:
            return Result(path.stem, path.stem, path, file_time(path), "file time", {}, [],
                          ["unrecognised results layout"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return Result(path.stem, path.stem, path, file_time(path), "file time", {}, [], [f"unreadable: {error}"])
    machine = data.get("machine") if isinstance(data.get("machine"), dict) else {}
    measured = _utc(machine.get("date_utc"))
    result = Result(data.get("name") or path.stem, title, path, measured or file_time(path),
                    "results" if measured else "file time", machine, rows)
    text = f"{title} {data.get('weights', '')}"
    if re.search(r"\brandom\b|untrained", text, re.IGNORECASE):
        result.notes.append("random (untrained) weights")
    if re.search(r"smoke", text, re.IGNORECASE):
        result.notes.append("smoke run")
    return result


def load_run_log(results_dir: Path) -> dict:
    try:
        return json.loads((results_dir / RUN_LOG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_results(results_dir: Path, run_log: dict, now: datetime, max_age_days: float = MAX_AGE_DAYS) -> list[Result]:
    """Every results file, ordered as the runner runs them, with caveats from the run log."""
    paths = [p for p in results_dir.glob("*.json") if not p.name.startswith("_")]
    rank = {name: index for index, name in enumerate(ORDER)}
    results = sorted((load_result(p) for p in paths), key=lambda r: (rank.get(r.name, len(ORDER)), r.name))
    runs = run_log.get("runs", {})
    for result in results:
        entry = next((e for e in runs.values() if result.name in e.get("results", ())), None)
        started, finished = (_utc(entry.get("started_utc")), _utc(entry.get("finished_utc"))) if entry else (None, None)
        if entry and entry.get("exit_code") != 0 and started and finished and result.measured \
                and result.measured < started:
            result.stale = True
            result.notes.append(f"STALE: its latest run ({entry['finished_utc']}) failed with exit "
                                f"{entry.get('exit_code')}; these figures are from an earlier run")
        elif entry and started and result.measured and result.measured >= started and entry.get("mode") == "quick":
            result.notes.append("quick run (reduced sizes)")
        if result.measured and now - result.measured > timedelta(days=max_age_days):
            result.stale = True
            result.notes.append(f"STALE: measured {(now - result.measured).days} days before this report")
        here = _cpu_model(), os.cpu_count()
        there = result.machine.get("cpu_model"), result.machine.get("cpu_count")
        if there[0] and there != here:
            result.notes.append(f"measured on another machine ({there[0]}, {there[1]} CPUs)")
    return results
