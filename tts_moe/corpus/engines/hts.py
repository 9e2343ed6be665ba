"""festival HTS teacher (cmu_us_slt_arctic_hts) with styles through ``hts_engine``.

festival 2.5's built-in HTS synthesis ignores ``Duration_Stretch`` and ``int_lr_params``, so
festival only runs its text analysis and dumps the full-context labels of each text
(``hts_dump_feats``, one festival process per batch); ``hts_engine`` then renders each label
file with the style's speed / half-tone / F0-variance settings and writes the exact phone
durations (``-od``).
"""

from __future__ import annotations

from pathlib import Path

from tts_moe.corpus.engines.base import Rendered, TeacherFailure, read_wav, run
from tts_moe.corpus.engines.festival import scheme_string

NATIVE_RATE = 32_000
BATCH_TIMEOUT_S = 600.0
VOICE_DIR = Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts")
HTSVOICE = VOICE_DIR / "hts" / "cmu_us_slt_arctic_hts.htsvoice"
# festival's own settings for this voice (cmu_us_slt_arctic_hts.scm)
BASE_ARGS = ["-g", "0.0", "-b", "0.0", "-u", "0.5"]
STYLE_ARGS = {
    "neutral": [],
    "fast": ["-r", "1.3"],
    "slow": ["-r", "0.75"],
    "high": ["-fm", "4"],
    "low": ["-fm", "-4"],
    "wide": ["-jf", "2.0"],
    "monotone": ["-jf", "0.3"],
}
DUMP_FUNCTION = """
(define (tm_dump text labfile)
  (let ((utt (eval (list 'Utterance 'Text text))))
    (Initialize utt) (Text utt) (Token_POS utt) (Token utt) (POS utt) (Phrasify utt)
    (Word utt) (Pauses utt) (Intonation utt) (PostLex utt) (Duration utt) (Int_Targets utt)
    (hts_dump_feats utt hts_feats_list labfile)))
"""


def parse_labels(path: Path) -> list[tuple[str, float]]:
    """hts_engine ``-od`` output (``start end label`` in 100 ns) -> ``(phone, end_s)``."""
    timings = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            label = parts[2]
            phone = label.split("-", 1)[1].split("+", 1)[0] if "-" in label else label
            timings.append((phone, int(parts[1]) * 1e-7))
    return timings


class HtsEngine:
    """festival (labels) + hts_engine (audio) for the SLT HTS voice."""

    name = "hts"
    native_rate = NATIVE_RATE

    def command(self, style: str, wav: str, out_lab: str, in_lab: str, extra: tuple[str, ...] = ()) -> list[str]:
        """The hts_engine command for one label file; ``extra`` options go after the style's
        (e.g. ``("-fm", "0.1")``: F0 a tenth of a semitone higher)."""
        if style not in STYLE_ARGS:
            raise TeacherFailure(f"the HTS voice has no style {style!r}")
        return ["hts_engine", "-m", str(HTSVOICE), *BASE_ARGS, *STYLE_ARGS[style], *extra,
                "-ow", wav, "-od", out_lab, in_lab]

    def settings(self, speaker, style: str) -> dict:
        return {
            "labels": ["festival", "-b", "SCRIPT.scm"],
            "scheme": f"(voice_{speaker.voice}) (tm_dump TEXT LAB)",
            "command": self.command(style, "OUT.wav", "OUT.lab", "IN.lab"),
        }

    def render(self, speaker, style: str, texts: list[str], workdir: Path) -> list[Rendered | Exception]:
        script = [f"(voice_{speaker.voice})\n", DUMP_FUNCTION]
        for index in range(len(texts)):
            lab = workdir / f"hts-{index}.lab"
            script.append(f"(tm_dump {scheme_string(texts[index])} {scheme_string(str(lab))})\n")
        script_path = workdir / "labels.scm"
        script_path.write_text("".join(script), encoding="utf-8")
        batch_error: Exception | None = None
        try:
            run(["festival", "-b", str(script_path)], timeout=BATCH_TIMEOUT_S, cwd=workdir)
        except TeacherFailure as error:
            batch_error = error
        results: list[Rendered | Exception] = []
        for index in range(len(texts)):
            lab = workdir / f"hts-{index}.lab"
            wav, out_lab = workdir / f"hts-{index}.wav", workdir / f"hts-{index}.out.lab"
            try:
                if not lab.is_file() or lab.stat().st_size == 0:
                    raise batch_error or TeacherFailure("festival wrote no HTS labels")
                run(self.command(style, str(wav), str(out_lab), str(lab)))
                results.append(Rendered(read_wav(wav), NATIVE_RATE, parse_labels(out_lab)))
            except Exception as error:
                results.append(error)
        return results
