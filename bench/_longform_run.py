"""Pieces of bench/longform.py: a long script from public-domain text, one synthesis run in a
child process (so its peak memory is its own), and the teacher engines as speed references.

    python -m bench._longform_run SPEC.json     # the child: see :func:`child_main`
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tts_moe import errors
from tts_moe.errors import InputError, OutputError
from tts_moe.paths import REPO_ROOT, data_dir

WORDS_PER_MINUTE = 160  # to size a script; the bench reports the audio length it really got
SENTENCES_PER_PARAGRAPH = 6
LJ_FILES = ("test.txt", "val.txt", "train.txt")


def build_script(minutes: float, data: Path | None = None) -> tuple[str, dict]:
    """Plain-text script of about ``minutes`` of speech: LJ Speech transcripts (test, then
    val, then train, in file order) in paragraphs of :data:`SENTENCES_PER_PARAGRAPH`.
    Returns the text and ``{"words", "sentences", "source"}``."""
    folder = (data or data_dir()) / "ljspeech-text"
    target = max(1, round(minutes * WORDS_PER_MINUTE))
    sentences, words = [], 0
    for name in LJ_FILES:
        path = folder / name
        if not path.is_file():
            raise InputError(f"{path} not found: the long-form script is built from the shared LJ Speech text")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split("|", 1)[-1].strip()
            if not text:
                continue
            sentences.append(text)
            words += len(text.split())
            if words >= target:
                break
        if words >= target:
            break
    paragraphs = [" ".join(sentences[i:i + SENTENCES_PER_PARAGRAPH])
                  for i in range(0, len(sentences), SENTENCES_PER_PARAGRAPH)]
    return "\n\n".join(paragraphs) + "\n", {"words": words, "sentences": len(sentences),
                                            "source": f"{folder} ({', '.join(LJ_FILES)} in order)"}


def make_synthesizer(acoustic: str | None, vocoder: str | None, watermark: str | None, untrained_watermark: str,
                     ledger: str | os.PathLike):
    """The Synthesizer under test and a note on its watermark. Without watermark weights
    (none given and none shipped) an untrained ``untrained_watermark`` preset stands in:
    the same networks, so the same compute, but its mark means nothing."""
    from tts_moe.acoustic.loader import load_model
    from tts_moe.errors import ModelNotAvailableError
    from tts_moe.synthesis import Synthesizer
    from vocoder.loader import Vocoder, weights_for_acoustic
    from vocoder.precision import SYNTHESIS_PRECISION
    from watermark.model import build_networks, preset
    from watermark.watermarker import Watermarker

    try:
        marker = Watermarker.from_pretrained(watermark)
        note = f"trained ({watermark or 'shipped weights'})"
    except ModelNotAvailableError:
        if watermark:
            raise
        marker = Watermarker(build_networks(preset(untrained_watermark)))
        note = f"UNTRAINED {untrained_watermark} (timing only)"  # same networks: same compute as trained
    model = load_model(acoustic)  # as Synthesizer.from_pretrained: the paired vocoder, its default precision
    synth = Synthesizer(model, Vocoder.from_pretrained(vocoder or weights_for_acoustic(model),
                                                       precision=SYNTHESIS_PRECISION), marker, ledger_path=ledger)
    return synth, note


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(spec_path: str) -> int:
    """Load the models, synthesise the spec's script once, write the figures as JSON.

    Spec keys: ``script`` (file), ``out`` (audio file), ``result`` (JSON file), ``ledger``,
    ``acoustic``/``vocoder``/``watermark`` (paths or null), ``untrained_watermark``,
    ``threads``, ``voice`` (or null)."""
    import torch

    from tts_moe.errors import TTSMoeError

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    torch.set_num_threads(int(spec["threads"]))
    start = time.perf_counter()
    try:
        synth, note = make_synthesizer(spec["acoustic"], spec["vocoder"], spec["watermark"],
                                       spec["untrained_watermark"], spec["ledger"])
    except TTSMoeError as error:  # handed to the parent, which raises it again
        Path(spec["result"]).write_text(json.dumps({"error": str(error), "error_type": type(error).__name__}),
                                        encoding="utf-8")
        return error.exit_code
    load_seconds = time.perf_counter() - start
    rss_loaded = peak_rss_mb()
    text = Path(spec["script"]).read_text(encoding="utf-8")
    start = time.perf_counter()
    result = synth.synthesize(text, spec["out"], voice=spec.get("voice"), script_format="text", progress=False)
    wall = time.perf_counter() - start
    figures = {"wall_seconds": wall, "audio_seconds": result.duration, "stage_seconds": result.stage_seconds,
               "sentences": len(result.cues), "load_seconds": load_seconds, "rss_after_load_mb": rss_loaded,
               "peak_rss_mb": peak_rss_mb(), "watermark": note, "voice": result.utterances[0].voice,
               "models": synth.model_versions(), "threads": torch.get_num_threads()}
    Path(spec["result"]).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


def run_child(spec: dict, folder: Path) -> dict:
    """Run :func:`child_main` in a fresh Python process; adds ``child_maxrss_mb`` (from
    ``wait4``: the child's own peak resident set). Raises OutputError when it fails."""
    spec_path = folder / "spec.json"
    spec = {**spec, "result": str(folder / "result.json")}
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": str(spec["threads"]),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    with open(folder / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bench._longform_run", str(spec_path)],
                                   cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    result_path = folder / "result.json"
    if process.returncode != 0 and result_path.is_file():
        failure = json.loads(result_path.read_text(encoding="utf-8"))
        raise getattr(errors, failure["error_type"], errors.TTSMoeError)(failure["error"])
    if process.returncode != 0:
        tail = (folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")[-2000:]
        raise OutputError(f"the synthesis child process failed (exit {process.returncode}):\n{tail}")
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    result["child_maxrss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return result


REFERENCES = {
    "flite -voice slt": lambda script, out: ["flite", "-voice", "slt", "-f", str(script), "-o", str(out)],
    "espeak-ng": lambda script, out: ["espeak-ng", "-f", str(script), "-w", str(out)],
}


def reference_engine(name: str, script: Path, out: Path) -> dict:
    """Time one teacher engine on the script file: wall seconds, audio seconds, RTF (or a
    note when its program is not installed or fails)."""
    import soundfile

    command = REFERENCES[name](script, out)
    if shutil.which(command[0]) is None:
        return {"engine": name, "note": f"{command[0]} not installed"}
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True)
    wall = time.perf_counter() - start
    if done.returncode != 0 or not out.is_file():
        return {"engine": name, "note": f"failed: {done.stderr.decode(errors='replace')[-300:]}"}
    audio_seconds = soundfile.info(str(out)).duration
    return {"engine": name, "wall_seconds": wall, "audio_seconds": audio_seconds, "rtf": wall / audio_seconds}


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1]))
