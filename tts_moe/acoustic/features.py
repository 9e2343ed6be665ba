"""Acoustic training features of a corpus, computed once and cached.

Per clip: log-mel ``(frames, 80)`` (the toolkit's :class:`~tts_moe.audio.MelConfig`, hop 256
at 16 kHz), log-F0 and voicing on the same frames (the corpus' own numpy YIN at 10 ms,
interpolated onto mel frame centres), frame energy (log L2 norm of the mel magnitudes) and
the phoneme ids of the clip's ``phonemes`` under the symbol table.

The cache is one safetensors file of concatenated arrays plus a JSON index (clip records and
offsets), kept in ``CACHE_DIR/<key>/`` where the key hashes the corpus metadata and the
feature settings, so a rebuilt corpus or a new mel setting never reuses stale features.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from tts_moe.audio import MelConfig, load_audio, log_mel
from tts_moe.corpus.metadata import METADATA, load_metadata
from tts_moe.corpus.signal import F0_HOP, SAMPLE_RATE as F0_RATE, f0_track
from tts_moe.errors import InputError, OutputError
from tts_moe.text.symbols import SymbolTable

FEATURE_VERSION = 1
INDEX = "index.json"
ARRAYS = "features.safetensors"


def frame_pitch(audio: np.ndarray, frames: int, hop: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Natural-log F0 ``(frames,)`` (interpolated through unvoiced gaps) and voicing ``(frames,)``
    at the centres of ``frames`` mel frames spaced ``hop`` samples apart."""
    if sample_rate != F0_RATE:
        raise InputError(f"F0 analysis runs at {F0_RATE} Hz, got audio at {sample_rate} Hz")
    f0, voiced = f0_track(audio)
    f0_times = np.arange(len(f0)) * (F0_HOP / F0_RATE)
    mel_times = np.arange(frames) * (hop / sample_rate)
    nearest = np.clip(np.rint(mel_times / (F0_HOP / F0_RATE)).astype(int), 0, len(f0) - 1)
    mel_voiced = voiced[nearest]
    if voiced.sum() >= 2:
        log_f0 = np.interp(mel_times, f0_times[voiced], np.log(f0[voiced]))
    else:
        log_f0 = np.zeros(frames)
    return log_f0.astype(np.float32), mel_voiced.astype(np.uint8)


def frame_energy(mel: np.ndarray) -> np.ndarray:
    """Log L2 norm of the mel magnitudes: ``(frames, n_mels)`` log-mel -> ``(frames,)``."""
    return (0.5 * np.log(np.exp(2.0 * mel.astype(np.float64)).sum(axis=1))).astype(np.float32)


def clip_features(path: str, phonemes: str, mel_config: MelConfig, symbols: SymbolTable) -> dict[str, np.ndarray]:
    """All features of one audio file (see module docstring)."""
    audio = load_audio(path, mel_config.sample_rate)
    mel = log_mel(audio, mel_config).T.numpy()  # (frames, n_mels)
    log_f0, voiced = frame_pitch(audio, mel.shape[0], mel_config.hop_length, mel_config.sample_rate)
    return {
        "mel": mel.astype(np.float16),
        "log_f0": log_f0,
        "voiced": voiced,
        "energy": frame_energy(mel),
        "ids": np.asarray(symbols.encode(phonemes), dtype=np.int16),
    }


def _worker(job: tuple[str, str, dict, str]) -> dict[str, np.ndarray] | str:
    path, phonemes, mel_dict, _ = job
    torch.set_num_threads(1)
    try:
        return clip_features(path, phonemes, MelConfig(**mel_dict), SymbolTable())
    except Exception as error:  # reported per clip; the cache build skips it
        return f"{type(error).__name__}: {error}"


def cache_key(corpus: Path, mel_config: MelConfig, symbols: SymbolTable) -> str:
    digest = hashlib.sha256()
    digest.update((corpus / METADATA).read_bytes())
    digest.update(json.dumps([FEATURE_VERSION, mel_config.to_dict(), symbols.version]).encode())
    return digest.hexdigest()[:16]


@dataclass
class FeatureSet:
    """Concatenated features of many clips; ``records[i]`` describes clip ``i``.

    Arrays: ``mel`` ``(total_frames, n_mels)`` fp16, ``log_f0``/``voiced``/``energy``
    ``(total_frames,)``, ``ids`` ``(total_phonemes,)``; ``frame_offsets``/``id_offsets``
    ``(clips + 1,)`` delimit each clip.
    """

    records: list[dict]
    arrays: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.records)

    def frames(self, index: int) -> int:
        o = self.arrays["frame_offsets"]
        return int(o[index + 1] - o[index])

    def phonemes(self, index: int) -> int:
        o = self.arrays["id_offsets"]
        return int(o[index + 1] - o[index])

    def clip(self, index: int) -> dict[str, np.ndarray]:
        f0, f1 = self.arrays["frame_offsets"][index: index + 2]
        i0, i1 = self.arrays["id_offsets"][index: index + 2]
        out = {k: self.arrays[k][f0:f1] for k in ("mel", "log_f0", "voiced", "energy")}
        out["ids"] = self.arrays["ids"][i0:i1]
        return out

    def subset(self, indices: list[int]) -> "FeatureSet":
        """A new set holding only ``indices`` (arrays copied)."""
        parts = [self.clip(i) for i in indices]
        return _concatenate([self.records[i] for i in indices], parts)


def _concatenate(records: list[dict], parts: list[dict[str, np.ndarray]]) -> FeatureSet:
    if not parts:
        raise InputError("no clips with usable features")
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in ("mel", "log_f0", "voiced", "energy", "ids")}
    arrays["frame_offsets"] = np.concatenate([[0], np.cumsum([len(p["mel"]) for p in parts])]).astype(np.int64)
    arrays["id_offsets"] = np.concatenate([[0], np.cumsum([len(p["ids"]) for p in parts])]).astype(np.int64)
    return FeatureSet(records, arrays)


RECORD_KEYS = ("id", "speaker", "style", "text_id", "language", "duration", "timings", "phonemes")


def build_features(corpus: str | os.PathLike, cache_dir: str | os.PathLike | None = None, *,
                   mel_config: MelConfig = MelConfig(), symbols: SymbolTable | None = None,
                   workers: int = 2, log=print) -> FeatureSet:
    """Features of every clip of ``corpus`` (cached; computed with ``workers`` processes)."""
    corpus = Path(corpus)
    symbols = symbols or SymbolTable()
    if not (corpus / METADATA).is_file():
        raise InputError(f"{corpus} has no {METADATA}: build it with `tts-moe corpus build`")
    folder = Path(cache_dir or corpus / ".cache" / "acoustic") / cache_key(corpus, mel_config, symbols)
    if (folder / INDEX).is_file() and (folder / ARRAYS).is_file():
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        return FeatureSet(index["records"], load_file(str(folder / ARRAYS)))
    records = sorted(load_metadata(corpus, repair=False).values(), key=lambda r: r["id"])
    if not records:
        raise InputError(f"{corpus} holds no clips")
    log(f"computing acoustic features of {len(records)} clips of {corpus} ({workers} workers)")
    jobs = [(str(corpus / r["path"]), r["phonemes"], mel_config.to_dict(), r["id"]) for r in records]
    kept_records, parts, failures = [], [], []
    with get_context("fork").Pool(workers) as pool:
        for record, result in zip(records, pool.imap(_worker, jobs, chunksize=16)):
            if isinstance(result, str):
                failures.append(f"{record['id']}: {result}")
                continue
            kept_records.append({k: record.get(k) for k in RECORD_KEYS})
            parts.append(result)
    if failures:
        log(f"skipped {len(failures)} clips with unusable audio or phonemes, e.g. {failures[0]}")
    features = _concatenate(kept_records, parts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{ARRAYS}.tmp"
        save_file(features.arrays, str(tmp))
        os.replace(tmp, folder / ARRAYS)
        (folder / f".{INDEX}.tmp").write_text(json.dumps({"records": kept_records, "failures": failures}),
                                               encoding="utf-8")
        os.replace(folder / f".{INDEX}.tmp", folder / INDEX)
    except OSError as error:
        raise OutputError(f"cannot write the feature cache in {folder}: {error}") from None
    return features
