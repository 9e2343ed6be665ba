"""The scoreboard's key figures: the areas, the table of key figures per area (:data:`KEYS`)
with their goals, goal parsing and checking, and the selection of those figures (and of every
miss) from the results. Part of :mod:`bench.report`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bench._report_results import Result, make_row

AREAS = ("speed", "intelligibility", "naturalness", "MoE", "watermark", "cloning", "vocoder", "text", "corpus")


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
    Key("intelligibility", "pocketsphinx WER, model / teacher", "longform(_wer_ft)?", r"^WER ratio model / teacher"),
    Key("intelligibility", "pocketsphinx WER of the model", "longform(_wer_ft)?", r"^WER model"),
    Key("intelligibility", "pocketsphinx WER of the teacher's audio", "longform|teacher_wer",
        r"^WER (teacher audio|all speakers)"),
    Key("naturalness", "DNSMOS (speechmos)", "(?!vocoder).*", r"(?i)dnsmos"),
    Key("naturalness", "MCD-DTW vs teacher, neural vocoder (and its floor)", "acoustic",
        r"^MCD-DTW( floor: teacher mel)? \(neural\)"),
    Key("naturalness", "F0 RMSE vs teacher", "acoustic", r"^F0 RMSE \(neural\)"),
    Key("MoE", "expert utilisation: min share / fair share", "acoustic", r"min expert share / fair share"),
    Key("MoE", "specialisation: MI(expert; style or class) / H(expert)", "acoustic",
        r"MI\(expert; (style|class)\) / H\(expert\)"),
    Key("MoE", "MoE vs dense twin at equal wall-clock budget: held-out mel loss", "moe_vs_dense(_seed\\d+)?",
        r"^val_mel: MoE (/|relative to) dense"),
    Key("MoE", "MoE vs dense twin: synthesis MCD, F0 RMSE, phrase durations (relative)", "moe_vs_dense(_seed\\d+)?",
        r"^(MCD-DTW \(neural\)|F0 RMSE \(neural\)|phrase duration MAE): MoE relative to dense"),
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
    Key("vocoder", "timing-free: MCD-DTW, F0 RMSE, gross pitch error, vocoder and Griffin-Lim", "vocoder",
        r": (MCD-DTW|F0 RMSE|gross pitch error) (weights|griffin_lim)$"),
    Key("vocoder", "DNSMOS of copy synthesis, Griffin-Lim and the teacher clips", "vocoder", r": DNSMOS overall "),
    Key("vocoder", "PESQ of the vocoder against itself with F0 nudged (pulse timing only)", "vocoder_drift",
        r"vs its own unscaled output$"),
    Key("vocoder", "PESQ of the teachers against themselves, pitch nudged", "vocoder_drift", r"vs itself"),
    Key("vocoder", "phase-fitted ceiling, F0 as fitted and nudged", "vocoder_drift_fit",
        r"^PESQ-wb phase-fitted head|phase-fitted head vs teacher$"),
    Key("text", "phonemize / prepare throughput", "text_frontend", r"^(phonemize|prepare) \(.*sentences/s"),
    Key("text", "crashes over whole corpora", "text_frontend", r"crashes$"),
    Key("corpus", "teacher corpus build rate", "corpus_build", r"^audio hours per wall hour"),
    Key("corpus", "build wall time, failed clips", "corpus_build", r"^(wall time|clips failed)"),
)


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
    misses += [(f.result, make_row(f.metric, f.value, f.unit, f.goal + " (goal from the issue)", False))
               for f in figures if f.goal_from_issue and f.passed is False and f.result]
    return misses
