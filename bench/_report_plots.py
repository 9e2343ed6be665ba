"""The scoreboard's summary plots, drawn with :mod:`bench._png` (numpy + zlib, no matplotlib):
``summary_goals.png`` (each key figure's margin to its goal) and ``summary_speed.png``
(real-time factor per stage against its goal). Part of :mod:`bench.report`."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from bench._png import GLYPH_H, draw_text, text_width, write_png
from bench._report_keys import Figure, parse_goal
from bench._report_markdown import fmt

GOALS_PNG, SPEED_PNG = "summary_goals.png", "summary_speed.png"


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
