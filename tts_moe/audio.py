"""Audio in and out, resampling and log-mel features.

This is the only module of the toolkit that imports ``torchaudio`` (so replacing it is a
one-file change); audio files are read and written through ``soundfile``.

Arrays are float32 in [-1, 1]. Shapes: a clip is ``(time,)``; a batch is ``(batch, time)``;
a log-mel is ``(n_mels, frames)`` or ``(batch, n_mels, frames)``.
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio

from tts_moe.errors import AudioError, OutputError

SAMPLE_RATE = 16_000
SILENCE_PEAK = 10 ** (-60 / 20)  # a clip whose peak is below -60 dBFS counts as silent

# file extension -> (soundfile format, default subtype)
FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def format_for_path(path: str | os.PathLike, format: str | None = None) -> str:
    """The output format name (``wav``, ``flac``, ``ogg`` or ``mp3``) for ``path``."""
    name = (format or Path(path).suffix.lstrip(".")).lower()
    if name not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise OutputError(
            f"cannot write audio format {name or '(none)'!r} for {path}: use one of {known}"
        )
    return name


# ----------------------------------------------------------------------------------- reading
def load_audio(
    path: str | os.PathLike,
    sample_rate: int = SAMPLE_RATE,
    *,
    allow_silent: bool = False,
) -> np.ndarray:
    """Read any file soundfile can read as mono float32 ``(time,)`` at ``sample_rate``.

    Multi-channel audio is averaged to mono. Raises :class:`AudioError` (with the path and
    the reason) for a missing, unreadable/corrupt, empty, non-finite or (unless
    ``allow_silent``) silent file.
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"audio file not found: {path}")
    if path.is_dir():
        raise AudioError(f"expected an audio file but {path} is a folder")
    try:
        data, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as error:
        raise AudioError(
            f"cannot decode {path}: not a readable audio file or corrupt ({error})"
        ) from None
    audio = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return check_audio(
        resample(audio, file_rate, sample_rate), sample_rate, source=str(path),
        allow_silent=allow_silent,
    )


def check_audio(
    audio: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    source: str = "audio",
    allow_silent: bool = False,
) -> np.ndarray:
    """Validate a mono clip ``(time,)``; return it as contiguous float32 or raise AudioError."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise AudioError(f"{source}: expected mono audio of shape (time,), got {audio.shape}")
    if audio.size == 0:
        raise AudioError(f"{source}: the audio is empty (0 samples)")
    if not np.issubdtype(audio.dtype, np.floating):
        raise AudioError(f"{source}: expected floating-point samples, got {audio.dtype}")
    if not np.isfinite(audio).all():
        bad = int((~np.isfinite(audio)).sum())
        raise AudioError(f"{source}: {bad} samples are NaN or infinite")
    peak = float(np.abs(audio).max())
    if not allow_silent and peak < SILENCE_PEAK:
        seconds = audio.size / sample_rate
        raise AudioError(
            f"{source}: the audio is silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS "
            f"over {seconds:.2f} s)"
        )
    return np.ascontiguousarray(audio, dtype=np.float32)


# ------------------------------------------------------------------------------- resampling
def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling of ``(time,)`` or ``(batch, time)`` float audio."""
    if orig_sr == target_sr:
        return np.asarray(audio, dtype=np.float32)
    if orig_sr <= 0 or target_sr <= 0:
        raise AudioError(f"invalid sample rates {orig_sr} -> {target_sr}")
    tensor = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    with torch.inference_mode():
        out = torchaudio.functional.resample(tensor, int(orig_sr), int(target_sr))
    return out.numpy()


# ------------------------------------------------------------------------------- writing
class AtomicAudioWriter:
    """Stream audio into ``path`` so that the target only ever holds a complete file.

    Samples go to a hidden temporary file beside the target; :meth:`commit` (called on a
    clean ``with`` exit) flushes, fsyncs and renames it over the target. Any error or an
    :meth:`abort` removes the temporary file and leaves the target untouched.

    >>> with AtomicAudioWriter("out.flac", 16000) as writer:
    ...     writer.write(chunk)  # chunk: (time,) float32
    """

    def __init__(
        self,
        path: str | os.PathLike,
        sample_rate: int = SAMPLE_RATE,
        *,
        format: str | None = None,
        subtype: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.sample_rate = int(sample_rate)
        self.format = format_for_path(self.path, format)
        sf_format, default_subtype = FORMATS[self.format]
        folder = self.path.parent
        if not folder.is_dir():
            raise OutputError(f"output folder does not exist: {folder}")
        try:
            handle, temp_name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".partial", dir=folder
            )
        except OSError as error:
            raise _output_error(self.path, error) from None
        os.close(handle)
        self.temp_path = Path(temp_name)
        self.frames_written = 0
        self.aborted = False
        try:
            self._file = soundfile.SoundFile(
                self.temp_path, "w", samplerate=self.sample_rate, channels=1,
                format=sf_format, subtype=subtype or default_subtype,
            )
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            self._discard()
            raise _output_error(self.path, error) from None

    def write(self, chunk: np.ndarray) -> None:
        """Append a mono chunk ``(time,)``; samples are clipped to [-1, 1]."""
        chunk = np.asarray(chunk, dtype=np.float32)
        if chunk.ndim != 1:
            self.abort()
            raise AudioError(f"expected a mono chunk of shape (time,), got {chunk.shape}")
        if not np.isfinite(chunk).all():
            self.abort()
            raise AudioError(f"refusing to write NaN/Inf samples to {self.path}")
        try:
            self._file.write(np.clip(chunk, -1.0, 1.0))
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            self.abort()
            raise _output_error(self.path, error) from None
        self.frames_written += chunk.size

    def commit(self) -> Path:
        """Finish the file and move it onto the target path; returns the path."""
        if self.aborted:
            raise OutputError(f"cannot commit {self.path}: an earlier write failed")
        try:
            self._file.close()
            with open(self.temp_path, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(self.temp_path, self.path)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            self._discard()
            raise _output_error(self.path, error) from None
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the target path is not touched."""
        self.aborted = True
        try:
            if not self._file.closed:
                self._file.close()
        except (soundfile.LibsndfileError, RuntimeError, OSError):
            pass
        self._discard()

    def _discard(self) -> None:
        try:
            self.temp_path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> "AtomicAudioWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self.aborted:
            self.commit()
        else:
            self.abort()


def write_audio(
    path: str | os.PathLike,
    audio: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    format: str | None = None,
    subtype: str | None = None,
) -> Path:
    """Atomically write a mono clip ``(time,)`` as wav, flac, ogg or mp3."""
    audio = np.asarray(audio, dtype=np.float32)
    with AtomicAudioWriter(path, sample_rate, format=format, subtype=subtype) as writer:
        writer.write(audio)
    return Path(path)


def _output_error(path: Path, error: BaseException) -> OutputError:
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC:
        reason = "the disk is full"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied (read-only folder or file?)"
    else:
        reason = str(error)
    return OutputError(f"cannot write {path}: {reason}")


# ------------------------------------------------------------------------------- features
@dataclass(frozen=True)
class MelConfig:
    """Log-mel analysis settings; saved beside every model that consumes or produces mels."""

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 256
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float = 8000.0
    log_floor: float = 1e-5

    def to_dict(self) -> dict:
        return asdict(self)

    def frames(self, samples: int) -> int:
        """Number of mel frames for a clip of ``samples`` samples (centred frames)."""
        return samples // self.hop_length + 1


@lru_cache(maxsize=8)
def _mel_transform(config: MelConfig) -> torch.nn.Module:
    return torchaudio.transforms.MelSpectrogram(
        sample_rate=config.sample_rate, n_fft=config.n_fft, win_length=config.win_length,
        hop_length=config.hop_length, f_min=config.f_min, f_max=config.f_max,
        n_mels=config.n_mels, power=1.0, center=True, pad_mode="reflect",
        norm="slaney", mel_scale="slaney",
    )


def mel_filterbank(config: MelConfig = MelConfig()) -> torch.Tensor:
    """The triangular filters of :func:`log_mel`: ``(n_fft // 2 + 1, n_mels)``, so that the
    magnitude mel of one frame is ``filterbank.T @ |stft|``."""
    return _mel_transform(config).mel_scale.fb.detach().clone()


def log_mel(audio: torch.Tensor | np.ndarray, config: MelConfig = MelConfig()) -> torch.Tensor:
    """Natural-log magnitude mel spectrogram.

    ``(time,)`` -> ``(n_mels, frames)``; ``(batch, time)`` -> ``(batch, n_mels, frames)``,
    with ``frames = time // hop_length + 1``. Differentiable when given a tensor that
    requires grad (used by training losses).
    """
    tensor = torch.as_tensor(audio, dtype=torch.float32)
    if tensor.ndim not in (1, 2):
        raise AudioError(f"log_mel expects (time,) or (batch, time), got {tuple(tensor.shape)}")
    if tensor.shape[-1] <= config.n_fft // 2:
        raise AudioError(
            f"log_mel needs more than {config.n_fft // 2} samples, got {tensor.shape[-1]}"
        )
    transform = _mel_transform(config).to(tensor.device)
    return torch.log(torch.clamp(transform(tensor), min=config.log_floor))
