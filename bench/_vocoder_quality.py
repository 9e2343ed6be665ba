"""Copy-synthesis quality of vocoders, per corpus and per speaker, with Griffin-Lim beside.

Each clip's log-mel (``tts_moe.audio.log_mel``) goes through every vocoder under test and
through Griffin-Lim (the floor), and the result is scored against the clip: PESQ (wide
band), STOI and log-mel L1 (``vocoder.evaluate.compare``). Corpora:

- a test corpus (``heldout-test``: LJ Speech ``test.txt`` sentences, every training speaker)
  or the held-out split of a training corpus: the goal PESQ >= 3.6 applies;
- a reserved corpus (``reserved-test``: voices no model was trained on): generalisation,
  reported without a goal.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import Row, at_least
from tts_moe.corpus.metadata import load_metadata, read_json

PESQ_GOAL = 3.6
FIGURES = ("pesq_wb", "stoi", "mel_l1")


def corpus_clips(corpus: Path, per_speaker: int, training: dict | None = None) -> list[dict]:
    """``[{"path", "speaker"}]``: up to ``per_speaker`` clips of every speaker (ids sorted). For a
    training corpus only its held-out split (the one recorded in ``training.options``) is used."""
    manifest = read_json(corpus / "manifest.json")
    records = load_metadata(corpus, repair=False)
    if manifest.get("kind") == "training" and manifest.get("texts") == "train":
        from vocoder.dataset import split_clips

        options = (training or {}).get("options", {})
        _, held = split_clips(records, corpus, holdout_fraction=options.get("holdout_fraction", 0.02),
                              holdout_speakers=tuple(options.get("holdout_speakers") or ()))
        held_ids = {Path(c.path).resolve() for c in held}
        records = {k: r for k, r in records.items() if (corpus / r["path"]).resolve() in held_ids}
    taken: dict[str, list[dict]] = defaultdict(list)
    for record in sorted(records.values(), key=lambda r: r["id"]):
        if len(taken[record["speaker"]]) < per_speaker:
            taken[record["speaker"]].append({"path": str(corpus / record["path"]), "speaker": record["speaker"]})
    return [clip for speaker in sorted(taken) for clip in taken[speaker]]


def score_clips(vocoders: dict, clips: list[dict], max_seconds: float = 10.0) -> list[dict]:
    """Per clip: ``{"clip", "speaker", "<figure> <name>"}`` for every vocoder and for
    Griffin-Lim (name ``griffin_lim``); the first ``max_seconds`` of each clip."""
    from tts_moe.audio import load_audio
    from vocoder.evaluate import compare

    out = []
    for clip in clips:
        row = {"clip": clip["path"], "speaker": clip["speaker"]}
        for index, (name, vocoder) in enumerate(vocoders.items()):
            rate = vocoder.config.mel_config.sample_rate
            audio = load_audio(clip["path"], rate)[: int(max_seconds * rate)]
            figures = compare(audio, vocoder, griffin_lim_too=index == 0)
            row.update({f"{k} {name}": figures[f"{k}_vocoder"] for k in FIGURES})
            if index == 0:
                row.update({f"{k} griffin_lim": figures[f"{k}_griffin_lim"] for k in FIGURES})
        out.append(row)
    return out


def _mean(values) -> float:
    kept = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(kept)) if kept else float("nan")


def summary_rows(label: str, scored: list[dict], names: list[str], with_goal: bool) -> list[Row]:
    """Mean figures of one corpus per vocoder (and Griffin-Lim), worst speaker's PESQ, and the
    goal verdict on mean PESQ when ``with_goal``."""
    rows = [Row(f"{label}: clips / speakers", f"{len(scored)} / {len({s['speaker'] for s in scored})}")]
    for name in [*names, "griffin_lim"]:
        pesq = _mean(s[f"pesq_wb {name}"] for s in scored)
        goal = with_goal and name != "griffin_lim"
        rows.append(Row(f"{label}: PESQ-wb {name}", round(pesq, 3), "", f">= {PESQ_GOAL}" if goal else "",
                        at_least(pesq, PESQ_GOAL) if goal else None))
        rows.append(Row(f"{label}: STOI {name}", round(_mean(s[f"stoi {name}"] for s in scored), 3)))
        rows.append(Row(f"{label}: mel L1 {name}", round(_mean(s[f"mel_l1 {name}"] for s in scored), 4)))
        by_speaker = per_speaker(scored, f"pesq_wb {name}")
        worst = min(by_speaker, key=by_speaker.get)
        rows.append(Row(f"{label}: worst speaker PESQ-wb {name}", f"{by_speaker[worst]:.3f} ({worst})"))
    rows += [Row(f"{label}: PESQ-wb {name} - {baseline} (per clip)", paired_difference(scored, "pesq_wb", name, baseline))
             for name in names[1:] for baseline in [_baseline(name, names)]]
    return rows


def _baseline(name: str, names: list[str]) -> str:
    """The vocoder ``name`` is compared with: the first one, in the same precision when both
    have a bf16 twin (``bench.vocoder --bf16`` labels them ``LABEL-bf16``)."""
    suffix = "-bf16" if name.endswith("-bf16") else ""
    twin = names[0] + suffix
    return twin if twin in names and twin != name else names[0]


def paired_difference(scored: list[dict], figure: str, name: str, baseline: str) -> str:
    """``"+0.085 (se 0.024, higher on 40 / 55 clips)"``: the mean per-clip difference of
    ``figure`` between ``name`` and ``baseline``, the standard error of that mean and how many
    clips ``name`` scores higher on. PESQ moves by ~0.16 per clip under output changes as small
    as a bf16 backbone, so a difference of means means little without its standard error."""
    pairs = [(row[f"{figure} {name}"], row[f"{figure} {baseline}"]) for row in scored]
    differences = np.array([a - b for a, b in pairs if a is not None and b is not None
                            and np.isfinite(a) and np.isfinite(b)])
    if not len(differences):
        return "n/a"
    se = differences.std(ddof=1) / np.sqrt(len(differences)) if len(differences) > 1 else float("nan")
    return f"{differences.mean():+.3f} (se {se:.3f}, higher on {int((differences > 0).sum())} / {len(differences)} clips)"


def per_speaker(scored: list[dict], key: str) -> dict[str, float]:
    """Mean of ``key`` per speaker."""
    groups: dict[str, list[float]] = defaultdict(list)
    for row in scored:
        groups[row["speaker"]].append(row[key])
    return {speaker: _mean(values) for speaker, values in sorted(groups.items())}
