"""A transcript for every reference clip of an enrollment: given, from a sidecar, or automatic.

Each audio file's transcript is, in this order: the one given (``--transcripts``, one per
file), the text of ``FILE.txt`` beside it, or (when automatic transcription is allowed) what
pocketsphinx recognises in it (:func:`tts_moe.asr.transcribe`). Automatic transcripts may
contain errors, which weaken the clone; enrollment records which ones were automatic.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tts_moe import asr
from tts_moe.errors import InputError, MissingDependencyError


def read_transcripts(files: Sequence[Path], transcripts: Sequence[str] | None, *,
                     allow_missing: bool = False) -> list[str | None]:
    """One transcript per file: ``transcripts`` or ``FILE.txt`` beside each file. A file with
    neither is refused, or with ``allow_missing`` gets ``None`` (to be transcribed)."""
    if transcripts is not None:
        if len(transcripts) != len(files):
            raise InputError(f"{len(transcripts)} transcripts for {len(files)} audio files: give one per file")
        texts: list[str | None] = [str(t).strip() for t in transcripts]
    else:
        texts = []
        for file in files:
            sidecar = file.with_suffix(".txt")
            if sidecar.is_file():
                texts.append(sidecar.read_text(encoding="utf-8").strip())
            elif allow_missing:
                texts.append(None)
            else:
                raise InputError(f"no transcript for {file}: put what is said in {sidecar} or pass --transcripts FILE "
                                 "(one line per audio file)")
    empty = [str(f) for f, t in zip(files, texts) if t is not None and not t]
    if empty:
        raise InputError(f"empty transcript for {', '.join(empty)}")
    return texts


def auto_transcript(audio: np.ndarray, file: Path) -> str:
    """What pocketsphinx hears in ``file``'s audio ``(time,)`` float32 at 16 kHz; refuses a
    clip in which it recognises nothing, and says how to go on without pocketsphinx."""
    sidecar = file.with_suffix(".txt")
    try:
        text = asr.transcribe(audio)
    except MissingDependencyError:
        raise MissingDependencyError(
            f"no transcript for {file}, and automatic transcription needs pocketsphinx, which is not installed: "
            f"{asr.INSTALL_HINT}; or put what is said in {sidecar} or pass --transcripts FILE"
        ) from None
    if not text.strip():
        raise InputError(f"no transcript for {file}, and automatic transcription recognised no words in it: "
                         f"put what is said in {sidecar} or pass --transcripts FILE")
    return text.strip()
