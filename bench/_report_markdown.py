"""The scoreboard's Markdown: number formatting, the header (machine, versions, last run),
the summary table, the list of every miss, the failed benchmarks and one section per results
file. Part of :mod:`bench.report`."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench._report_keys import AREAS, Figure, verdict
from bench._report_results import Result
from bench.common import _cpu_model


def fmt(value) -> str:
    """Numbers as the benches rounded them (up to 6 significant digits), with thousands commas."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def _cell(value) -> str:
    text = fmt(value)
    return str(text).replace("|", "\\|").replace("\n", " ")


def _when(result: Result | None, now: datetime) -> str:
    if result is None or result.measured is None:
        return "date unknown"
    hours = (now - result.measured).total_seconds() / 3600
    age = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} days"
    return f"{result.measured:%Y-%m-%d %H:%M} UTC ({age} before this report)"


def _machine(machine: dict) -> str:
    parts = [f"{machine['cpu_model']}" if machine.get("cpu_model") else "",
             f"{machine['cpu_count']} CPUs" if machine.get("cpu_count") else "",
             f"Python {machine['python']}" if machine.get("python") else "",
             f"torch {machine['torch']}" if machine.get("torch") else ""]
    return ", ".join(p for p in parts if p) or "not recorded"


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for package in ("torch", "torchaudio", "numpy"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    from tts_moe import __version__

    return ", ".join(found + [f"tts-moe {__version__}{_commit()}"])


def _commit() -> str:
    try:
        root = Path(__file__).resolve().parents[1]
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        return f" (commit {head}{', with uncommitted changes' if dirty else ''})"
    except (OSError, subprocess.SubprocessError):
        return ""


def relative_link(path: Path, report: Path) -> str:
    return Path(os.path.relpath(path, report.parent)).as_posix()


def _table(rows: list[dict]) -> list[str]:
    lines = ["| metric | value | unit | goal | verdict |", "|---|---:|---|---|---|"]
    lines += [f"| {_cell(r['metric'])} | {_cell(r['value'])} | {_cell(r['unit'])} | {_cell(r['goal'])} | "
              f"{verdict(r['passed'])} |" for r in rows]
    return lines


def summary_lines(figures: list[Figure], run_log: dict) -> list[str]:
    failed = {name: e for name, e in run_log.get("runs", {}).items() if e.get("exit_code") != 0}

    def missing(mine: list[Figure]) -> str:
        """"not measured yet", naming the benchmarks that should have measured it and failed."""
        why = sorted({f"`{name}` failed, exit {e.get('exit_code')}" for f in mine for name, e in failed.items()
                      if f.source != ".*" and any(re.fullmatch(f.source, r) for r in e.get("results", ()))})
        return "not measured yet" + (f" ({'; '.join(why)})" if why else "")

    lines = ["| area | figure | value | goal | verdict | source |", "|---|---|---:|---|---|---|"]
    for area in AREAS:
        mine = [f for f in figures if f.area == area]
        if all(f.result is None for f in mine):
            lines.append(f"| {area} | {'; '.join(_cell(f.label) for f in mine)} | {missing(mine)} | | | |")
            continue
        for f in mine:
            if f.result is None:
                lines.append(f"| {area} | {_cell(f.label)} | {missing([f])} | {_cell(f.goal)} | | |")
                continue
            goal = f"{f.goal} (issue)" if f.goal_from_issue else f.goal
            when = f" {f.result.measured:%m-%d %H:%M}" if f.result.measured else ""
            notes = "; ".join(n.split(":")[0] for n in f.result.notes)
            figure = f"{_cell(f.value)} {_cell(f.unit)}".strip()
            lines.append(f"| {area} | {_cell(f.metric)} | {figure} | {_cell(goal)} | "
                         f"{verdict(f.passed)} | `{f.result.name}`{when}{f' ({notes})' if notes else ''} |")
    return lines


def header_lines(results: list[Result], run_log: dict, report: Path, results_dir: Path, now: datetime) -> list[str]:
    dated = sorted(r.measured for r in results if r.measured)
    span = f"{dated[0]:%Y-%m-%d %H:%M} to {dated[-1]:%Y-%m-%d %H:%M} UTC" if dated else "no results yet"
    lines = ["# tts-moe scoreboard", "",
             (f"Built {now:%Y-%m-%d %H:%M} UTC from {len(results)} results files in "
              f"`{relative_link(results_dir, report)}/`. Goals come from the issues; a figure that misses its goal "
              "is shown as **MISS**, whatever the reason. Rows without a goal are shown plainly."), "",
             "| | |", "|---|---|",
             f"| machine | {_cell(_cpu_model())}, {os.cpu_count()} CPUs, {_cell(platform.platform())} |",
             f"| versions | {_cell(versions())} |",
             f"| report date | {now:%Y-%m-%d %H:%M:%S} UTC |",
             f"| figures measured | {span} |"]
    last, runs = run_log.get("last", {}), run_log.get("runs", {})
    if last:
        failed = [n for n in last.get("benchmarks", []) if runs.get(n, {}).get("exit_code") != 0]
        lines.append(f"| last run | `{_cell(last.get('command', 'python -m bench'))}` ({last.get('mode')}), "
                     f"{last.get('started_utc')} to {last.get('finished_utc')} UTC, "
                     f"{len(last.get('benchmarks', []))} benchmarks, {len(failed)} failed |")
    return lines


def miss_lines(misses: list[tuple[Result, dict]]) -> list[str]:
    lines = [f"### Every MISS ({len(misses)})", ""]
    for result, r in misses:
        notes = f" [{'; '.join(n.split(':')[0] for n in result.notes)}]" if result.notes else ""
        figure = f"{_cell(r['value'])} {_cell(r['unit'])}".strip()
        lines.append(f"- **MISS** `{result.name}`: {_cell(r['metric'])} = {figure} (goal {_cell(r['goal'])}){notes}")
    return lines if misses else [*lines, "None."]


def failure_lines(run_log: dict) -> list[str]:
    failures = {name: e for name, e in run_log.get("runs", {}).items() if e.get("exit_code") != 0}
    if not failures:
        return []
    lines = [f"### Benchmarks whose latest run failed ({len(failures)})", "",
             "| benchmark | exit code | when | took | command | last lines of its error output |",
             "|---|---:|---|---:|---|---|"]
    for name, e in failures.items():
        tail = " / ".join(line.strip() for line in e.get("stderr_tail", [])[-3:] if line.strip())
        lines.append(f"| {name} | {e.get('exit_code')} | {e.get('finished_utc')} | {e.get('seconds', 0):.0f} s | "
                     f"`{_cell(e.get('command', ''))}` | {_cell(tail) or 'no error output'} |")
    return lines


def section_lines(result: Result, entry: dict | None, pngs: list[Path], report: Path, now: datetime) -> list[str]:
    undated = " (file time: the JSON has no date)" if result.date_source == "file time" else ""
    lines = ["", f"## {result.name}: {_cell(result.title)}", "",
             (f"Source `{relative_link(result.path, report)}`, measured {_when(result, now)}{undated}; "
              f"machine: {_cell(_machine(result.machine))}.")]
    if entry:
        lines.append(f"Latest run: `{_cell(entry.get('command', ''))}` ({entry.get('mode')}), exit code "
                     f"{entry.get('exit_code')}, {entry.get('seconds', 0):.0f} s, "
                     f"finished {entry.get('finished_utc')} UTC.")
    lines += [f"> **{note}**" if note.startswith("STALE") else f"> Note: {note}." for note in result.notes]
    lines += ["", *(_table(result.rows) if result.rows else ["No rows."])]
    return lines + [f"\n![{p.stem.replace('_', ' ')}]({relative_link(p, report)})" for p in pngs]
