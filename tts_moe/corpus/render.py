"""Worker side of a corpus build: render one batch of clips of one (speaker, style) cell.

:func:`render_unit` normalises the texts (``tts_moe.text.normalize_text``), phonemises them
with the speaker's language, has the teacher render the normalised text, trims and
loudness-normalises the audio, measures it, writes ``audio/SPEAKER/STYLE/ID.flac``
atomically and returns one metadata record per finished clip.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tts_moe.corpus.plan import ClipJob
from tts_moe.corpus.speakers import get_speaker

_PHONEMIZERS: dict = {}
_ENGINES: dict = {}


def init_worker() -> None:
    """Process-pool initializer: one thread per worker (the pool provides the parallelism)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import torch  # the audio module's resampler runs on torch; keep it to one thread

    torch.set_num_threads(1)


def _phonemizer(language: str):
    if language not in _PHONEMIZERS:
        from tts_moe.text import Phonemizer

        _PHONEMIZERS[language] = Phonemizer(language=language)
    return _PHONEMIZERS[language]


def _engine(name: str, data_root: str | None):
    key = (name, data_root)
    if key not in _ENGINES:
        from tts_moe.corpus.engines import get_engine

        _ENGINES[key] = get_engine(name, data_root)
    return _ENGINES[key]


@dataclass
class UnitResult:
    """Records of the finished clips and ``(clip id, message)`` of the failed ones."""

    records: list[dict] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    audio_seconds: float = 0.0
    worker_seconds: float = 0.0
    engine: str = ""


def render_unit(jobs: list[ClipJob], out_dir: str | None, data_root: str | None) -> UnitResult:
    """Render ``jobs`` (all of one speaker and style). ``out_dir=None``: probe mode, measure
    only (no audio written)."""
    from tts_moe.audio import SAMPLE_RATE, write_audio
    from tts_moe.corpus.signal import measure, process_clip
    from tts_moe.text import normalize_text

    started = time.perf_counter()
    speaker = get_speaker(jobs[0].speaker)
    style = jobs[0].style
    engine = _engine(speaker.engine, data_root)
    result = UnitResult(engine=speaker.engine)
    normalized: list[str] = []
    ready: list[ClipJob] = []
    for job in jobs:
        try:
            text = normalize_text(job.text).strip()
            if not text:
                raise ValueError("the text is empty after normalisation")
        except Exception as error:
            result.failures.append((job.id, f"text: {error}"))
            continue
        normalized.append(text)
        ready.append(job)
    if not ready:
        return result
    phonemes = _phonemizer(speaker.language).phonemize(normalized)
    settings = engine.settings(speaker, style)
    with tempfile.TemporaryDirectory(prefix="tts-moe-corpus-") as tmp:
        rendered = engine.render(speaker, style, normalized, Path(tmp))
    for job, text, ipa, clip in zip(ready, normalized, phonemes, rendered):
        if isinstance(clip, Exception):
            result.failures.append((job.id, f"{speaker.engine}: {clip}"))
            continue
        try:
            processed = process_clip(clip.audio)
            measures = measure(processed.audio, ipa)
            timings = None
            if clip.timings:
                end = measures["duration"]
                timings = [[phone, round(min(max(t - processed.trim_start_s, 0.0), end), 4)]
                           for phone, t in clip.timings]
            if out_dir is not None:
                (Path(out_dir) / job.path).parent.mkdir(parents=True, exist_ok=True)
                write_audio(Path(out_dir) / job.path, processed.audio, SAMPLE_RATE,
                            format="flac", subtype="PCM_16")
        except Exception as error:
            result.failures.append((job.id, f"post-processing: {error}"))
            continue
        result.audio_seconds += measures["duration"]
        result.records.append({
            "id": job.id,
            "speaker": job.speaker,
            "style": style,
            "engine": speaker.engine,
            "voice": speaker.voice,
            "settings": settings,
            "text_id": job.text_id,
            "text": job.text,
            "normalized_text": text,
            "phonemes": ipa,
            "language": speaker.language,
            **measures,
            "sample_rate": SAMPLE_RATE,
            "native_rate": clip.native_rate,
            "trim_start": round(processed.trim_start_s, 4),
            "gain_db": round(processed.gain_db, 2),
            "peak_dbfs": round(processed.peak_dbfs, 2),
            "peak_limited": processed.peak_limited,
            "path": job.path,
            "split": job.split,
            "source": job.source,
            "timings": timings,
        })
    result.worker_seconds = time.perf_counter() - started
    return result
