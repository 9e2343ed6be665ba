"""Training data: random fixed-length segments of (log-mel, audio) from a corpus folder.

A corpus folder is what ``tts-moe corpus build`` writes: ``metadata.jsonl`` with one record
per clip (``id``, ``speaker``, ``path`` relative to the folder, ...) and the audio under
``audio/SPEAKER/STYLE/ID.flac``. Audio goes through :func:`tts_moe.audio.load_audio`; mels
are :func:`tts_moe.audio.log_mel` of the WHOLE clip, sliced per segment, so that a folder of
predicted mels (one file per clip, same frames) can replace them one for one:

    MEL_DIR/ID.npy                 float array (n_mels, frames), or
    MEL_DIR/ID.safetensors         with a tensor named "mel" of that shape,

where ``frames`` is the clip's ``samples // hop + 1`` (a difference of up to
``MAX_FRAME_MISMATCH`` frames is cropped away; more is an error).

Batches are a pure function of ``(seed, step)``, so a resumed run sees exactly the batches an
uninterrupted run would have seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from tts_moe.audio import MelConfig, load_audio, log_mel
from tts_moe.corpus.metadata import load_metadata, require_training_corpus
from tts_moe.errors import InputError
from vocoder.harmonic import LOG_F0_MEAN

MAX_FRAME_MISMATCH = 2
PCM_SCALE = 32768
PITCH_ANALYSIS = "yin-v1"  # bump when frame_pitch changes, so saved tracks are recomputed


@dataclass(frozen=True)
class Clip:
    id: str
    speaker: str
    path: Path


def split_clips(records: dict[str, dict], corpus: Path, *, holdout_fraction: float = 0.02,
                holdout_speakers: tuple[str, ...] = (), minimum_holdout: int = 1
                ) -> tuple[list[Clip], list[Clip]]:
    """(train, held_out): held out are all clips of ``holdout_speakers`` plus the clips
    whose id hashes into the lowest ``holdout_fraction`` (stable across runs and machines)."""
    clips = sorted((Clip(r["id"], r.get("speaker", ""), corpus / r["path"]) for r in records.values()),
                   key=lambda c: c.id)
    def bucket(clip: Clip) -> float:
        return int(hashlib.sha1(clip.id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    held = [c for c in clips if c.speaker in holdout_speakers or bucket(c) < holdout_fraction]
    if len(held) < minimum_holdout and len(clips) > minimum_holdout:
        held = sorted(clips, key=bucket)[:minimum_holdout]
    held_ids = {c.id for c in held}
    return [c for c in clips if c.id not in held_ids], held


def load_corpus_clips(corpus: str | os.PathLike, **split) -> tuple[list[Clip], list[Clip], dict]:
    """Train/held-out clips of a training corpus plus its manifest (refuses reserved corpora)."""
    corpus = Path(corpus)
    manifest = require_training_corpus(corpus)
    records = load_metadata(corpus, repair=False)
    if not records:
        raise InputError(f"{corpus} holds no clips (metadata.jsonl missing or empty)")
    train, held = split_clips(records, corpus, **split)
    if not train:
        raise InputError(f"{corpus}: no training clips left after holding out {len(held)}")
    return train, held, manifest


def load_predicted_mel(mel_dir: Path, clip_id: str, n_mels: int) -> torch.Tensor | None:
    """The predicted mel ``(n_mels, frames)`` of ``clip_id`` or None when there is none."""
    npy, st = mel_dir / f"{clip_id}.npy", mel_dir / f"{clip_id}.safetensors"
    if npy.is_file():
        try:
            mel = torch.from_numpy(np.load(npy, allow_pickle=False).astype(np.float32))
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read predicted mel {npy}: {error}") from None
    elif st.is_file():
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            tensors = load_file(str(st))
        except (OSError, SafetensorError) as error:
            raise InputError(f"cannot read predicted mel {st}: {error}") from None
        if "mel" not in tensors:
            raise InputError(f"{st} has no tensor named 'mel' (found {sorted(tensors)})")
        mel = tensors["mel"].float()
    else:
        return None
    if mel.ndim != 2 or mel.shape[0] != n_mels or not torch.isfinite(mel).all():
        raise InputError(f"predicted mel of {clip_id} must be finite (n_mels={n_mels}, frames), "
                         f"got shape {tuple(mel.shape)}")
    return mel


class SegmentDataset:
    """Random ``(mel, audio)`` segments: mel ``(batch, n_mels, frames)``, audio
    ``(batch, frames * hop)``; clips shorter than a segment are padded (audio with zeros,
    mel with the log floor). Loaded clips are kept in a memory cache of ``cache_mb`` as fp16
    mels and 16-bit audio (10 h of corpus: about 1.5 GB)."""

    def __init__(self, clips: list[Clip], mel_config: MelConfig, segment_frames: int, *,
                 mel_dir: str | os.PathLike | None = None, allow_missing_mels: bool = False,
                 cache_mb: float = 2048.0):
        if not clips:
            raise InputError("no clips to train on")
        self.clips, self.mel_config, self.segment_frames = clips, mel_config, segment_frames
        self.mel_dir = Path(mel_dir) if mel_dir else None
        if self.mel_dir and not self.mel_dir.is_dir():
            raise InputError(f"predicted-mel folder not found: {self.mel_dir}")
        self.allow_missing_mels = allow_missing_mels
        if self.mel_dir and not allow_missing_mels:
            missing = [c.id for c in clips if not (self.mel_dir / f"{c.id}.npy").is_file()
                       and not (self.mel_dir / f"{c.id}.safetensors").is_file()]
            if missing:
                raise InputError(
                    f"{len(missing)} of {len(clips)} clips have no predicted mel in {self.mel_dir} "
                    f"(e.g. {', '.join(missing[:3])}): add ID.npy/ID.safetensors files or pass "
                    "--allow-missing-mels to use computed mels for those"
                )
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._cache_bytes, self._cache_limit = 0, int(cache_mb * 2**20)
        self._pitch: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._pitch_unverified: set[str] = set()  # ids whose track came from load_pitch, not yet checked

    def clip_features(self, clip: Clip) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mel (n_mels, frames), audio (frames * hop,))`` of a whole clip (cached)."""
        if clip.id in self._cache:
            self._cache.move_to_end(clip.id)
            mel, audio = self._cache[clip.id]
            return mel.float(), audio.float() / PCM_SCALE
        cfg = self.mel_config
        audio = torch.from_numpy(load_audio(clip.path, cfg.sample_rate, allow_silent=True))
        if audio.numel() <= cfg.n_fft // 2:
            audio = torch.nn.functional.pad(audio, (0, cfg.n_fft // 2 + 1 - audio.numel()))
        mel = None
        if self.mel_dir is not None:
            mel = load_predicted_mel(self.mel_dir, clip.id, cfg.n_mels)
        computed = cfg.frames(audio.numel())
        if mel is None:
            mel = log_mel(audio, cfg)
        elif abs(mel.shape[1] - computed) > MAX_FRAME_MISMATCH:
            raise InputError(
                f"predicted mel of {clip.id} has {mel.shape[1]} frames but its audio has "
                f"{computed} (samples // {cfg.hop_length} + 1): the files are not aligned"
            )
        frames = min(mel.shape[1], computed)
        mel = mel[:, :frames].contiguous()
        target = frames * cfg.hop_length
        audio = torch.nn.functional.pad(audio, (0, max(0, target - audio.numel())))[:target]
        # cached compactly (fp16 mel, 16-bit audio: exact for the corpus' PCM_16 FLAC), and
        # always returned from that form, so a clip's features never depend on cache state
        stored = (mel.half(), (audio * PCM_SCALE).round().clamp(-PCM_SCALE, PCM_SCALE - 1).short())
        self._cache[clip.id] = stored
        self._cache_bytes += 2 * (mel.numel() + audio.numel())
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, (old_mel, old_audio) = self._cache.popitem(last=False)
            self._cache_bytes -= 2 * (old_mel.numel() + old_audio.numel())
        return stored[0].float(), stored[1].float() / PCM_SCALE

    def segments(self, seed: int, step: int, batch_size: int) -> list[tuple[Clip, int]]:
        """The ``(clip, first frame)`` of every segment of the batch for ``step`` (a start of
        0 for clips shorter than a segment)."""
        rng = np.random.default_rng([seed, step])
        picks = rng.integers(0, len(self.clips), size=batch_size)
        draws = rng.random(batch_size)
        out = []
        for index, draw in zip(picks, draws):
            clip = self.clips[int(index)]
            frames = self.clip_features(clip)[0].shape[1]
            out.append((clip, int(draw * (frames - self.segment_frames + 1)) if frames >= self.segment_frames else 0))
        return out

    def batch(self, seed: int, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch for ``step``: ``(mel (batch, n_mels, seg), audio (batch, seg * hop))``."""
        mels, audios = [], []
        seg, hop, floor = self.segment_frames, self.mel_config.hop_length, np.log(self.mel_config.log_floor)
        for clip, start in self.segments(seed, step, batch_size):
            mel, audio = self.clip_features(clip)
            frames = mel.shape[1]
            if frames < seg:
                mel = torch.nn.functional.pad(mel, (0, seg - frames), value=float(floor))
                audio = torch.nn.functional.pad(audio, (0, (seg - frames) * hop))
            mels.append(mel[:, start : start + seg])
            audios.append(audio[start * hop : (start + seg) * hop])
        return torch.stack(mels), torch.stack(audios)

    def clip_pitch(self, clip: Clip) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log_f0, voiced)``, float32 ``(frames,)`` on the clip's mel frames: the corpus'
        YIN track (:func:`tts_moe.acoustic.features.frame_pitch`, natural-log F0 interpolated
        through unvoiced frames), computed on first use (~30 ms a clip, the bulk of a cold
        batch) and kept (8 bytes a frame); see :meth:`save_pitch`."""
        if clip.id in self._pitch_unverified:  # loaded from a file: check it still fits the clip once
            self._pitch_unverified.discard(clip.id)
            if self._pitch[clip.id][0].numel() != self.clip_features(clip)[0].shape[1]:
                del self._pitch[clip.id]
        if clip.id not in self._pitch:
            from tts_moe.acoustic.features import frame_pitch

            mel, audio = self.clip_features(clip)
            cfg = self.mel_config
            log_f0, voiced = frame_pitch(audio.numpy(), mel.shape[1], cfg.hop_length, cfg.sample_rate)
            if not voiced.any() or not log_f0.any():  # frame_pitch returns zeros when it found no track
                log_f0, voiced = np.full_like(log_f0, LOG_F0_MEAN), np.zeros_like(voiced)
            self._pitch[clip.id] = (torch.from_numpy(log_f0), torch.from_numpy(voiced.astype(np.float32)))
        return self._pitch[clip.id]

    def clips_without_pitch(self) -> list[Clip]:
        """The clips whose track is neither computed nor loaded yet (what a YIN pass would do)."""
        return [clip for clip in self.clips if clip.id not in self._pitch]

    def save_pitch(self, path: str | os.PathLike, *, keep_others: bool = False) -> int:
        """Write every pitch track computed so far to ``path`` (npz, written atomically) with
        the mel analysis and pitch analysis they belong to and each audio file's size and
        modification time, so a later run skips the YIN pass; returns the number of clips
        written. With ``keep_others`` (a cache shared by several runs), the file's tracks of
        clips outside this dataset (e.g. another run's held-out split) are kept."""
        by_id = {clip.id: clip for clip in self.clips}
        ids = sorted(i for i in self._pitch if i in by_id)
        entries = [(i, _file_stamp(by_id[i].path), *self._pitch[i]) for i in ids]
        if keep_others:
            entries += [entry for entry in self._read_pitch_file(path) if entry[0] not in by_id]
        path = Path(path)
        partial = path.with_name(f".{path.name}.tmp")
        try:
            with open(partial, "wb") as handle:
                np.savez(handle, ids=np.array([e[0] for e in entries], dtype=str), analysis=self._pitch_analysis(),
                         stamps=np.array([e[1] for e in entries], dtype=str),
                         lengths=np.array([e[2].numel() for e in entries], dtype=np.int64),
                         log_f0=torch.cat([e[2] for e in entries]).numpy() if entries else np.zeros(0, np.float32),
                         voiced=torch.cat([e[3] for e in entries]).numpy() if entries else np.zeros(0, np.float32))
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return len(entries)

    def load_pitch(self, path: str | os.PathLike) -> int:
        """Reuse the tracks :meth:`save_pitch` wrote for clips of this dataset whose audio file
        is unchanged (size and modification time) and that holds no track yet (so a second file,
        e.g. a shared cache after the run's own, only fills gaps); a file made for another mel
        or pitch analysis, or a broken or missing one, is ignored, and a track whose length does
        not match its clip's frames is recomputed when used. Returns the number of tracks taken."""
        by_id = {clip.id: clip for clip in self.clips if clip.id not in self._pitch}
        taken = 0
        for clip_id, stamp, log_f0, voiced in self._read_pitch_file(path):
            clip = by_id.get(clip_id)
            if clip is not None and stamp == _file_stamp(clip.path):
                self._pitch[clip.id] = (log_f0, voiced)
                self._pitch_unverified.add(clip.id)
                taken += 1
        return taken

    def _read_pitch_file(self, path: str | os.PathLike) -> list[tuple[str, str, torch.Tensor, torch.Tensor]]:
        """``(id, stamp, log_f0, voiced)`` per track of a :meth:`save_pitch` file; empty when
        the file is missing, broken or made for another analysis."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["analysis"]) != self._pitch_analysis():
                    return []
                ids, stamps, lengths = saved["ids"], saved["stamps"], saved["lengths"]
                log_f0, voiced = torch.from_numpy(saved["log_f0"]), torch.from_numpy(saved["voiced"])
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # a broken cache is just a cold start
            return []
        if int(lengths.sum()) != log_f0.numel() or log_f0.numel() != voiced.numel() or len(stamps) != len(ids):
            return []
        sizes = lengths.tolist()
        return [(str(i), str(stamp), f0.clone(), flags.clone())
                for i, stamp, f0, flags in zip(ids, stamps, log_f0.split(sizes), voiced.split(sizes))]

    def _pitch_analysis(self) -> str:
        from tts_moe.acoustic.features import F0_HOP, F0_RATE

        return json.dumps({"mel": asdict(self.mel_config), "f0_rate": F0_RATE, "f0_hop": F0_HOP,
                           "pitch": PITCH_ANALYSIS}, sort_keys=True)

    def pitch_batch(self, seed: int, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log_f0, voiced)``, both ``(batch, seg)``, of the same segments as :meth:`batch`
        (a clip shorter than a segment is padded with its last F0, unvoiced)."""
        log_f0s, voiceds = [], []
        seg = self.segment_frames
        for clip, start in self.segments(seed, step, batch_size):
            log_f0, voiced = self.clip_pitch(clip)
            log_f0, voiced = log_f0[start : start + seg], voiced[start : start + seg]
            if log_f0.numel() < seg:
                pad = seg - log_f0.numel()
                log_f0 = torch.cat([log_f0, log_f0[-1:].expand(pad)])
                voiced = torch.cat([voiced, torch.zeros(pad)])
            log_f0s.append(log_f0)
            voiceds.append(voiced)
        return torch.stack(log_f0s), torch.stack(voiceds)


def _file_stamp(path: str | os.PathLike) -> str:
    """``"size:mtime_ns"`` of a file (``"missing"`` when it cannot be read)."""
    try:
        stat = os.stat(path)
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"
