"""Style verification: measure every (speaker, style) cell against the speaker's neutral.

Before a build, each speaker renders :data:`PROBE_TEXTS` in neutral and in every requested
style it supports; a style is kept only if its measurement moves in the expected direction
by the margin in :data:`tts_moe.corpus.styles.STYLE_CHECKS`. The same comparison is made on
the built corpus (``corpus`` section of ``cells.json``) and shown by ``tts-moe corpus stats``.
"""

from __future__ import annotations

import statistics

from tts_moe.corpus.styles import STYLE_CHECKS

# fixed probe sentences (written for this purpose): statement, question, list, long clause
PROBE_TEXTS = (
    "The old lighthouse keeper walked slowly down to the harbour every morning.",
    "Would you like to hear what happened after the storm had finally passed?",
    "We packed bread, cheese, apples and a large flask of tea for the journey.",
    "Nobody in the village could remember a winter as cold and as long as that one.",
)


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 4) if values else None


def cell_metrics(records: list[dict]) -> dict:
    """Aggregate measurements of the clips of one cell."""
    duration = sum(r["duration"] for r in records)
    phones = sum(r["n_phones"] for r in records)
    chars = sum(len(r["normalized_text"]) for r in records)
    return {
        "clips": len(records),
        "hours": round(duration / 3600, 4),
        "sec_per_phone": round(duration / phones, 5) if phones else None,
        "sec_per_char": round(duration / chars, 5) if chars else None,
        "f0_median": _median([r["f0_median"] for r in records]),
        "f0_median_st": _median([r["f0_median_st"] for r in records]),
        "f0_std": _mean([r["f0_std"] for r in records]),
        "f0_spread_st": _mean([r["f0_spread_st"] for r in records]),
        "voiced_fraction": _mean([r["voiced_fraction"] for r in records]),
    }


def group_cells(records: list[dict]) -> dict[str, dict[str, dict]]:
    """speaker -> style -> metrics."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for record in records:
        grouped.setdefault((record["speaker"], record["style"]), []).append(record)
    cells: dict[str, dict[str, dict]] = {}
    for (speaker, style), items in sorted(grouped.items()):
        cells.setdefault(speaker, {})[style] = cell_metrics(items)
    return cells


def compare_to_neutral(styles: dict[str, dict]) -> dict[str, dict]:
    """For each non-neutral style of one speaker: the check, the change, and whether it passed."""
    neutral = styles.get("neutral")
    verdicts = {}
    for style, metrics in styles.items():
        if style == "neutral":
            continue
        check = STYLE_CHECKS[style]
        base = neutral.get(check.metric) if neutral else None
        value = metrics.get(check.metric)
        if base is None or value is None:
            verdicts[style] = {"check": check.describe(), "change": None, "verified": False,
                               "reason": "no neutral measurement to compare with"
                               if base is None else f"no {check.metric} measurement"}
            continue
        ok, change = check.passes(value, base)
        verdicts[style] = {"check": check.describe(), "change": round(change, 3), "verified": ok,
                           "reason": "" if ok else "did not move far enough in the expected direction"}
    return verdicts
