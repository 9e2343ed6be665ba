"""The scoreboard: build ``bench/REPORT.md`` from ``bench/results/*.json``.

    python -m bench --report-only          # or build_report() from Python

The report states the machine, versions and date; a summary per area (speed,
intelligibility, naturalness, MoE, watermark, cloning, vocoder, text, corpus) with the key
figures against their goals, every **MISS** across all results, the benchmarks whose latest
run failed; then one section per results file with its full table (metric / value / unit /
goal / verdict), where and when it was measured and any caveat (random weights, quick run,
stale). Areas without results say "not measured yet". PNGs that a bench wrote into the
results folder are embedded with a relative link; two summary plots are drawn here
(``summary_goals.png``: each figure's margin to its goal; ``summary_speed.png``: real-time
factor per stage against its goal) with :mod:`bench._png` (numpy + zlib, no matplotlib).

Files in the results folder whose name starts with ``_`` are not results: ``_runs.json`` is
the log of ``python -m bench`` (command, mode, exit code and time of each benchmark).

This module assembles the report; the parts live beside it: ``_report_results`` (reading
the results and the run log), ``_report_keys`` (the key figures and their goals),
``_report_markdown`` (tables and sections) and ``_report_plots`` (the summary PNGs).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench._report_keys import (
    AREAS,
    KEYS,
    Figure,
    Key,
    every_miss,
    key_figures,
    meets,
    parse_goal,
    verdict,
)
from bench._report_markdown import (
    failure_lines,
    fmt,
    header_lines,
    miss_lines,
    relative_link,
    section_lines,
    summary_lines,
    versions,
)
from bench._report_plots import GOALS_PNG, SPEED_PNG, bar_chart, draw_plots, stage_bars
from bench._report_results import (
    MAX_AGE_DAYS,
    ORDER,
    RUN_LOG,
    TIME_FORMAT,
    Result,
    load_result,
    load_results,
    load_run_log,
)
from bench.common import RESULTS_DIR

__all__ = [
    "AREAS", "GOALS_PNG", "KEYS", "MAX_AGE_DAYS", "ORDER", "REPORT_PATH", "RUN_LOG", "SPEED_PNG", "TIME_FORMAT",
    "Figure", "Key", "Result", "bar_chart", "build_report", "draw_plots", "every_miss", "failure_lines", "fmt",
    "header_lines", "key_figures", "load_result", "load_results", "load_run_log", "meets", "miss_lines",
    "parse_goal", "render", "section_lines", "stage_bars", "summary_lines", "verdict", "versions",
]

REPORT_PATH = RESULTS_DIR.parent / "REPORT.md"


def render(results: list[Result], run_log: dict, report: Path, results_dir: Path, now: datetime,
           plots: list[Path]) -> str:
    """The whole REPORT.md text."""
    figures = key_figures(results)
    out = header_lines(results, run_log, report, results_dir, now)
    out += ["", "## Summary", "", *summary_lines(figures, run_log), "",
            ("\"(issue)\": a goal stated in the issue that the bench script does not check itself. "
             "Notes in the source column: *random (untrained) weights* (only speed is meaningful), "
             "*quick run* (reduced sizes), *STALE* (see the section).")]
    for path in plots:
        out += ["", f"![{path.stem.replace('_', ' ')}]({relative_link(path, report)})"]
    out += ["", *miss_lines(every_miss(results, figures))]
    failures = failure_lines(run_log)
    out += ["", *failures] if failures else []
    pngs = sorted(p for p in results_dir.glob("*.png") if p.name not in (GOALS_PNG, SPEED_PNG))
    names = sorted((r.name for r in results), key=len, reverse=True)
    owner = {p: next((n for n in names if p.stem == n or p.stem.startswith(n + "_")), None) for p in pngs}
    runs = run_log.get("runs", {}).values()
    for result in results:
        entry = next((e for e in runs if result.name in e.get("results", ())), None)
        out += section_lines(result, entry, [p for p in pngs if owner[p] == result.name], report, now)
    stray = [p for p in pngs if owner[p] is None]
    if stray:
        out += ["", "## Other plots", ""] + [f"![{p.stem}]({relative_link(p, report)})" for p in stray]
    return "\n".join(out) + "\n"


def build_report(results_dir: Path = RESULTS_DIR, report: Path = REPORT_PATH, *, now: datetime | None = None,
                 max_age_days: float = MAX_AGE_DAYS) -> Path:
    """Write ``report`` (atomically) from the results in ``results_dir``, with the summary PNGs
    drawn into ``results_dir``; returns the report's path."""
    results_dir, report = Path(results_dir), Path(report)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    run_log = load_run_log(results_dir)
    results = load_results(results_dir, run_log, now, max_age_days)
    plots = draw_plots(key_figures(results), results_dir) if results_dir.is_dir() else []
    text = render(results, run_log, report, results_dir, now, plots)
    report.parent.mkdir(parents=True, exist_ok=True)
    temp = report.with_name(f".{report.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, report)
    return report


if __name__ == "__main__":
    print(build_report())
    sys.exit(0)
