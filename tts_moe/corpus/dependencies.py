"""Check, before a build starts, that every teacher it needs is installed; report versions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tts_moe.corpus.speakers import Speaker
from tts_moe.errors import MissingDependencyError

FESTIVAL_VOICES = Path("/usr/share/festival/voices")
# engine -> programs it runs, as (program, Debian package)
PROGRAMS: dict[str, list[tuple[str, str]]] = {
    "espeak": [("espeak-ng", "espeak-ng")],
    "flite": [("flite", "flite")],
    "festival": [("festival", "festival")],
    "hts": [("festival", "festival"), ("hts_engine", "htsengine")],
}
# voice -> (file that must exist, Debian package)
VOICE_FILES: dict[str, tuple[Path, str]] = {
    "kal_diphone": (FESTIVAL_VOICES / "english/kal_diphone/festvox/kal_diphone.scm", "festvox-kallpc16k"),
    "ked_diphone": (FESTIVAL_VOICES / "english/ked_diphone/festvox/ked_diphone.scm", "festvox-kdlpc16k"),
    "cmu_us_slt_arctic_hts": (
        FESTIVAL_VOICES / "us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice",
        "festvox-us-slt-hts",
    ),
}


def check_teachers(speakers: tuple[Speaker, ...] | list[Speaker]) -> None:
    """Raise MissingDependencyError naming every missing program/voice and its package."""
    missing: dict[str, tuple[str, list[str]]] = {}  # what -> (package, speaker ids)
    path = os.environ.get("PATH", "")
    for speaker in speakers:
        for program, package in PROGRAMS[speaker.engine]:
            if shutil.which(program, path=path) is None:
                missing.setdefault(f"program '{program}' (not on PATH)", (package, []))[1].append(speaker.id)
        if speaker.voice in VOICE_FILES:
            file, package = VOICE_FILES[speaker.voice]
            if not file.is_file():
                missing.setdefault(f"voice file {file}", (package, []))[1].append(speaker.id)
    if missing:
        lines = [f"{what}, needed by {', '.join(ids)}: install it with `apt-get install {package}`"
                 for what, (package, ids) in missing.items()]
        packages = sorted({package for package, _ in missing.values()})
        raise MissingDependencyError(
            "teacher synthesizer(s) missing: " + "; ".join(lines)
            + f" (all at once: apt-get install {' '.join(packages)})"
        )


def _first_match(command: list[str], pattern: str) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, done.stdout + done.stderr)
    return match.group(1).strip() if match else None


def tool_versions(engines: set[str]) -> dict[str, str | None]:
    """Versions of the teacher programs used (for the manifest)."""
    versions: dict[str, str | None] = {}
    if "espeak" in engines:
        versions["espeak-ng"] = _first_match(["espeak-ng", "--version"], r"text-to-speech:\s*(\S+)")
    if "flite" in engines:
        versions["flite"] = _first_match(["flite", "--version"], r"(flite-\S+)")
    if engines & {"festival", "hts"}:
        versions["festival"] = _first_match(["festival", "--version"], r"System:\s*([0-9.]+)")
    if "hts" in engines:
        versions["hts_engine"] = _first_match(["hts_engine"], r"Version\s+([0-9.]+)")
    import librosa

    from tts_moe import __version__

    versions["librosa"] = librosa.__version__
    versions["tts_moe"] = __version__
    return versions
