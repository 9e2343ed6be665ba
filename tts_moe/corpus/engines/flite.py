"""flite teacher (clustergen voices slt, rms, awb): one CLI call per clip, styles by
``--setf`` features, phone end times from ``-psdur``.

flite ``rms`` ignores every F0 feature, so it only has rate styles (see speakers.py).
"""

from __future__ import annotations

from pathlib import Path

from tts_moe.corpus.engines.base import Rendered, TeacherFailure, read_wav, run

NATIVE_RATE = 16_000
# per-voice F0 targets: (high mean, low mean) in Hz
F0_MEANS = {"slt": (240.0, 125.0), "awb": (160.0, 80.0), "rms": (150.0, 75.0)}
RATE_STRETCH = {"fast": 0.75, "slow": 1.4}
F0_STDDEV = {"wide": 50.0, "monotone": 3.0}


def style_features(voice: str, style: str) -> list[str]:
    """The ``--setf`` features of a style for a flite voice."""
    if style in RATE_STRETCH:
        return ["--setf", f"duration_stretch={RATE_STRETCH[style]}"]
    if style in ("high", "low"):
        high, low = F0_MEANS[voice]
        return ["--setf", f"int_f0_target_mean={high if style == 'high' else low}"]
    if style in F0_STDDEV:
        return ["--setf", f"int_f0_target_stddev={F0_STDDEV[style]}"]
    if style == "neutral":
        return []
    raise TeacherFailure(f"flite has no style {style!r}")


def parse_psdur(stdout: str) -> list[tuple[str, float]]:
    """``pau:0.164 hh:0.255 ...`` -> ``[("pau", 0.164), ("hh", 0.255), ...]``."""
    timings = []
    for token in stdout.split():
        phone, sep, end = token.rpartition(":")
        if sep:
            try:
                timings.append((phone, float(end)))
            except ValueError:
                continue
    return timings


class FliteEngine:
    """flite through its command line."""

    name = "flite"
    native_rate = NATIVE_RATE

    def command(self, speaker, style: str, wav: str, text: str) -> list[str]:
        return ["flite", "-voice", speaker.voice, *style_features(speaker.voice, style),
                "-psdur", "-t", text, "-o", wav]

    def settings(self, speaker, style: str) -> dict:
        return {"command": self.command(speaker, style, "OUT.wav", "TEXT")}

    def render(self, speaker, style: str, texts: list[str], workdir: Path) -> list[Rendered | Exception]:
        results: list[Rendered | Exception] = []
        for index, text in enumerate(texts):
            wav = workdir / f"flite-{index}.wav"
            try:
                stdout = run(self.command(speaker, style, str(wav), text))
                results.append(Rendered(read_wav(wav), NATIVE_RATE, parse_psdur(stdout)))
            except Exception as error:
                results.append(error)
        return results
