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
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import numpy as np

from bench._png import GLYPH_H, draw_text, text_width, write_png
from bench.common import RESULTS_DIR, _cpu_model

REPORT_PATH = RESULTS_DIR.parent / "REPORT.md"
RUN_LOG = "_runs.json"
GOALS_PNG, SPEED_PNG = "summary_goals.png", "summary_speed.png"
ORDER = ("text_frontend", "moe_dispatch", "corpus_build", "teacher_wer", "vocoder", "vocoder_reserved", "moe_vs_dense",
         "watermark", "watermark_configs", "acoustic", "longform")
AREAS = ("speed", "intelligibility", "naturalness", "MoE", "watermark", "cloning", "vocoder", "text", "corpus")
MAX_AGE_DAYS = 7.0
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Key:
    """A key figure of an area: rows of results named ``source`` (regex, full match) whose
    metric matches ``metric`` (regex, search). ``goal`` applies when the row has none (a goal
    stated in the issues that the bench script does not check itself)."""

    area: str
    label: str
    source: str
    metric: str
    goal: str = ""


KEYS = (
    Key("speed", "end-to-end RTF, long-form script", "longform", r"^end-to-end RTF"),
    Key("speed", "flite / espeak-ng on the same script", "longform", r"RTF \(same script"),
    Key("speed", "peak memory, long-form scripts", "longform", r"^peak RSS"),
    Key("speed", "acoustic model RTF, ~10 s utterance", "acoustic", r"^RTF ~10 s utterance"),
    Key("speed", "vocoder RTF, 2 threads", "vocoder", r"^weights 2T RTF (10|60) s whole"),
    Key("speed", "watermark embed + detect RTF", "watermark", r"^embed \+ detect RTF"),
    Key("intelligibility", "pocketsphinx WER, model / teacher", "longform", r"^WER ratio model / teacher"),
    Key("intelligibility", "pocketsphinx WER of the model", "longform", r"^WER model"),
    Key("intelligibility", "pocketsphinx WER of the teacher's audio", "longform|teacher_wer",
        r"^WER (teacher audio|all speakers)"),
    Key("naturalness", "DNSMOS (speechmos)", ".*", r"(?i)dnsmos"),
    Key("naturalness", "MCD-DTW vs teacher, neural vocoder (and its floor)", "acoustic",
        r"^MCD-DTW( floor: teacher mel)? \(neural\)"),
    Key("naturalness", "F0 RMSE vs teacher", "acoustic", r"^F0 RMSE \(neural\)"),
    Key("MoE", "expert utilisation: min share / fair share", "acoustic", r"min expert share / fair share"),
    Key("MoE", "specialisation: MI(expert; style or class) / H(expert)", "acoustic",
        r"MI\(expert; (style|class)\) / H\(expert\)"),
    Key("MoE", "MoE vs dense twin at equal wall-clock budget: held-out mel loss", "moe_vs_dense",
        r"^val_mel: MoE (/|relative to) dense"),
    Key("MoE", "grouped vs naive dispatch (mask / grouped time)", "moe_dispatch", r"mask / grouped$"),
    Key("MoE", "MoE layer vs dense FFN of equal active size (time)", "moe_dispatch", r"grouped / dense$"),
    Key("watermark", "TPR at FPR 1e-3, clean and mean over edits", "watermark", r"^TPR @ FPR 1e-3: (clean|mean)"),
    Key("watermark", "payload bit accuracy, clean", "watermark", r"^bit accuracy: clean"),
    Key("watermark", "imperceptibility: PESQ, SI-SNR", "watermark", r"^(PESQ|SI-SNR)"),
    Key("cloning", "speaker similarity on unseen voices (resemblyzer)", "clon.*", r"(?i)similarity"),
    Key("vocoder", "copy-synthesis PESQ (wb), training speakers", "vocoder", r": PESQ-wb weights$", ">= 3.6"),
    Key("vocoder", "Griffin-Lim PESQ on the same mels (floor)", "vocoder", r": PESQ-wb griffin_lim$"),
    Key("vocoder", "STOI, vocoder and Griffin-Lim", "vocoder", r": STOI (weights|griffin_lim)$"),
    Key("vocoder", "copy-synthesis PESQ, reserved unseen voices", "vocoder_reserved", r": PESQ-wb "),
    Key("text", "phonemize / prepare throughput", "text_frontend", r"^(phonemize|prepare) \(.*sentences/s"),
    Key("text", "crashes over whole corpora", "text_frontend", r"crashes$"),
    Key("corpus", "teacher corpus build rate", "corpus_build", r"^audio hours per wall hour"),
    Key("corpus", "build wall time, failed clips", "corpus_build", r"^(wall time|clips failed)"),
)


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


# ------------------------------------------------------------------ goals
def parse_goal(goal: str) -> tuple[str, float] | None:
    """``">= 0.99"`` -> (">=", 0.99); a bare number means equality; None when not numeric."""
    match = re.match(r"\s*(>=|<=|<|>|=)?\s*([-+]?\d[\d,]*(?:\.\d*)?(?:[eE][-+]?\d+)?)", goal or "")
    if not match:
        return None
    return match.group(1) or "=", float(match.group(2).replace(",", ""))


def meets(goal: str, value) -> bool | None:
    """Whether a numeric ``value`` meets ``goal``; None when either is not numeric."""
    parsed = parse_goal(goal)
    if parsed is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    op, threshold = parsed
    return {">=": value >= threshold, "<=": value <= threshold, ">": value > threshold,
            "<": value < threshold, "=": value == threshold}[op]


def verdict(passed: bool | None) -> str:
    return {True: "pass", False: "**MISS**"}.get(passed, "")


# ------------------------------------------------------------------ loading
def _utc(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC) if text else None
    except (TypeError, ValueError):
        return None


def _row(metric: str, value, unit: str = "", goal: str = "", passed: bool | None = None) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "goal": goal, "passed": passed}


def _text_frontend_rows(data: dict) -> tuple[str, list[dict]]:
    goal = data.get("goal_sentences_per_s", 1000.0)
    rows = []
    for stage, r in {**data.get("throughput", {}), **data.get("phonemizer_variants", {})}.items():
        checked = stage.startswith(("phonemize", "prepare", "tts_moe"))
        rows.append(_row(f"{stage}: sentences/s", r["sentences_per_s"], "sent/s", f">= {goal:g}" if checked else "",
                         r["sentences_per_s"] >= goal if checked else None))
    lin = data.get("linearity", {})
    for key in ("normalize_5MB_over_1MB", "split_5MB_over_1MB"):
        if key in lin:
            rows.append(_row(f"{key.split('_')[0]} time, 5 MB / 1 MB", lin[key], "x"))
    inventory = data.get("inventory", {})
    if inventory:
        unknown = [accent for accent, r in inventory.items() if r.get("unknown")]
        rows.append(_row("English espeak accents checked", len(inventory)))
        rows.append(_row("accents with symbols outside the table", ", ".join(unknown) or "none"))
    for corpus, r in data.get("failures", {}).items():
        rows.append(_row(f"{corpus}: sentences", r["sentences"]))
        rows.append(_row(f"{corpus}: crashes", r["crashes"], "", "0", r["crashes"] == 0))
        rows.append(_row(f"{corpus}: text errors / unencodable", f"{r['text_errors']} / {r['unencodable']}"))
    return "Text front end: throughput, linearity, symbol inventory, failures", rows


def _wer_rows(data: dict) -> tuple[str, list[dict]]:
    overall = data["overall"]
    rows = [_row("WER all speakers (teacher audio)", round(overall["wer"], 4),
                 f"{overall['reference_words']} words, {overall['sentences']} sent")]
    rows += [_row(f"WER {speaker}", round(r["wer"], 4), f"{r['sentences']} sent")
             for speaker, r in data.get("speakers", {}).items()]
    return "pocketsphinx WER of the teacher's own audio (held-out corpus)", rows


def load_result(path: Path) -> Result:
    """Read one results file: the ``write_results`` layout, or the text front end's and the
    ``speech_metrics wer --json`` layouts (converted to rows). Never raises for a bad file:
    it becomes a result without rows and with a note saying what is wrong."""
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        if isinstance(data.get("rows"), list):
            title, rows = data.get("title") or path.stem, [_row(**{k: r.get(k) for k in ("metric", "value")},
                                                                unit=r.get("unit") or "", goal=r.get("goal") or "",
                                                                passed=r.get("passed")) for r in data["rows"]]
        elif "throughput" in data:
            title, rows = _text_frontend_rows(data)
        elif "overall" in data and "speakers" in data:
            title, rows = _wer_rows(data)
        else:
            return Result(path.stem, path.stem, path, mtime, "file time", {}, [], ["unrecognised results layout"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return Result(path.stem, path.stem, path, mtime, "file time", {}, [], [f"unreadable: {error}"])
    machine = data.get("machine") if isinstance(data.get("machine"), dict) else {}
    measured = _utc(machine.get("date_utc"))
    result = Result(data.get("name") or path.stem, title, path, measured or mtime,
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


# ------------------------------------------------------------------ summary
@dataclass
class Figure:
    area: str
    label: str
    metric: str
    value: object
    unit: str
    goal: str
    passed: bool | None
    result: Result | None
    goal_from_issue: bool = False
    source: str = ""  # the key's results-name pattern


def key_figures(results: list[Result]) -> list[Figure]:
    """The summary's figures, area by area; a key with no matching row is "not measured yet"."""
    figures = []
    for area in AREAS:
        for key in (k for k in KEYS if k.area == area):
            found = [(result, row) for result in results if re.fullmatch(key.source, result.name)
                     for row in result.rows if re.search(key.metric, str(row["metric"]))]
            for result, row in found:
                goal, passed, from_issue = row["goal"], row["passed"], False
                if not goal and key.goal:
                    goal, passed, from_issue = key.goal, meets(key.goal, row["value"]), True
                figures.append(Figure(area, key.label, row["metric"], row["value"], row["unit"], goal, passed,
                                      result, from_issue))
            if not found:
                figures.append(Figure(area, key.label, "", "not measured yet", "", key.goal, None, None,
                                      source=key.source))
    return figures


def every_miss(results: list[Result], figures: list[Figure]) -> list[tuple[Result, dict]]:
    """All rows under their goal: the benches' own verdicts plus goals applied by the summary."""
    misses = [(result, row) for result in results for row in result.rows if row["passed"] is False]
    misses += [(f.result, _row(f.metric, f.value, f.unit, f.goal + " (goal from the issue)", False))
               for f in figures if f.goal_from_issue and f.passed is False and f.result]
    return misses


# ------------------------------------------------------------------ plots
def _label(text: str, limit: int = 44) -> str:
    """Text the 5x7 font can draw (it has no < > @ ; ~ ' characters)."""
    for old, new in ((">=", "GE "), ("<=", "LE "), ("@", "at"), (";", ".")):
        text = text.replace(old, new)
    text = re.sub(r"[^A-Za-z0-9 \-_+%().,:/=|]", "", text)
    return text[:limit]


def _short(value: float, low: float, high: float) -> str:
    return f"under {fmt(low)}" if value < low else f"over {fmt(high)}" if value > high else f"{value:.3g}"


def bar_chart(title: str, bars: list[tuple[str, float, float | None, bool | None]], low: float, high: float,
              caption: str = "") -> np.ndarray:
    """Horizontal bars on a log axis from ``low`` to ``high``; each bar ``(label, value, goal,
    passed)``: green pass, red miss, grey no verdict; the goal is a black tick. RGB ``(h, w, 3)``."""
    title, caption = _label(title, 200), _label(caption, 200)
    labels = [_label(b[0]) for b in bars]
    left, plot_w, row_h, top = max(map(text_width, labels), default=0) + 12, 420, 14, 2 * GLYPH_H + 16
    width = max(left + plot_w + 70, text_width(title) + 10, text_width(caption) + 10)
    height = top + row_h * len(bars) + GLYPH_H + 14
    image = np.full((height, width, 3), 255, np.uint8)
    draw_text(image, 4, 4, title)
    draw_text(image, 4, GLYPH_H + 8, caption, (90, 90, 90))
    span = math.log10(high) - math.log10(low)

    def x_of(value: float) -> int:
        return left + round(plot_w * (math.log10(min(max(value, low), high)) - math.log10(low)) / span)

    bottom = top + row_h * len(bars)
    for exponent in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1):
        x = x_of(10.0 ** exponent)
        image[top:bottom, x] = (200, 200, 200)
        tick = fmt(10.0 ** exponent)
        draw_text(image, x - text_width(tick) // 2, bottom + 4, tick, (90, 90, 90))
    for index, ((_, value, goal, passed), label) in enumerate(zip(bars, labels)):
        y = top + index * row_h
        draw_text(image, 4, y + (row_h - GLYPH_H) // 2, label)
        color = {True: (46, 139, 87), False: (200, 40, 40)}.get(passed, (140, 140, 140))
        end = max(x_of(value), left + 3)  # a sliver even for a value off the left of the axis
        image[y + 2:y + row_h - 2, left:end] = color
        text, text_x = _short(value, low, high), end + 4
        if goal:
            tick = x_of(goal)
            image[y:y + row_h, tick - 1:tick + 1] = (0, 0, 0)
            if text_x <= tick + 1 < text_x + text_width(text) + 2:  # the text would cross the tick
                text_x = tick + 4
        draw_text(image, text_x, y + (row_h - GLYPH_H) // 2, text)
    image[top:bottom, left] = (0, 0, 0)
    return image


def _margin(figure: Figure) -> float | None:
    """How far a figure is past its goal: > 1 met, < 1 missed (value/goal or goal/value)."""
    parsed = parse_goal(figure.goal)
    value = figure.value
    if parsed is None or parsed[1] == 0 or not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    op, threshold = parsed
    if op in (">=", ">"):
        return max(value, 1e-9) / threshold
    if op in ("<=", "<"):
        return threshold / max(value, 1e-9)
    return None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def stage_bars(figures: list[Figure]) -> list[tuple[str, float, None, None]]:
    """Long-form RTF split by stage: each ``share: STAGE`` row (% of wall time) times the
    end-to-end RTF of the same results file."""
    end_to_end = next((f for f in figures if f.metric.startswith("end-to-end RTF") and _number(f.value)), None)
    if end_to_end is None:
        return []
    return [(f"longform stage: {r['metric'].removeprefix('share: ')}", r["value"] / 100 * end_to_end.value, None, None)
            for r in end_to_end.result.rows if str(r["metric"]).startswith("share: ") and _number(r["value"])
            and r["value"] > 0]


def draw_plots(figures: list[Figure], folder: Path) -> list[Path]:
    """``summary_goals.png`` (margin to goal of every key figure with a numeric goal) and
    ``summary_speed.png`` (RTF of each stage against its goal); returns the files written."""
    written = []
    for name in (GOALS_PNG, SPEED_PNG):
        (folder / name).unlink(missing_ok=True)  # never leave a plot of older figures behind
    goals = [(f"{f.area}: {f.metric}", m, 1.0, f.passed) for f in figures if (m := _margin(f)) is not None]
    if goals:
        image = bar_chart("Key figures against their goals (margin, log scale)", goals, 0.01, 100.0,
                          "1 = the goal. right of the black tick: goal met (value/goal or goal/value)")
        written.append(write_png(folder / GOALS_PNG, image))
    speed = [(f"{f.result.name}: {f.metric}", float(f.value), (parse_goal(f.goal) or (None, None))[1], f.passed)
             for f in figures if f.area == "speed" and "RTF" in f.metric and f.result and _number(f.value)]
    speed += stage_bars(figures)
    if speed:
        image = bar_chart("Real-time factor per stage (log scale, lower is faster)", speed, 1e-4, 10.0,
                          "black tick: goal of that stage. 1 = real time")
        written.append(write_png(folder / SPEED_PNG, image))
    return written


# ------------------------------------------------------------------ markdown
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


def _link(path: Path, report: Path) -> str:
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
              f"`{_link(results_dir, report)}/`. Goals come from the issues; a figure that misses its goal "
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
             (f"Source `{_link(result.path, report)}`, measured {_when(result, now)}{undated}; "
              f"machine: {_cell(_machine(result.machine))}.")]
    if entry:
        lines.append(f"Latest run: `{_cell(entry.get('command', ''))}` ({entry.get('mode')}), exit code "
                     f"{entry.get('exit_code')}, {entry.get('seconds', 0):.0f} s, "
                     f"finished {entry.get('finished_utc')} UTC.")
    lines += [f"> **{note}**" if note.startswith("STALE") else f"> Note: {note}." for note in result.notes]
    lines += ["", *(_table(result.rows) if result.rows else ["No rows."])]
    return lines + [f"\n![{p.stem.replace('_', ' ')}]({_link(p, report)})" for p in pngs]


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
        out += ["", f"![{path.stem.replace('_', ' ')}]({_link(path, report)})"]
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
        out += ["", "## Other plots", ""] + [f"![{p.stem}]({_link(p, report)})" for p in stray]
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
