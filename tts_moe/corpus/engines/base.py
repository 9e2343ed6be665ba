"""Shared pieces of the teacher engines: the result type and subprocess running."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from tts_moe.errors import AudioError, TTSMoeError

CLIP_TIMEOUT_S = 180.0


class TeacherFailure(TTSMoeError):
    """A teacher could not render one clip (bad exit status, no audio, timeout)."""


@dataclass
class Rendered:
    """One rendered clip.

    ``audio`` is float32 ``(time,)`` at 16 kHz (already resampled from the teacher's native
    rate through ``tts_moe.audio``); ``timings`` are ``(phone, end_seconds)`` pairs in the
    teacher's phone set (``None`` when the teacher gives none); ``native_rate`` is the
    teacher's own sample rate.
    """

    audio: np.ndarray
    native_rate: int
    timings: list[tuple[str, float]] | None = None
    extra: dict = field(default_factory=dict)


class Engine(Protocol):
    name: str

    def settings(self, speaker, style: str) -> dict: ...

    def render(self, speaker, style: str, texts: list[str], workdir: Path) -> list[Rendered | Exception]: ...


def run(command: list[str], *, input_text: str | None = None, env: dict | None = None,
        timeout: float = CLIP_TIMEOUT_S, cwd: Path | None = None) -> str:
    """Run a teacher command; return stdout; raise TeacherFailure on any failure."""
    try:
        done = subprocess.run(
            command, input=input_text, capture_output=True, text=True, env=env,
            timeout=timeout, cwd=cwd,
        )
    except subprocess.TimeoutExpired as error:
        raise TeacherFailure(f"{command[0]} timed out after {timeout:.0f} s") from error
    except OSError as error:
        raise TeacherFailure(f"cannot run {command[0]}: {error.strerror}") from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise TeacherFailure(f"{command[0]} exited with {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def read_wav(path: Path) -> np.ndarray:
    """Teacher output file -> 16 kHz float32 ``(time,)`` (resampled by ``tts_moe.audio``)."""
    from tts_moe.audio import SAMPLE_RATE, load_audio

    if not path.is_file() or path.stat().st_size <= 44:
        raise TeacherFailure(f"the teacher wrote no audio to {path.name}")
    try:
        return load_audio(path, SAMPLE_RATE)
    except (AudioError, RuntimeError) as error:
        raise TeacherFailure(f"unusable teacher audio: {error}") from error
