"""espeak-ng teacher: one CLI call per clip, styles by rate/pitch flags, SSML pitch range and
a private whisper variant per speaker. No phone timings (optional for espeak): libespeak-ng's
phoneme events were tried, but the library carries state from one synthesis to the next (the
2nd clip of a process differs from the CLI's, e.g. 1,076 samples longer) and re-initialising
it hangs, so its timings would not match reproducible CLI audio.

``+whisper`` is itself a voice variant and would replace the speaker's own (``m3`` etc.), so
for the whisper style we write a variant file ``<variant>-whisper`` that keeps the speaker
variant's pitch and formant settings and adds the breath/voicing settings of espeak's own
``whisper`` variant. It lives in a private copy of the espeak-ng data folder (symlinks to the
system data plus our variant files) used through ``ESPEAK_DATA_PATH``.
"""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from tts_moe.corpus.engines.base import Rendered, TeacherFailure, read_wav, run

NATIVE_RATE = 22_050
STYLE_FLAGS: dict[str, list[str]] = {
    "neutral": [],
    "fast": ["-s", "230"],
    "slow": ["-s", "130"],
    "high": ["-p", "80"],
    "low": ["-p", "20"],
    "wide": [],
    "monotone": [],
    "whisper": [],
}
SSML_RANGE = {"wide": "x-high", "monotone": "x-low"}
# breath/voicing settings of espeak-ng's own "whisper" variant
WHISPER_LINES = (
    "voicing 17",
    "breath 75 75 50 40 15 10",
    "breathw 150 150 200 200 400 400",
)
_REPLACED = ("name", "voicing", "breath", "breathw", "flutter", "formant 0 ", "formant 1 ")


@lru_cache(maxsize=1)
def system_data_dir() -> Path:
    """espeak-ng's own data folder, as its ``--version`` reports it."""
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    match = re.search(r"Data at:\s*(\S+)", out)
    if not match:
        raise TeacherFailure(f"cannot find espeak-ng's data folder in {out!r}")
    return Path(match.group(1))


def whisper_variant_text(variant_file: Path, name: str) -> str:
    """A variant combining a speaker variant with espeak's whisper settings."""
    lines, formants = [f"name {name}"], {}
    for line in variant_file.read_text(encoding="utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if stripped.startswith(("formant 0 ", "formant 1 ")):
            formants[stripped.split()[1]] = stripped.split()
        if not stripped.startswith(_REPLACED):
            lines.append(line)
    f0 = formants.get("0", ["formant", "0", "100", "100", "100"])
    f1 = formants.get("1", ["formant", "1", "100", "100", "100"])
    # like espeak's whisper variant: silence the voicing formant, soften the first formant
    lines.append(f"formant 0 {f0[2]} 0 {f0[4]}")
    lines.append(f"formant 1 {f1[2]} {int(int(f1[3]) * 0.8)} {f1[4]}")
    lines.extend(WHISPER_LINES)
    return "\n".join(lines) + "\n"


def prepare_data_root(root: Path, variants: list[str]) -> Path:
    """Create (idempotently) a private espeak-ng data folder under ``root`` holding whisper
    versions of ``variants``; returns the folder to use as ``ESPEAK_DATA_PATH``."""
    system = system_data_dir()
    data = root / "espeak-ng-data"
    voices = data / "voices"
    own = voices / "!v"
    own.mkdir(parents=True, exist_ok=True)
    for entry in system.iterdir():
        if entry.name != "voices" and not (data / entry.name).exists():
            (data / entry.name).symlink_to(entry)
    for entry in (system / "voices").iterdir():
        if entry.name != "!v" and not (voices / entry.name).exists():
            (voices / entry.name).symlink_to(entry)
    for entry in (system / "voices" / "!v").iterdir():
        if not (own / entry.name).exists():
            (own / entry.name).symlink_to(entry)
    for variant in variants:
        source = system / "voices" / "!v" / variant
        if not source.is_file():
            raise TeacherFailure(f"espeak-ng has no voice variant {variant!r} ({source})")
        target = own / f"{variant}-whisper"
        text = whisper_variant_text(source, f"{variant}-whisper")
        if not target.is_file() or target.read_text() != text:
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text)
            os.replace(tmp, target)
    return root


def _ssml(text: str, rate_range: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<speak><prosody range="{rate_range}">{escaped}</prosody></speak>'


class EspeakEngine:
    """espeak-ng through its command line (``espeak-ng -v LANG+VARIANT ... -w OUT --stdin``)."""

    name = "espeak"
    native_rate = NATIVE_RATE

    def __init__(self, data_root: str | None = None) -> None:
        self.data_root = data_root

    def _voice(self, speaker, style: str) -> str:
        if style == "whisper":
            language, variant = speaker.voice.split("+", 1)
            return f"{language}+{variant}-whisper"
        return speaker.voice

    def command(self, speaker, style: str, wav: str) -> list[str]:
        command = ["espeak-ng", "-v", self._voice(speaker, style), *STYLE_FLAGS[style]]
        if style in SSML_RANGE:
            command.append("-m")
        return [*command, "-w", wav, "--stdin"]

    def settings(self, speaker, style: str) -> dict:
        data = {"command": self.command(speaker, style, "OUT.wav"), "input": "stdin"}
        if style in SSML_RANGE:
            data["ssml"] = _ssml("TEXT", SSML_RANGE[style])
        if style == "whisper":
            data["variant_file"] = whisper_variant_text(
                system_data_dir() / "voices" / "!v" / speaker.voice.split("+", 1)[1],
                self._voice(speaker, style).split("+", 1)[1],
            )
        return data

    def render(self, speaker, style: str, texts: list[str], workdir: Path) -> list[Rendered | Exception]:
        env = None
        if style == "whisper":
            if not self.data_root:
                raise TeacherFailure("the espeak whisper style needs a prepared data folder")
            env = {**os.environ, "ESPEAK_DATA_PATH": str(self.data_root)}
        results: list[Rendered | Exception] = []
        for index, text in enumerate(texts):
            wav = workdir / f"espeak-{index}.wav"
            try:
                spoken = _ssml(text, SSML_RANGE[style]) if style in SSML_RANGE else text
                run(self.command(speaker, style, str(wav)), input_text=spoken, env=env)
                results.append(Rendered(read_wav(wav), NATIVE_RATE))
            except Exception as error:  # one bad clip must not sink the batch
                results.append(error)
        return results
