"""Shared plumbing for benchmark scripts: machine facts, a printed table, JSON results.

Every bench script builds a list of :class:`Row` (one measured figure each, with its goal
when there is one), prints them with :func:`print_table` and saves them with
:func:`write_results` to ``bench/results/NAME.json``, so the scoreboard can collect them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    """One measured figure. ``goal`` is a human-readable target such as ``">= 1000"``."""

    metric: str
    value: float | int | str
    unit: str = ""
    goal: str = ""
    passed: bool | None = None  # None: no goal to meet

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "MISS", None: ""}[self.passed]


def at_least(value: float, goal: float) -> bool:
    return value >= goal


def at_most(value: float, goal: float) -> bool:
    return value <= goal


def machine_info() -> dict:
    """Facts that make a figure comparable: CPU, cores, Python and library versions, date."""
    info = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
    }
    for module in ("torch", "numpy", "phonemizer", "librosa"):
        mod = sys.modules.get(module)
        if mod is not None:
            info[module] = getattr(mod, "__version__", "?")
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def format_value(value: float | int | str) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e6:
            return f"{value:,.3f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, rows: list[Row]) -> None:
    """Print rows as an aligned text table (metric | value | unit | goal | verdict)."""
    cells = [("metric", "value", "unit", "goal", "")] + [
        (r.metric, format_value(r.value), r.unit, r.goal, r.verdict) for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    print(f"\n{title}")
    for index, cell in enumerate(cells):
        print("  ".join(text.ljust(width) for text, width in zip(cell, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def jsonable(value):
    """``value`` with numpy arrays and scalars as plain lists and numbers, tuples as lists and
    every dict key as a string (numpy integer keys included), ready for ``json.dumps``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        return value.tolist()
    return value


def write_results(name: str, title: str, rows: list[Row], extra: dict | None = None) -> Path:
    """Save ``bench/results/NAME.json`` (atomically) and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "title": title,
        "machine": machine_info(),
        "rows": [asdict(row) for row in rows],
        **(extra or {}),
    }
    path = RESULTS_DIR / f"{name}.json"
    temp = path.with_suffix(".json.tmp")
    temp.write_text(json.dumps(jsonable(payload), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)
    return path


def apply_size_defaults(args, defaults: dict[str, tuple]) -> None:
    """Fill options left at None with their ``(full, quick)`` default, by ``args.quick``."""
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
