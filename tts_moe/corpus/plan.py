"""Seeded, reproducible corpus plan: which text each (speaker, style) cell renders.

Sizing (``--hours H``): every speaker gets the same share of H; within a speaker, ``neutral``
has weight 2 and every other verified style weight 1 (neutral speech is what a voice is
mostly asked for). A cell takes texts from its own seeded permutation of the text pool until
the estimated audio length is closest to its budget, so the plan only depends on (seed, hours,
speakers, styles, texts, rate estimates), and a larger H extends each cell's list (prefix
stable). ``--clips-per-cell N`` takes exactly N texts per cell instead.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from tts_moe.corpus.styles import NOMINAL_RATE_FACTOR
from tts_moe.corpus.texts import TextItem
from tts_moe.errors import InputError

NEUTRAL_WEIGHT = 2.0
NOMINAL_SEC_PER_CHAR = 0.058  # measured on flite slt / kal / hts / espeak neutral: 0.052-0.057
WEIGHTING = "equal hours per speaker; within a speaker neutral weight 2, other styles weight 1"


@dataclass(frozen=True)
class ClipJob:
    """One clip to render. ``id`` is ``SPEAKER__STYLE__TEXTID`` (unique in a corpus)."""

    id: str
    speaker: str
    style: str
    text_id: str
    text: str
    source: str
    split: str

    @property
    def path(self) -> str:
        """Audio path relative to the corpus folder."""
        return f"audio/{self.speaker}/{self.style}/{self.text_id}.flac"


def _stable_int(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def cell_budgets(cells: dict[str, tuple[str, ...]], hours: float) -> dict[tuple[str, str], float]:
    """Seconds of audio per (speaker, style) cell for a corpus of ``hours``."""
    budgets = {}
    speakers = [s for s in cells if cells[s]]
    for speaker in speakers:
        weights = {style: NEUTRAL_WEIGHT if style == "neutral" else 1.0 for style in cells[speaker]}
        total = sum(weights.values())
        for style, weight in weights.items():
            budgets[(speaker, style)] = hours * 3600.0 / len(speakers) * weight / total
    return budgets


def make_plan(
    texts: list[TextItem],
    cells: dict[str, tuple[str, ...]],
    *,
    split: str,
    seed: int = 0,
    hours: float | None = None,
    clips_per_cell: int | None = None,
    sec_per_char: dict[tuple[str, str], float] | None = None,
) -> list[ClipJob]:
    """The clip list for ``cells`` (speaker id -> styles, in a fixed order).

    ``sec_per_char`` gives each cell's measured seconds of audio per text character (from
    the probe renders); missing cells use a nominal rate scaled by the style.
    """
    if (hours is None) == (clips_per_cell is None):
        raise InputError("give exactly one of --hours and --clips-per-cell")
    if hours is not None and hours <= 0:
        raise InputError(f"--hours must be positive, got {hours}")
    if clips_per_cell is not None and clips_per_cell <= 0:
        raise InputError(f"--clips-per-cell must be positive, got {clips_per_cell}")
    if not texts:
        raise InputError("no texts to render")
    budgets = cell_budgets(cells, hours) if hours is not None else {}
    rates = sec_per_char or {}
    jobs: list[ClipJob] = []
    for speaker, styles in cells.items():
        for style in styles:
            rng = np.random.default_rng([seed, _stable_int(speaker), _stable_int(style)])
            order = rng.permutation(len(texts))
            if clips_per_cell is not None:
                chosen = order[: min(clips_per_cell, len(texts))]
            else:
                rate = rates.get((speaker, style)) or NOMINAL_SEC_PER_CHAR * NOMINAL_RATE_FACTOR.get(style, 1.0)
                chosen = order[: _count_for_budget(texts, order, rate, budgets[(speaker, style)])]
            for index in chosen:
                item = texts[int(index)]
                jobs.append(ClipJob(f"{speaker}__{style}__{item.id}", speaker, style, item.id,
                                    item.text, item.source, split))
    return jobs


def _count_for_budget(texts: list[TextItem], order: np.ndarray, rate: float, budget: float) -> int:
    """How many texts (in ``order``) bring the estimated audio closest to ``budget`` seconds
    (at least one)."""
    cumulative = np.cumsum(np.array([len(texts[i].text) for i in order], dtype=np.float64) * rate)
    count = int(np.searchsorted(cumulative, budget))  # texts strictly below the budget
    if count < len(cumulative) and (count == 0 or cumulative[count] - budget < budget - cumulative[count - 1]):
        count += 1
    return max(1, min(count, len(texts)))


def work_units(jobs: list[ClipJob], batch_size: int) -> list[list[ClipJob]]:
    """Batches of clips of one cell, interleaved across cells (slow teachers spread out)."""
    per_cell: dict[tuple[str, str], list[list[ClipJob]]] = {}
    for job in jobs:
        batches = per_cell.setdefault((job.speaker, job.style), [[]])
        if len(batches[-1]) >= batch_size:
            batches.append([])
        batches[-1].append(job)
    units: list[list[ClipJob]] = []
    queues = list(per_cell.values())
    depth = max((len(q) for q in queues), default=0)
    for level in range(depth):
        units.extend(q[level] for q in queues if level < len(q))
    return units
