"""Long-form synthesis benchmark: script in, watermarked + ledger-logged file out.

    python -m bench.longform [--acoustic-weights DIR] [--vocoder-weights DIR]
                             [--watermark-weights DIR] [--minutes 10] [--memory-minutes 10,60]
                             [--threads 2] [--quick]

speed    End-to-end real-time factor of ``Synthesizer.synthesize`` on a ~--minutes script
         (LJ Speech transcripts from the shared data folder, built at run time), with each
         stage's share of the time (front end, acoustic, vocoder, loudness post-processing,
         watermark, file I/O, other = parsing, planning, joining, ledger). Goal <= 0.05.
         Same run, same script file: ``flite -voice slt`` and ``espeak-ng`` as references.
memory   Peak resident memory of a child process that loads the models and synthesises a
         script of each --memory-minutes length (goal: under 1.5 GB, the same for both).
wer      pocketsphinx word error rate of LJ test sentences synthesised with the flite-derived
         voices (flite-slt, flite-rms, hts-slt) against the WER of the teacher's own audio of
         the same sentences (held-out corpus). Goal: within 1.25x of the teacher. The default
         corpus, 40 sentences per voice (2,043 words; 5 per voice proved too few to judge a
         1.25x ratio: 1.11 and 1.31 in two runs of the same weights), is built once with
             tts-moe corpus build ../corpora/heldout-wer --texts test --styles neutral \
                 --speakers flite-slt,flite-rms,hts-slt --clips-per-cell 40
         (../corpora/heldout-test, 5 per voice, stands in when it is missing).

Without watermark weights an untrained watermark network of the same size stands in (timing
only; the output says so). --quick: 1- and 3-minute scripts, one WER sentence per voice.
Prints a table and writes bench/results/NAME.json (NAME = --results, default "longform").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from bench._longform_run import (
    REFERENCES,
    build_script,
    make_synthesizer,
    reference_engine,
    run_child,
)
from bench.common import Row, apply_size_defaults, at_most, print_table, write_results
from tts_moe.errors import InputError, TTSMoeError
from tts_moe.paths import REPO_ROOT

WER_CORPUS = REPO_ROOT.parent / "corpora" / "heldout-wer"
DEFAULT_CORPUS = WER_CORPUS if WER_CORPUS.is_dir() else REPO_ROOT.parent / "corpora" / "heldout-test"
RTF_GOAL, MEMORY_GOAL_MB, MEMORY_GROWTH_GOAL, WER_RATIO_GOAL = 0.05, 1536.0, 1.10, 1.25
STAGES = (("front_end", "front end"), ("acoustic", "acoustic"), ("vocoder", "vocoder"),
          ("post", "loudness post-processing"), ("watermark", "watermark"), ("io", "file I/O"))
WER_VOICES = ("flite-slt", "flite-rms", "hts-slt")


def stage_rows(run: dict) -> tuple[list[Row], dict]:
    """Share of the synthesis wall time per stage (``other`` = the rest of the call)."""
    stages = run["stage_seconds"]
    wall = run["wall_seconds"]
    seconds = {label: float(stages.get(key, 0.0)) for key, label in STAGES}
    seconds["other (parse, plan, join, ledger)"] = max(0.0, wall - sum(seconds.values()))
    rows = [Row(f"share: {label}", round(100 * value / wall, 1), "%") for label, value in seconds.items()]
    return rows, seconds


def speed_rows(run: dict, minutes: float, threads: int) -> list[Row]:
    rtf = run["wall_seconds"] / run["audio_seconds"]
    return [Row("voice", run["voice"]),
            Row("watermark", run["watermark"]),
            Row("script sentences", run["sentences"]),
            Row("audio synthesised", round(run["audio_seconds"] / 60, 2), "min"),
            Row(f"end-to-end RTF (~{minutes:g} min script, {threads}T)", round(rtf, 4), "",
                f"<= {RTF_GOAL}", at_most(rtf, RTF_GOAL)),
            Row("x real time", round(1 / rtf, 1), "x"),
            Row("model load (not in RTF)", round(run["load_seconds"], 2), "s")]


def reference_rows(script: Path, folder: Path) -> tuple[list[Row], list[dict]]:
    rows, results = [], []
    for name in REFERENCES:
        result = reference_engine(name, script, folder / f"{name.split()[0]}.wav")
        results.append(result)
        if "rtf" in result:
            rows.append(Row(f"{name} RTF (same script, 1 process)", round(result["rtf"], 4)))
            rows.append(Row(f"{name} x real time", round(1 / result["rtf"], 1), "x"))
        else:
            rows.append(Row(f"{name} RTF", result["note"]))
    return rows, results


def memory_rows(runs: dict[float, dict]) -> list[Row]:
    rows = []
    for minutes, run in sorted(runs.items()):
        peak = run["child_maxrss_mb"]
        rows.append(Row(f"peak RSS, ~{minutes:g} min script", round(peak, 1), "MB", f"< {MEMORY_GOAL_MB:g}",
                        peak < MEMORY_GOAL_MB))
        rows.append(Row(f"  RSS after model load (~{minutes:g} min run)", round(run["rss_after_load_mb"], 1), "MB"))
    if len(runs) >= 2:
        small, large = runs[min(runs)], runs[max(runs)]
        growth = large["child_maxrss_mb"] / small["child_maxrss_mb"]
        rows.append(Row(f"peak RSS ratio ~{max(runs):g} / ~{min(runs):g} min", round(growth, 3), "",
                        f"<= {MEMORY_GROWTH_GOAL}", at_most(growth, MEMORY_GROWTH_GOAL)))
    return rows


def wer_section(synth, corpus: Path, voices: list[str], clips: int, folder: Path) -> tuple[list[Row], dict]:
    """Model vs teacher pocketsphinx WER on the held-out clips of ``voices``, and DNSMOS
    (speechmos; a naturalness estimate) of the same clips side by side."""
    from bench.speech_metrics import corpus_wer, dnsmos, recognize
    from tts_moe.audio import load_audio
    from tts_moe.errors import MissingDependencyError

    if not (corpus / "metadata.jsonl").is_file():
        raise InputError(f"{corpus} is not a corpus folder (no metadata.jsonl): pass --corpus")
    records = [json.loads(line) for line in (corpus / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    pairs: dict[str, dict[str, list]] = {}
    mos: dict[str, list[dict]] = {"model": [], "teacher": []}
    mos_error = None
    skipped = [v for v in voices if v not in synth.voices]
    for voice in [v for v in voices if v in synth.voices]:
        chosen = sorted((r for r in records if r["speaker"] == voice and r["style"] in synth.styles),
                        key=lambda r: r["id"])[:clips]
        if not chosen:
            skipped.append(voice)
            continue
        model, teacher = [], []
        for record in chosen:
            out = folder / f"wer-{record['id']}.wav"
            synth.synthesize(record["text"], out, voice=voice, style=record["style"], script_format="text",
                             progress=False)
            ours, theirs = load_audio(out), load_audio(corpus / record["path"])
            model.append((record["text"], recognize(ours)))
            teacher.append((record["text"], recognize(theirs)))
            out.unlink()
            if mos_error is None:
                try:
                    mos["model"].append(dnsmos(ours))
                    mos["teacher"].append(dnsmos(theirs))
                except MissingDependencyError as error:
                    mos_error = str(error)
        pairs[voice] = {"model": model, "teacher": teacher}
    if not pairs:
        return [Row("WER", f"skipped: none of {', '.join(voices)} in both the model and {corpus}")], {}
    rows, extra = [], {"skipped_voices": skipped, "voices": {}}
    for voice, both in pairs.items():
        model, teacher = corpus_wer(both["model"]), corpus_wer(both["teacher"])
        rows.append(Row(f"WER {voice}: model / teacher", f"{model['wer']:.3f} / {teacher['wer']:.3f}",
                        f"{model['sentences']} sent"))
        extra["voices"][voice] = {"model": model, "teacher": teacher, "pairs": both}
    model = corpus_wer([p for both in pairs.values() for p in both["model"]])
    teacher = corpus_wer([p for both in pairs.values() for p in both["teacher"]])
    rows.append(Row("WER model (all these voices)", round(model["wer"], 4), f"{model['reference_words']} words"))
    rows.append(Row("WER teacher audio (same sentences)", round(teacher["wer"], 4)))
    if teacher["wer"] > 0:
        ratio = model["wer"] / teacher["wer"]
        rows.append(Row("WER ratio model / teacher", round(ratio, 3), "", f"<= {WER_RATIO_GOAL}",
                        at_most(ratio, WER_RATIO_GOAL)))
    else:
        rows.append(Row("WER ratio model / teacher", "teacher WER is 0", "", "model WER 0", model["wer"] == 0))
    extra.update(model=model, teacher=teacher)
    if mos_error:
        rows.append(Row("DNSMOS", f"skipped: {mos_error}"))
    elif mos["model"]:
        for key, name in (("ovrl", "overall"), ("sig", "signal"), ("bak", "background")):
            ours, theirs = (sum(m[key] for m in mos[side]) / len(mos[side]) for side in ("model", "teacher"))
            rows.append(Row(f"DNSMOS {name}: model / teacher", f"{ours:.2f} / {theirs:.2f}",
                            f"{len(mos['model'])} clips"))
        extra["dnsmos"] = mos
    return rows, extra


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.longform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--acoustic-weights", help="acoustic model folder (default: shipped)")
    parser.add_argument("--vocoder-weights", help="vocoder folder (default: the shipped one the synthesizer pairs "
                                                  "with the acoustic weights)")
    parser.add_argument("--watermark-weights", help="watermark folder (default: shipped; untrained stand-in if none)")
    parser.add_argument("--untrained-watermark", default="compact",
                        help="preset of the untrained stand-in watermark (default compact, the shipped size)")
    parser.add_argument("--minutes", type=float, help="script length for the RTF figure (default 10; --quick 1)")
    parser.add_argument("--memory-minutes", help="script lengths for peak memory (default 10,60; --quick 1,3)")
    parser.add_argument("--voice", help="voice of the long-form script (default: the synthesizer's default)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"held-out corpus for WER (default {DEFAULT_CORPUS})")
    parser.add_argument("--wer-voices", default=",".join(WER_VOICES), help="voices for the WER test")
    parser.add_argument("--wer-clips", type=int, help="held-out sentences per WER voice (default 40; --quick 1)")
    parser.add_argument("--parts", default="speed,memory,wer", help="sections to run (default all)")
    parser.add_argument("--results", default="longform", help="results name: bench/results/NAME.json")
    parser.add_argument("--quick", action="store_true", help="1- and 3-minute scripts, 1 WER sentence per voice")
    args = parser.parse_args(argv)
    apply_size_defaults(args, {"minutes": (10.0, 1.0), "memory_minutes": ("10,60", "1,3"), "wer_clips": (40, 1)})
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-longform-") as folder:
            return run(args, Path(folder))
    except TTSMoeError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


def run(args: argparse.Namespace, folder: Path) -> int:
    import torch

    parts = set(filter(None, args.parts.split(",")))
    if parts - {"speed", "memory", "wer"}:
        raise InputError(f"unknown --parts {sorted(parts - {'speed', 'memory', 'wer'})}: use speed, memory, wer")
    torch.set_num_threads(args.threads)
    memory_minutes = [float(m) for m in args.memory_minutes.split(",") if m] if "memory" in parts else []
    lengths = sorted(set(memory_minutes) | ({args.minutes} if "speed" in parts else set()))
    rows: list[Row] = []
    extra: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "load_average_start": os.getloadavg(),
                   "runs": {}}
    spec = {"acoustic": args.acoustic_weights, "vocoder": args.vocoder_weights, "watermark": args.watermark_weights,
            "untrained_watermark": args.untrained_watermark, "threads": args.threads, "voice": args.voice}
    runs: dict[float, dict] = {}
    for minutes in lengths:  # one child at a time, never in parallel
        text, facts = build_script(minutes)
        work = folder / f"{minutes:g}min"
        work.mkdir()
        (work / "script.txt").write_text(text, encoding="utf-8")
        print(f"  synthesising a ~{minutes:g} min script ({facts['words']} words) in a child process",
              file=sys.stderr, flush=True)
        runs[minutes] = run_child({**spec, "script": str(work / "script.txt"), "out": str(work / "out.wav"),
                                   "ledger": str(work / "ledger.db")}, work)
        runs[minutes]["script"] = facts
        extra["runs"][f"{minutes:g} min"] = runs[minutes]
        (work / "out.wav").unlink(missing_ok=True)
    if any("UNTRAINED" in r.get("watermark", "") for r in runs.values()):
        extra["watermark_note"] = ("no trained watermark weights: an untrained network of the same preset stood in; "
                                   "it costs the same compute as a trained one, but its mark means nothing")
    if "speed" in parts:
        main_run = runs[args.minutes]
        rows += speed_rows(main_run, args.minutes, args.threads)
        shares, extra["stage_seconds"] = stage_rows(main_run)
        rows += shares
        references, extra["references"] = reference_rows(folder / f"{args.minutes:g}min" / "script.txt", folder)
        rows += references
    if memory_minutes:
        rows += memory_rows({m: runs[m] for m in memory_minutes})
    if "wer" in parts:
        synth, _ = make_synthesizer(args.acoustic_weights, args.vocoder_weights, args.watermark_weights,
                                    args.untrained_watermark, folder / "wer-ledger.db")
        extra["wer_models"] = synth.model_versions()  # which vocoder (general or tuned) was paired
        voices = [v for v in args.wer_voices.split(",") if v]
        try:
            section, extra["wer"] = wer_section(synth, args.corpus, voices, args.wer_clips, folder)
        except TTSMoeError as error:  # e.g. pocketsphinx not installed
            section, extra["wer"] = [Row("WER", f"skipped: {error}")], {}
        rows += section
    extra["load_average_end"] = os.getloadavg()
    title = "Long-form synthesis: end-to-end RTF, stage shares, references, peak memory, WER"
    print_table(title, rows)
    path = write_results(args.results, title, rows, extra)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
