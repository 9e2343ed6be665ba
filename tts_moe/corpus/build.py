"""``tts-moe corpus build``: render a teacher corpus folder, resumably and in parallel.

Folder layout::

    OUT_DIR/manifest.json        corpus version, kind (training/reserved), speakers, styles,
                                 text sources, seed, hours requested/built, tool versions
    OUT_DIR/metadata.jsonl       one JSON object per clip
    OUT_DIR/cells.json           per (speaker, style) measurements, probe and corpus
    OUT_DIR/audio/SPEAKER/STYLE/TEXTID.flac   16 kHz mono 16-bit FLAC
    OUT_DIR/.teachers/           private espeak-ng data (whisper variants)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tts_moe.corpus import metadata as meta
from tts_moe.corpus.dependencies import check_teachers, tool_versions
from tts_moe.corpus.engines import get_engine
from tts_moe.corpus.plan import WEIGHTING, ClipJob, make_plan, work_units
from tts_moe.corpus.render import UnitResult
from tts_moe.corpus.runner import run_units, worker_pool
from tts_moe.corpus.speakers import Speaker, select_speakers
from tts_moe.corpus.styles import parse_styles
from tts_moe.corpus.texts import TextItem, assert_no_test_text, load_texts
from tts_moe.corpus.verify import PROBE_TEXTS, compare_to_neutral, group_cells
from tts_moe.errors import InputError, OutputError


@dataclass
class BuildOptions:
    out_dir: Path
    hours: float | None = None
    clips_per_cell: int | None = None
    speakers: str | None = "training"
    styles: str | None = None
    texts: str = "train"
    jobs: int = 2
    seed: int = 0
    batch_size: int = 8
    progress: bool | None = None
    log: Callable[[str], None] = print


@dataclass
class BuildReport:
    """What a build did. ``per_engine``: engine -> clips, audio seconds, worker seconds."""

    planned: int = 0
    skipped: int = 0
    rendered: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    probe_seconds: float = 0.0
    per_engine: dict[str, dict[str, float]] = field(default_factory=dict)
    dropped_styles: dict[str, list[str]] = field(default_factory=dict)
    hours_built: float = 0.0


def _check_folder(out: Path, kind: str, texts: str, seed: int) -> dict | None:
    """The existing manifest (when resuming) after checking it is compatible."""
    manifest_path = out / meta.MANIFEST
    if manifest_path.is_file():
        old = meta.read_json(manifest_path)
        for key, value in (("kind", kind), ("texts", texts), ("seed", seed)):
            if old.get(key) != value:
                raise InputError(
                    f"{out} holds a corpus with {key}={old.get(key)!r}, but this build asks for "
                    f"{key}={value!r}: use a new folder (reserved and training voices, and "
                    "different text splits or seeds, never share a corpus folder)"
                )
        return old
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} is not an empty folder and holds no {meta.MANIFEST}: choose a new or empty folder")
    return None


def _probe(executor, speakers: tuple[Speaker, ...], cells: dict[str, tuple[str, ...]],
           out: Path, data_root: str | None, options: BuildOptions) -> dict:
    """Render the probe sentences per cell (reusing matching earlier probes); return the
    ``cells.json`` content with verdicts."""
    path = out / meta.CELLS
    old = meta.read_json(path) if path.is_file() else {}
    old_probe = old.get("probe", {}) if old.get("probe_texts") == list(PROBE_TEXTS) else {}
    by_id = {s.id: s for s in speakers}
    probe: dict[str, dict[str, dict]] = {}
    todo: list[list[ClipJob]] = []
    for speaker_id, styles in cells.items():
        speaker = by_id[speaker_id]
        engine = get_engine(speaker.engine, data_root)
        for style in dict.fromkeys(("neutral", *styles)):
            settings = engine.settings(speaker, style)
            earlier = old_probe.get(speaker_id, {}).get(style)
            if earlier and earlier.get("settings") == settings:
                probe.setdefault(speaker_id, {})[style] = earlier
                continue
            todo.append([ClipJob(f"{speaker_id}__{style}__probe-{i}", speaker_id, style,
                                 f"probe-{i}", text, "probe", "probe")
                         for i, text in enumerate(PROBE_TEXTS)])
    records: list[dict] = []
    failures: list[tuple[str, str]] = []

    def collect(result: UnitResult) -> None:
        records.extend(result.records)
        failures.extend(result.failures)

    run_units(executor, todo, out_dir=None, data_root=data_root, on_result=collect,
              progress=options.progress, description="probing styles", in_flight=2 * options.jobs)
    for speaker_id, styles in group_cells(records).items():
        for style, metrics in styles.items():
            settings = next(r["settings"] for r in records
                            if r["speaker"] == speaker_id and r["style"] == style)
            probe.setdefault(speaker_id, {})[style] = {**metrics, "settings": settings}
    for clip_id, message in failures:
        options.log(f"warning: probe {clip_id} failed: {message}")
    verdicts = {speaker_id: compare_to_neutral(styles) for speaker_id, styles in probe.items()}
    data = {"probe_texts": list(PROBE_TEXTS), "probe": probe, "verdicts": verdicts,
            "corpus": old.get("corpus", {})}
    meta.atomic_write_json(path, data)
    return data


def build_corpus(options: BuildOptions) -> BuildReport:
    """Plan, probe, render and record a corpus (see the module docstring)."""
    started = time.perf_counter()
    report = BuildReport()
    out = Path(options.out_dir)
    speakers, reserved = select_speakers(options.speakers)
    styles = parse_styles(options.styles)
    kind = "reserved" if reserved else "training"
    requested = {s.id: tuple(st for st in styles if st in s.styles) for s in speakers}
    requested = {k: v for k, v in requested.items() if v}
    if not requested:
        raise InputError(f"none of the chosen speakers supports the styles {', '.join(styles)}")
    speakers = tuple(s for s in speakers if s.id in requested)
    previous = _check_folder(out, kind, options.texts, options.seed)
    check_teachers(speakers)  # before anything is written or rendered
    texts, sources = load_texts(options.texts)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {out}: {error.strerror}") from error

    data_root = None
    whisper_variants = [s.voice.split("+", 1)[1] for s in speakers
                        if s.engine == "espeak" and "whisper" in requested[s.id]]
    if whisper_variants:
        from tts_moe.corpus.engines.espeak import prepare_data_root

        data_root = str(prepare_data_root(out / ".teachers" / "espeak", whisper_variants))

    with worker_pool(options.jobs) as executor:
        probe_started = time.perf_counter()
        cells_data = _probe(executor, speakers, requested, out, data_root, options)
        report.probe_seconds = time.perf_counter() - probe_started
        verified: dict[str, tuple[str, ...]] = {}
        for speaker_id, styles_wanted in requested.items():
            verdicts = cells_data["verdicts"].get(speaker_id, {})
            keep = tuple(st for st in styles_wanted
                         if st == "neutral" or verdicts.get(st, {}).get("verified"))
            dropped = [st for st in styles_wanted if st not in keep]
            if dropped:
                report.dropped_styles[speaker_id] = dropped
                options.log(f"{speaker_id}: dropping unverified style(s) {', '.join(dropped)}")
            if keep:
                verified[speaker_id] = keep
        # rounded so that tiny float differences between machines cannot change the plan
        rates = {(spk, st): round(m["sec_per_char"], 4) for spk, cell in cells_data["probe"].items()
                 for st, m in cell.items() if m.get("sec_per_char")}
        plan = make_plan(texts, verified, split=options.texts, seed=options.seed,
                         hours=options.hours, clips_per_cell=options.clips_per_cell,
                         sec_per_char=rates)
        if options.texts == "train":
            assert_no_test_text([TextItem(j.text_id, j.text, j.source) for j in plan])
        done = meta.load_metadata(out)
        todo = [job for job in plan if job.id not in done]
        report.planned, report.skipped = len(plan), len(plan) - len(todo)

        manifest = {
            "corpus_version": meta.CORPUS_VERSION,
            "kind": kind,
            "reserved": reserved,
            "speaker_set": options.speakers or "training",
            "speakers": [{**s.to_json(), "verified_styles": list(verified.get(s.id, ()))}
                         for s in speakers],
            "styles": list(styles),
            "texts": options.texts,
            "text_sources": sources,
            "seed": options.seed,
            "hours_requested": options.hours,
            "clips_per_cell": options.clips_per_cell,
            "weighting": WEIGHTING,
            "sample_rate": 16000,
            "audio_format": "FLAC PCM_16 mono",
            "loudness": "active-speech RMS -23 dBFS per clip, peak <= -1 dBFS, silence trimmed to 30 ms",
            "tool_versions": tool_versions({s.engine for s in speakers}),
            "created": (previous or {}).get("created") or datetime.now(timezone.utc).isoformat(),
            "status": "building",
            "clips_planned": len(plan),
        }
        meta.atomic_write_json(out / meta.MANIFEST, manifest)

        with meta.MetadataAppender(out) as appender:
            def collect(result: UnitResult) -> None:
                appender.append(result.records)
                report.rendered += len(result.records)
                report.failed.extend(result.failures)
                report.audio_seconds += result.audio_seconds
                engine = report.per_engine.setdefault(
                    result.engine, {"clips": 0, "audio_seconds": 0.0, "worker_seconds": 0.0})
                engine["clips"] += len(result.records)
                engine["audio_seconds"] += result.audio_seconds
                engine["worker_seconds"] += result.worker_seconds

            run_units(executor, work_units(todo, options.batch_size), out_dir=str(out),
                      data_root=data_root, on_result=collect, progress=options.progress,
                      in_flight=2 * options.jobs)

    records = meta.load_metadata(out)
    planned_ids = {job.id for job in plan}
    in_plan = [r for r in records.values() if r["id"] in planned_ids]
    corpus_cells = group_cells(list(records.values()))
    cells_data["corpus"] = {
        "cells": corpus_cells,
        "verdicts": {spk: compare_to_neutral(st) for spk, st in corpus_cells.items()},
    }
    meta.atomic_write_json(out / meta.CELLS, cells_data)
    report.hours_built = sum(r["duration"] for r in records.values()) / 3600
    manifest.update(
        status="complete" if len(in_plan) == len(plan) else "incomplete",
        clips=len(records),
        clips_missing=len(plan) - len(in_plan),
        hours_built=round(report.hours_built, 4),
        updated=datetime.now(timezone.utc).isoformat(),
    )
    meta.atomic_write_json(out / meta.MANIFEST, manifest)
    for clip_id, message in report.failed[:10]:
        options.log(f"warning: {clip_id} failed: {message}")
    report.wall_seconds = time.perf_counter() - started
    return report


def report_json(report: BuildReport) -> str:
    data = {**report.__dict__, "failed": [list(f) for f in report.failed]}
    return json.dumps(data, indent=2)
