"""Time a teacher-corpus build: wall time, audio hours per wall hour, per-teacher throughput.

    python -m bench.corpus_build --hours 10 --out /work/corpora/teacher-10h

Prints a table, writes ``bench/results/corpus_build.json`` and then prints ``corpus stats``.
Goal (from the issue): a 10-hour corpus in under 30 minutes on 2 cores, i.e. at least
20 audio hours per wall hour. A resumed build only times the clips it rendered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common import Row, at_least, at_most, print_table, write_results
from tts_moe.corpus.build import BuildOptions, build_corpus
from tts_moe.corpus.stats import corpus_stats, format_stats

GOAL_AUDIO_HOURS_PER_WALL_HOUR = 20.0  # 10 h in 30 min


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speakers", default="training")
    args = parser.parse_args(argv)

    report = build_corpus(BuildOptions(args.out, hours=args.hours, speakers=args.speakers,
                                       jobs=args.jobs, seed=args.seed, progress=None,
                                       log=lambda m: print(m, file=sys.stderr)))
    wall = report.wall_seconds
    audio_h = report.audio_seconds / 3600
    rate = audio_h / (wall / 3600) if wall > 0 else 0.0
    goal_wall = args.hours / GOAL_AUDIO_HOURS_PER_WALL_HOUR * 3600
    rows = [
        Row("hours requested", args.hours, "h"),
        Row("hours in corpus", round(report.hours_built, 3), "h"),
        Row("clips rendered this run", report.rendered),
        Row("clips skipped (already done)", report.skipped),
        Row("clips failed", len(report.failed), "", "0", len(report.failed) == 0),
        Row("wall time", round(wall, 1), "s", f"<= {goal_wall:.0f}",
            at_most(wall, goal_wall) if report.skipped == 0 else None),
        Row("style probes (part of wall)", round(report.probe_seconds, 1), "s"),
        Row("audio hours per wall hour", round(rate, 1), "h/h", f">= {GOAL_AUDIO_HOURS_PER_WALL_HOUR:g}",
            at_least(rate, GOAL_AUDIO_HOURS_PER_WALL_HOUR) if report.rendered else None),
    ]
    for engine, figures in sorted(report.per_engine.items()):
        worker = figures["worker_seconds"]
        rows.append(Row(f"{engine}: audio s per worker s (incl. post-processing)",
                        round(figures["audio_seconds"] / worker, 1) if worker else 0.0, "x"))
        rows.append(Row(f"{engine}: audio hours", round(figures["audio_seconds"] / 3600, 3), "h"))
    title = f"Teacher corpus build, {args.hours:g} h, --jobs {args.jobs}"
    print_table(title, rows)
    path = write_results("corpus_build", title, rows, {
        "out": str(args.out), "per_engine": report.per_engine,
        "dropped_styles": report.dropped_styles,
        "failed": [list(f) for f in report.failed[:50]],
    })
    print(f"results written to {path}\n")
    print(format_stats(corpus_stats(args.out)))
    return 0 if not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
