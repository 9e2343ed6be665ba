"""Copy-synthesis quality of vocoders, per corpus and per speaker, with Griffin-Lim beside.

Each clip's log-mel (``tts_moe.audio.log_mel``) goes through every vocoder under test and
through Griffin-Lim (the floor), and the result is scored against the clip: PESQ (wide
band), STOI and log-mel L1 (``vocoder.evaluate.compare``), and figures that do not depend on
where each pulse falls (:func:`timing_free_figures`; optionally DNSMOS). Corpora:

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
TIMING_FREE = ("mcd_db", "f0_rmse_cents", "gross_pitch_error", "voicing_decision_error")
FIGURES = ("pesq_wb", "stoi", "mel_l1", *TIMING_FREE)


def timing_free_figures(output: np.ndarray, reference: np.ndarray, sample_rate: int = 16_000) -> dict:
    """Figures that do not depend on where each pulse falls (``bench.vocoder_drift``: PESQ-wb
    does, strongly, on these strictly periodic voices): MCD-DTW (dB), F0 RMSE (cents), gross
    pitch error (share of frames off by over 20 %: YIN's octave slips, which dominate the RMSE)
    and voicing decision error of ``output`` against ``reference`` (:func:`bench.speech_metrics.compare`,
    clips ``(samples,)`` at ``sample_rate``); None where there is nothing to compare (no voiced
    frame; a silent or non-finite output)."""
    from bench.speech_metrics import compare_figures

    figures = compare_figures(reference, output, TIMING_FREE, sample_rate)
    return {key: figures.get(key) for key in TIMING_FREE}


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


def _with_dnsmos(output: np.ndarray, reference: np.ndarray, sample_rate: int = 16_000) -> dict:
    """:func:`timing_free_figures` plus DNSMOS overall of ``output`` (reference-free)."""
    from bench._judges import dnsmos

    return {**timing_free_figures(output, reference, sample_rate), "dnsmos": dnsmos(output, sample_rate)["ovrl"]}


def score_clips(vocoders: dict, clips: list[dict], max_seconds: float = 10.0, with_dnsmos: bool = False) -> list[dict]:
    """Per clip: ``{"clip", "speaker", "<figure> <name>"}`` for every vocoder and for
    Griffin-Lim (name ``griffin_lim``); the first ``max_seconds`` of each clip. ``with_dnsmos``
    adds ``"dnsmos <name>"`` and the teacher clip's own ``"dnsmos teacher"``."""
    from tts_moe.audio import load_audio
    from vocoder.evaluate import compare

    figures_of = (*FIGURES, "dnsmos") if with_dnsmos else FIGURES
    out = []
    for clip in clips:
        row = {"clip": clip["path"], "speaker": clip["speaker"]}
        for index, (name, vocoder) in enumerate(vocoders.items()):
            rate = vocoder.config.mel_config.sample_rate
            audio = load_audio(clip["path"], rate)[: int(max_seconds * rate)]
            figures = compare(audio, vocoder, griffin_lim_too=index == 0,
                              extra=_with_dnsmos if with_dnsmos else timing_free_figures)
            row.update({f"{k} {name}": figures[f"{k}_vocoder"] for k in figures_of})
            if index == 0:
                row.update({f"{k} griffin_lim": figures[f"{k}_griffin_lim"] for k in figures_of})
                if with_dnsmos:
                    from bench._judges import dnsmos

                    row["dnsmos teacher"] = dnsmos(audio, rate)["ovrl"]
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
        for key, text, unit, digits in (("mcd_db", "MCD-DTW", "dB", 3), ("f0_rmse_cents", "F0 RMSE", "cents", 1),
                                        ("gross_pitch_error", "gross pitch error", "", 4),
                                        ("voicing_decision_error", "voicing error", "", 4)):
            rows.append(Row(f"{label}: {text} {name}", round(_mean(s.get(f"{key} {name}") for s in scored), digits), unit))
        if f"dnsmos {name}" in scored[0]:
            rows.append(Row(f"{label}: DNSMOS overall {name}", round(_mean(s[f"dnsmos {name}"] for s in scored), 3)))
        by_speaker = per_speaker(scored, f"pesq_wb {name}")
        worst = min(by_speaker, key=by_speaker.get)
        rows.append(Row(f"{label}: worst speaker PESQ-wb {name}", f"{by_speaker[worst]:.3f} ({worst})"))
    if "dnsmos teacher" in scored[0]:
        rows.append(Row(f"{label}: DNSMOS overall teacher clips", round(_mean(s["dnsmos teacher"] for s in scored), 3)))
    rows += [Row(f"{label}: {text} {name} - {baseline} (per clip{note})", paired_difference(scored, key, name, baseline))
             for name in names[1:] for baseline in [_baseline(name, names)]
             for key, text, note in (("pesq_wb", "PESQ-wb", ""), ("mcd_db", "MCD-DTW", "; lower is better"))]
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
    pairs = [(row.get(f"{figure} {name}"), row.get(f"{figure} {baseline}")) for row in scored]
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
