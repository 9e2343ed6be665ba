"""Lossy codec round trips (MP3, AAC, Opus) through ffmpeg, over pipes (no temporary files).

The whole batch is encoded as one stream (items back to back), decoded, re-aligned to the
input by cross-correlation (encoders add a delay) and split again; the result is applied
with a straight-through estimator (the codec is not differentiable).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import torch

from tts_moe.errors import AudioError, MissingDependencyError
from watermark.augment.timing import straight_through

SAMPLE_RATE = 16_000
MAX_DELAY = 4096  # samples of encoder delay searched when re-aligning
CODECS = {  # name -> (ffmpeg encoder, muxer, demuxer)
    "mp3": ("libmp3lame", "mp3", "mp3"),
    "aac": ("aac", "adts", "aac"),
    "opus": ("libopus", "ogg", "ogg"),
}


def _ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise MissingDependencyError("codec augmentation needs ffmpeg: apt-get install ffmpeg")
    return path


def _run(args: list[str], data: bytes) -> bytes:
    result = subprocess.run(args, input=data, capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise AudioError(f"ffmpeg failed ({' '.join(args[1:8])} ...): {message[0]}")
    return result.stdout


def codec_round_trip(samples: np.ndarray, name: str = "mp3", bitrate_kbps: int = 128) -> np.ndarray:
    """Encode mono float32 ``(time,)`` at 16 kHz with codec ``name`` and decode it again;
    returns ``(time,)`` aligned to the input."""
    if name not in CODECS:
        raise ValueError(f"unknown codec {name!r}: use one of {', '.join(CODECS)}")
    encoder, muxer, demuxer = CODECS[name]
    ffmpeg = _ffmpeg()
    raw = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1"]
    pad = np.concatenate([np.asarray(samples, np.float32), np.zeros(MAX_DELAY, np.float32)])
    encoded = _run([ffmpeg, "-v", "error", *raw, "-i", "pipe:0", "-c:a", encoder,
                    "-b:a", f"{bitrate_kbps}k", "-f", muxer, "pipe:1"], pad.tobytes())
    decoded = _run([ffmpeg, "-v", "error", "-f", demuxer, "-i", "pipe:0", *raw, "pipe:1"], encoded)
    out = np.frombuffer(decoded, dtype=np.float32)
    shift = _best_shift(samples, out)
    out = out[shift : shift + samples.size]
    return np.pad(out, (0, samples.size - out.size))


def _best_shift(reference: np.ndarray, signal: np.ndarray) -> int:
    """Delay (0..MAX_DELAY samples) of ``signal`` relative to ``reference``."""
    n = min(reference.size, signal.size, 5 * SAMPLE_RATE)
    size = 1 << int(np.ceil(np.log2(n + MAX_DELAY + n)))
    cross = np.fft.irfft(np.fft.rfft(signal[: n + MAX_DELAY], size)
                         * np.conj(np.fft.rfft(reference[:n], size)), size)
    return int(np.argmax(cross[: MAX_DELAY + 1]))


def codec(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
          name: str = "mp3", bitrate_kbps: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Round trip the batch ``(batch, time)`` through codec ``name`` at ``bitrate_kbps``."""
    batch, time = audio.shape
    stream = audio.detach().cpu().float().reshape(-1).numpy()
    out = codec_round_trip(stream, name, bitrate_kbps).reshape(batch, time)
    return straight_through(audio, torch.from_numpy(out.copy()).to(audio.device)), mask
