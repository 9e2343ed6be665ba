"""``tts-moe corpus stats``: hours and clips per speaker and style, and each cell's speaking
rate and F0 against the speaker's neutral, with the probe verdict of every style."""

from __future__ import annotations

from pathlib import Path

from tts_moe.corpus import metadata as meta
from tts_moe.corpus.verify import compare_to_neutral, group_cells


def corpus_stats(corpus: str | Path) -> dict:
    """Statistics of a corpus folder (reads manifest, metadata and cells.json)."""
    corpus = Path(corpus)
    manifest = meta.read_json(corpus / meta.MANIFEST)
    records = list(meta.load_metadata(corpus, repair=False).values())
    cells_file = corpus / meta.CELLS
    probe = meta.read_json(cells_file) if cells_file.is_file() else {}
    cells = group_cells(records)
    verdicts = {speaker: compare_to_neutral(styles) for speaker, styles in cells.items()}
    by_speaker: dict[str, dict] = {}
    by_style: dict[str, dict] = {}
    for record in records:
        for table, key in ((by_speaker, record["speaker"]), (by_style, record["style"])):
            entry = table.setdefault(key, {"clips": 0, "hours": 0.0})
            entry["clips"] += 1
            entry["hours"] += record["duration"] / 3600
    for table in (by_speaker, by_style):
        for entry in table.values():
            entry["hours"] = round(entry["hours"], 4)
    rows = []
    for speaker, styles in cells.items():
        for style, metrics in styles.items():
            neutral = styles.get("neutral", {})
            probe_verdict = probe.get("verdicts", {}).get(speaker, {}).get(style, {})
            corpus_verdict = verdicts[speaker].get(style, {})
            rows.append({
                "speaker": speaker,
                "style": style,
                **metrics,
                "rate_vs_neutral": _ratio(metrics.get("sec_per_phone"), neutral.get("sec_per_phone")),
                "f0_st_vs_neutral": _diff(metrics.get("f0_median_st"), neutral.get("f0_median_st")),
                "spread_vs_neutral": _ratio(metrics.get("f0_spread_st"), neutral.get("f0_spread_st")),
                "voiced_vs_neutral": _ratio(metrics.get("voiced_fraction"), neutral.get("voiced_fraction")),
                "check": corpus_verdict.get("check") or probe_verdict.get("check") or "baseline",
                "verified_probe": True if style == "neutral" else probe_verdict.get("verified"),
                "verified_corpus": True if style == "neutral" else corpus_verdict.get("verified"),
            })
    dropped = {s["id"]: [st for st in manifest.get("styles", []) if st in s.get("styles", [])
                         and st not in s.get("verified_styles", [])]
               for s in manifest.get("speakers", [])}
    return {
        "corpus": str(corpus),
        "kind": manifest.get("kind"),
        "reserved": manifest.get("reserved"),
        "texts": manifest.get("texts"),
        "status": manifest.get("status"),
        "seed": manifest.get("seed"),
        "hours_requested": manifest.get("hours_requested"),
        "clips_per_cell": manifest.get("clips_per_cell"),
        "clips": len(records),
        "hours": round(sum(r["duration"] for r in records) / 3600, 4),
        "speakers": by_speaker,
        "styles": by_style,
        "cells": rows,
        "dropped_styles": {k: v for k, v in dropped.items() if v},
    }


def _ratio(value, base):
    return round(value / base, 3) if value is not None and base else None


def _diff(value, base):
    return round(value - base, 2) if value is not None and base is not None else None


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_stats(stats: dict) -> str:
    """Human-readable tables."""
    lines = [
        f"corpus {stats['corpus']}: {stats['kind']} ({'RESERVED voices' if stats['reserved'] else 'training voices'}),"
        f" texts={stats['texts']}, status={stats['status']}, seed={stats['seed']}",
        f"{stats['clips']} clips, {stats['hours']:.3f} h ("
        + (f"requested {stats['hours_requested']} h)" if stats["hours_requested"] else
           f"{stats['clips_per_cell']} clips per cell)"),
        "",
        f"{'speaker':28} {'clips':>6} {'hours':>8}",
    ]
    for name, entry in sorted(stats["speakers"].items()):
        lines.append(f"{name:28} {entry['clips']:6d} {entry['hours']:8.3f}")
    lines += ["", f"{'style':28} {'clips':>6} {'hours':>8}"]
    for name, entry in sorted(stats["styles"].items()):
        lines.append(f"{name:28} {entry['clips']:6d} {entry['hours']:8.3f}")
    lines += ["", f"{'speaker':26} {'style':9} {'clips':>5} {'s/phone':>7} {'x neu':>6} {'F0 Hz':>6}"
              f" {'dst':>6} {'spread':>6} {'x neu':>6} {'voiced':>6} {'probe':>5} {'corpus':>6}"]
    for row in stats["cells"]:
        lines.append(
            f"{row['speaker']:26} {row['style']:9} {row['clips']:5d} {_fmt(row['sec_per_phone'], '.4f'):>7}"
            f" {_fmt(row['rate_vs_neutral'], '.2f'):>6} {_fmt(row['f0_median'], '.0f'):>6}"
            f" {_fmt(row['f0_st_vs_neutral'], '+.1f'):>6} {_fmt(row['f0_spread_st'], '.2f'):>6}"
            f" {_fmt(row['spread_vs_neutral'], '.2f'):>6} {_fmt(row['voiced_fraction'], '.2f'):>6}"
            f" {_yes(row['verified_probe']):>5} {_yes(row['verified_corpus']):>6}"
        )
    lines.append("(s/phone: seconds per phoneme; dst: F0 median change in semitones vs neutral; spread:"
                 " robust F0 std in semitones; probe/corpus: style check passed on the probe"
                 " sentences / on the built clips)")
    if stats["dropped_styles"]:
        lines.append("dropped (unverified) styles: " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in stats["dropped_styles"].items()))
    return "\n".join(lines)


def _yes(value) -> str:
    return "-" if value is None else ("yes" if value else "NO")
