"""Finished windows of a long-form job, kept so that ``--resume`` does not redo them.

Only used when the caller asks for resumable synthesis. Beside the output ``OUT`` a folder
``.OUT.parts/`` holds ``manifest.json`` (a key over the script and every setting, the
payload the parts carry, and per window its utterance timings) and one float WAV per
finished window, already watermarked with that payload. A resumed run reuses the payload
(the ledger row is written once, when the whole file is done) and skips the finished
windows; a different script or setting starts afresh. The folder is removed when the file
and its ledger row are committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from tts_moe.errors import OutputError

MANIFEST = "manifest.json"


def job_key(**settings) -> str:
    """A digest of everything that shapes the audio (script text, voice, controls, models)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class ResumeParts:
    def __init__(self, output: str | os.PathLike, key: str) -> None:
        output = Path(os.path.abspath(output))
        self.folder = output.with_name(f".{output.name}.parts")
        self.key = key
        self.manifest: dict | None = None

    def load(self) -> dict | None:
        """The manifest of an earlier run of the same job, or None (stale parts are removed)."""
        path = self.folder / MANIFEST
        if not path.is_file():
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = None
        if not manifest or manifest.get("key") != self.key or not all(
                (self.folder / w["file"]).is_file() for w in manifest.get("windows", [])):
            self.clear()
            return None
        self.manifest = manifest
        return manifest

    def start(self, payload: int) -> None:
        self.manifest = {"key": self.key, "payload": int(payload), "windows": []}
        try:
            self.folder.mkdir(exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create {self.folder} for resumable parts: {error.strerror}") from None
        self._save()

    def window_audio(self, index: int) -> np.ndarray:
        from tts_moe.audio import load_audio

        return load_audio(self.folder / self.manifest["windows"][index]["file"], allow_silent=True)

    def add(self, audio: np.ndarray, utterances: list[dict]) -> None:
        """Record one finished (watermarked) window."""
        from tts_moe.audio import write_audio

        name = f"w{len(self.manifest['windows']):05d}.wav"
        write_audio(self.folder / name, audio, format="wav", subtype="FLOAT")
        self.manifest["windows"].append({"file": name, "samples": int(len(audio)), "utterances": utterances})
        self._save()

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _save(self) -> None:
        temp = self.folder / f".{MANIFEST}.tmp"
        try:
            temp.write_text(json.dumps(self.manifest), encoding="utf-8")
            os.replace(temp, self.folder / MANIFEST)
        except OSError as error:
            raise OutputError(f"cannot write {self.folder / MANIFEST}: {error.strerror}") from None
