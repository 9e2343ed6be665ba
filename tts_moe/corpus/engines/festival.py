"""festival diphone teacher (kal_diphone, ked_diphone): one festival process per batch.

A generated scheme script selects the voice, sets ``Duration_Stretch`` and ``int_lr_params``
for the style, then synthesises every text, saving the wave and each ``Segment`` item's name
and end time (the phone timings).
"""

from __future__ import annotations

from pathlib import Path

from tts_moe.corpus.engines.base import Rendered, TeacherFailure, read_wav, run

NATIVE_RATE = 16_000
BATCH_TIMEOUT_S = 600.0
# the voices' own defaults: Duration_Stretch 1.1, target F0 mean 105 Hz, std 14 (kal) / 15 (ked)
DEFAULTS = {"kal_diphone": (1.1, 105.0, 14.0), "ked_diphone": (1.1, 105.0, 15.0)}
STYLE_VALUES = {
    "fast": {"stretch": 0.8},
    "slow": {"stretch": 1.55},
    "high": {"mean": 150.0},
    "low": {"mean": 78.0},
    "wide": {"std": 35.0},
    "monotone": {"std": 3.0},
    "neutral": {},
}


def scheme_string(text: str) -> str:
    """A Python string as a scheme string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def style_setup(voice: str, style: str) -> str:
    """The scheme lines that select ``voice`` and apply ``style``."""
    if style not in STYLE_VALUES:
        raise TeacherFailure(f"festival diphone voices have no style {style!r}")
    stretch, mean, std = DEFAULTS[voice]
    values = STYLE_VALUES[style]
    stretch = values.get("stretch", stretch)
    mean = values.get("mean", mean)
    std = values.get("std", std)
    return (
        f"(voice_{voice})\n"
        f"(Parameter.set 'Duration_Stretch {stretch})\n"
        f"(set! int_lr_params '((target_f0_mean {mean}) (target_f0_std {std})"
        " (model_f0_mean 170) (model_f0_std 34)))\n"
    )


RENDER_FUNCTION = """
(define (tm_render text wavfile segfile)
  (let ((utt (utt.synth (eval (list 'Utterance 'Text text))))
        (fd (fopen segfile "w")))
    (utt.save.wave utt wavfile 'riff)
    (mapcar (lambda (s) (format fd "%s %f\\n" (item.name s) (item.feat s 'end)))
            (utt.relation.items utt 'Segment))
    (fclose fd)))
"""


def read_segments(path: Path) -> list[tuple[str, float]]:
    timings = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            timings.append((parts[0], float(parts[1])))
    return timings


class FestivalDiphoneEngine:
    """festival's LPC diphone voices, batched through one ``festival -b script.scm``."""

    name = "festival"
    native_rate = NATIVE_RATE

    def settings(self, speaker, style: str) -> dict:
        return {"command": ["festival", "-b", "SCRIPT.scm"],
                "scheme": style_setup(speaker.voice, style) + "(tm_render TEXT WAV SEG)"}

    def render(self, speaker, style: str, texts: list[str], workdir: Path) -> list[Rendered | Exception]:
        script = [style_setup(speaker.voice, style), RENDER_FUNCTION]
        for index, text in enumerate(texts):
            wav, seg = workdir / f"fest-{index}.wav", workdir / f"fest-{index}.seg"
            script.append(f"(tm_render {scheme_string(text)} {scheme_string(str(wav))}"
                          f" {scheme_string(str(seg))})\n")
        script_path = workdir / "render.scm"
        script_path.write_text("".join(script), encoding="utf-8")
        try:
            run(["festival", "-b", str(script_path)], timeout=BATCH_TIMEOUT_S, cwd=workdir)
        except TeacherFailure as error:
            batch_error: Exception | None = error
        else:
            batch_error = None
        results: list[Rendered | Exception] = []
        for index in range(len(texts)):
            wav, seg = workdir / f"fest-{index}.wav", workdir / f"fest-{index}.seg"
            try:
                results.append(Rendered(read_wav(wav), NATIVE_RATE, read_segments(seg)))
            except Exception as error:
                results.append(batch_error or error)
        return results
