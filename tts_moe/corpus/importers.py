"""``tts-moe corpus import``: turn an LJ Speech or VCTK dataset into a training corpus folder.

Source layouts::

    LJ Speech   SRC/metadata.csv                  ID|raw text|normalized text (UTF-8, no header;
                                                  without the third field the second is used)
                SRC/wavs/ID.wav                   22,050 Hz mono 16-bit; one speaker, "ljspeech"
    VCTK 0.92   SRC/txt/pXXX/pXXX_NNN.txt         one sentence per file; speaker "vctk-pXXX"
                SRC/wav48_silence_trimmed/pXXX/pXXX_NNN_mic1.flac   (mic2 when mic1 is absent)
    VCTK 0.80   SRC/txt/pXXX/pXXX_NNN.txt, SRC/wav48/pXXX/pXXX_NNN.wav

The output has the layout of ``tts-moe corpus build`` (style always ``neutral``)::

    OUT/audio/SPEAKER/neutral/TEXTID.flac   16 kHz mono FLAC PCM_16, trimmed and loudness-
                                            normalised like the builder (signal.process_clip)
    OUT/metadata.jsonl                      one record per clip (id SPEAKER__neutral__TEXTID)
    OUT/manifest.json                       kind "training", texts "train", source {format, path}

Clips whose id or text is one of the project's held-out LJ Speech sentences
(``ljspeech-text/test.txt`` and ``val.txt``) are never imported. Rerunning a command resumes:
clips already in ``metadata.jsonl`` are skipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tts_moe.corpus import metadata as meta
from tts_moe.errors import AudioError, InputError, OutputError, TextError

FORMATS = ("ljspeech", "vctk")
LANGUAGE = "en-us"
STYLE = "neutral"
PHONEMIZE_BATCH = 64  # sentences per espeak-ng call; also the unit of one metadata append
# VCTK audio folders, newest release first: (folder, file suffixes in order of preference)
VCTK_AUDIO = (("wav48_silence_trimmed", ("_mic1.flac", "_mic2.flac")), ("wav48", (".wav",)))


@dataclass(frozen=True)
class SourceClip:
    """One (text, audio file) pair of the source dataset."""

    speaker: str  # corpus speaker id: "ljspeech" or "vctk-pXXX"
    text_id: str  # the dataset's own clip id: "LJ001-0001", "p225_001"
    text: str
    audio: Path

    @property
    def id(self) -> str:
        return f"{self.speaker}__{STYLE}__{self.text_id}"

    @property
    def path(self) -> str:
        return f"audio/{self.speaker}/{STYLE}/{self.text_id}.flac"


@dataclass
class ImportReport:
    """What an import did. ``skipped``: reason -> source clip ids."""

    format: str
    source: str
    out: str
    imported: int = 0
    already_present: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)
    hours_imported: float = 0.0
    hours_in_corpus: float = 0.0
    speakers: list[str] = field(default_factory=list)
    training_refusal: str | None = None  # why require_training_corpus refuses OUT, if it does

    def skip(self, reason: str, clip_id: str) -> None:
        self.skipped.setdefault(reason, []).append(clip_id)

    def to_json(self) -> dict:
        data = {**self.__dict__}
        data["skipped"] = {reason: {"count": len(ids), "first": ids[:5]} for reason, ids in self.skipped.items()}
        return data


# ------------------------------------------------------------------------------- reading
def _one_line(text: str) -> str:
    return " ".join(text.split())


def _require_layout(src: Path, name: str, missing: list[str]) -> None:
    """Raise when ``missing`` (what the layout needs but ``src`` lacks) is not empty."""
    if missing:
        raise InputError(f"{src} is not in the {name} layout: {' and '.join(missing)} not found there")


def scan_ljspeech(src: Path, report: ImportReport) -> list[SourceClip]:
    """Clips of an LJ Speech folder; lines without audio and audio without a line go to ``report``."""
    csv, wavs = src / "metadata.csv", src / "wavs"
    _require_layout(src, "LJ Speech", [label for path, label in ((csv, "metadata.csv (ID|text|normalized text)"),
                                                                 (wavs, "wavs/ (ID.wav)")) if not path.exists()])
    clips, listed = [], set()
    for number, line in enumerate(csv.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) < 2:
            raise InputError(f"{csv}:{number}: expected 'ID|text|normalized text', got {line[:60]!r}")
        clip_id = fields[0].strip()
        text = fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]
        listed.add(clip_id)
        if (wavs / f"{clip_id}.wav").is_file():
            clips.append(SourceClip("ljspeech", clip_id, _one_line(text), wavs / f"{clip_id}.wav"))
        else:
            report.skip("missing_audio", clip_id)
    for wav in sorted(wavs.glob("*.wav")):
        if wav.stem not in listed:
            report.skip("missing_text", wav.stem)
    return clips


def scan_vctk(src: Path, report: ImportReport, speakers: list[str] | None = None) -> list[SourceClip]:
    """Clips of a VCTK 0.92 (flac, mic1 preferred) or 0.80 (wav48) folder, optionally only of
    ``speakers`` ("p225" or "vctk-p225"); unmatched texts and audio files go to ``report``."""
    audio_root, suffixes = next(((src / name, s) for name, s in VCTK_AUDIO if (src / name).is_dir()), (None, ()))
    missing = [] if (src / "txt").is_dir() else ["txt/ (pXXX/pXXX_NNN.txt)"]
    if audio_root is None:
        missing.append("wav48_silence_trimmed/ (VCTK 0.92) or wav48/ (VCTK 0.80)")
    _require_layout(src, "VCTK", missing)
    available = sorted({d.name for root in (src / "txt", audio_root) for d in root.iterdir() if d.is_dir()})
    wanted = available
    if speakers:
        wanted = list(dict.fromkeys(s.strip().removeprefix("vctk-") for s in speakers if s.strip()))
        unknown = [s for s in wanted if s not in available]
        if unknown:
            raise InputError(f"unknown VCTK speaker(s) {', '.join(unknown)}: {src} holds "
                             f"{', '.join(available) or 'no speakers'}")
    clips = []
    for name in wanted:
        texts = {p.stem: p for p in (src / "txt" / name).glob("*.txt")}
        audio: dict[str, Path] = {}
        for suffix in reversed(suffixes):  # preferred suffixes last, so they win
            audio.update({p.name[: -len(suffix)]: p for p in (audio_root / name).glob(f"*{suffix}")})
        for text_id in sorted(texts):
            if text_id in audio:
                sentence = _one_line(texts[text_id].read_text("utf-8", "replace"))
                clips.append(SourceClip(f"vctk-{name}", text_id, sentence, audio[text_id]))
            else:
                report.skip("missing_audio", text_id)
        for text_id in sorted(set(audio) - set(texts)):
            report.skip("missing_text", text_id)
    return clips


def drop_held_out(clips: list[SourceClip], report: ImportReport) -> list[SourceClip]:
    """``clips`` without the project's held-out LJ Speech sentences (test and val, by id or text)."""
    from tts_moe.corpus.texts import canonical, load_lj

    held = load_lj("test") + load_lj("val")
    held_ids, held_texts = {item.id for item in held}, {canonical(item.text) for item in held}
    kept = []
    for clip in clips:
        if clip.text_id in held_ids or canonical(clip.text) in held_texts:
            report.skip("held_out_text", clip.text_id)
        else:
            kept.append(clip)
    return kept


# ---------------------------------------------------------------------------- converting
def phonemize_clips(frontend, clips: list[SourceClip], report: ImportReport) -> list[tuple[SourceClip, str, str]]:
    """``(clip, normalized text, phonemes)`` of a batch, in one espeak-ng call when every text
    is pronounceable; texts with nothing to pronounce go to ``report``."""
    normalized = [_or_empty(frontend.normalize, clip.text).strip() for clip in clips]
    speakable = [text for text in normalized if text]
    try:
        phonemes = iter(frontend.phonemize(speakable) if speakable else [])
    except TextError:  # some text has nothing to pronounce: find it one by one
        phonemes = iter([_or_empty(lambda one: frontend.phonemize([one])[0], text) for text in speakable])
    out = []
    for clip, text in zip(clips, normalized):
        ipa = next(phonemes) if text else ""
        if ipa:
            out.append((clip, text, ipa))
        else:
            report.skip("nothing_to_pronounce", clip.text_id)
    return out


def _or_empty(convert: Callable[[str], str], text: str) -> str:
    """``convert(text)``, or "" when it raises TextError (nothing to pronounce)."""
    try:
        return convert(text)
    except TextError:
        return ""


def convert_audio(source: str, target: str, phonemes: str) -> dict | str:
    """Source file -> 16 kHz mono, trimmed, loudness-normalised FLAC at ``target`` (written to a
    temporary name, then renamed). Returns the record's audio fields, or why the source is
    unreadable. Runs in a worker process."""
    import soundfile

    from tts_moe.audio import SAMPLE_RATE, load_audio, write_audio
    from tts_moe.corpus.signal import measure, process_clip

    try:
        native_rate = soundfile.info(source).samplerate
        processed = process_clip(load_audio(source, SAMPLE_RATE))
    except (AudioError, RuntimeError, ValueError) as error:  # soundfile errors are RuntimeErrors
        return f"{type(error).__name__}: {error}"
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_audio(target, processed.audio, SAMPLE_RATE, format="flac", subtype="PCM_16")
    return {**measure(processed.audio, phonemes), "sample_rate": SAMPLE_RATE, "native_rate": native_rate,
            "trim_start": round(processed.trim_start_s, 4), "gain_db": round(processed.gain_db, 2),
            "peak_dbfs": round(processed.peak_dbfs, 2), "peak_limited": processed.peak_limited}


def _check_output(out: Path, format: str, src: Path) -> dict | None:
    """The manifest of an earlier import of the same source into ``out`` (None for a new folder)."""
    if (out / meta.MANIFEST).is_file():
        old = meta.read_json(out / meta.MANIFEST)
        source = old.get("source") or {}
        if old.get("kind") != "training" or source != {"format": format, "path": str(src)}:
            what = (f"an import of {source.get('format')} from {source.get('path')}" if source
                    else f"a {old.get('kind')!r} corpus of `tts-moe corpus build`")
            raise InputError(f"{out} holds {what}: refusing to mix {format} from {src} into it; use a new folder")
        return old
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} is not an empty folder and holds no {meta.MANIFEST}: choose a new or empty folder")
    return None


def _write_manifest(out: Path, format: str, src: Path, created: str, status: str) -> dict:
    records = meta.load_metadata(out).values()
    manifest = {
        "corpus_version": meta.CORPUS_VERSION, "kind": "training", "reserved": False, "texts": "train",
        "source": {"format": format, "path": str(src)},
        "speakers": [{"id": s, "language": LANGUAGE, "styles": [STYLE], "verified_styles": [STYLE]}
                     for s in sorted({r["speaker"] for r in records})],
        "styles": [STYLE], "sample_rate": 16000, "audio_format": "FLAC PCM_16 mono",
        "loudness": "active-speech RMS -23 dBFS per clip, peak <= -1 dBFS, silence trimmed to 30 ms",
        "held_out": "LJ Speech test.txt and val.txt sentences excluded (by id and text)",
        "created": created, "updated": datetime.now(timezone.utc).isoformat(), "status": status,
        "clips": len(records), "hours_built": round(sum(r["duration"] for r in records) / 3600, 4),
    }
    meta.atomic_write_json(out / meta.MANIFEST, manifest)
    return manifest


def import_corpus(format: str, src: str | Path, out: str | Path, *, limit: int | None = None,
                  speakers: list[str] | None = None, jobs: int = 2,
                  log: Callable[[str], None] = print) -> ImportReport:
    """Convert the dataset at ``src`` (layout ``format``) into the corpus folder ``out``."""
    from tts_moe.corpus.runner import worker_pool
    from tts_moe.text import TextFrontend

    if format not in FORMATS:
        raise InputError(f"unknown dataset format {format!r}: choose from {', '.join(FORMATS)}")
    if jobs < 1 or (limit is not None and limit < 1):
        raise InputError(f"--jobs and --limit must be at least 1, got {jobs} and {limit}")
    src, out = Path(src).expanduser().resolve(), Path(out)
    if not src.is_dir():
        raise InputError(f"dataset folder {src} {'is not a folder' if src.exists() else 'does not exist'}")
    if speakers and format == "ljspeech":
        raise InputError("--speakers applies to VCTK only: LJ Speech has a single speaker")
    report = ImportReport(format, str(src), str(out))
    clips = scan_ljspeech(src, report) if format == "ljspeech" else scan_vctk(src, report, speakers)
    clips = drop_held_out(sorted(clips, key=lambda c: c.id), report)[:limit]
    if not clips:
        reasons = ", ".join(f"{len(ids)} {reason}" for reason, ids in report.skipped.items()) or "no clips found"
        raise InputError(f"{src}: nothing to import ({reasons})")
    previous = _check_output(out, format, src)
    frontend = TextFrontend(LANGUAGE)  # before anything is written: fails when espeak-ng is missing
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {out}: {error.strerror}") from error
    created = (previous or {}).get("created") or datetime.now(timezone.utc).isoformat()
    _write_manifest(out, format, src, created, "importing")
    done = meta.load_metadata(out)
    todo = [clip for clip in clips if clip.id not in done]
    report.already_present = len(clips) - len(todo)
    pool = worker_pool(jobs) if jobs > 1 and todo else contextlib.nullcontext()
    with pool as executor, meta.MetadataAppender(out) as appender:
        run = executor.map if executor else map  # both keep the order of their inputs
        for start in range(0, len(todo), PHONEMIZE_BATCH):
            ready = phonemize_clips(frontend, todo[start: start + PHONEMIZE_BATCH], report)
            results = run(convert_audio, [str(c.audio) for c, _, _ in ready],
                          [str(out / c.path) for c, _, _ in ready], [ipa for _, _, ipa in ready])
            records = []
            for (clip, text, ipa), audio in zip(ready, results):
                if isinstance(audio, str):
                    report.skip("unreadable_audio", clip.text_id)
                    if len(report.skipped["unreadable_audio"]) <= 5:  # the report counts the rest
                        log(f"warning: skipped {clip.audio}: {audio}")
                    continue
                records.append({
                    "id": clip.id, "speaker": clip.speaker, "style": STYLE, "text_id": clip.text_id,
                    "text": clip.text, "normalized_text": text, "phonemes": ipa, "language": LANGUAGE,
                    **audio, "path": clip.path, "split": "train", "source": format,
                    "source_file": str(clip.audio.relative_to(src)), "timings": None,
                })
            appender.append(records)
            report.imported += len(records)
            report.hours_imported += sum(r["duration"] for r in records) / 3600
            log(f"{out}: {min(start + PHONEMIZE_BATCH, len(todo))}/{len(todo)} clips processed")
    incomplete = any(r in report.skipped for r in ("unreadable_audio", "nothing_to_pronounce"))
    manifest = _write_manifest(out, format, src, created, "incomplete" if incomplete else "complete")
    report.hours_in_corpus = manifest["hours_built"]
    report.speakers = [s["id"] for s in manifest["speakers"]]
    try:
        meta.require_training_corpus(out)
    except InputError as error:
        report.training_refusal = str(error)
    return report

