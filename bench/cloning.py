"""Cloning benchmark: speaker similarity of cloned voices on the reserved unseen voices.

    python -m bench.cloning [--quick] [--voices flite-awb,festival-ked] [--seconds 30,60,120,300]
                            [--adapter-steps 150] [--vector-only-seconds 300]

For each reserved voice (never in training): its teacher renders LJ Speech *train* sentences
as reference audio (with their transcripts), `voices.enroll` clones it from the first 30 s /
1 min / 2 min / 5 min, and the clone speaks the voice's held-out sentences of the reserved
test corpus (LJ ``test.txt``; the same texts as the real clips). Similarity is resemblyzer's
cosine between each synthesised clip and the centroid of the real held-out clips' embeddings,
averaged; the reference is the same measure for every built-in voice speaking the same
sentences, of which the nearest (highest) is reported. Goal: >= 0.80 and above the nearest
built-in voice. Enrollment wall time is reported per size. Enrollment fits a speaker vector and
then a decoder adapter (:mod:`voices.adapter`); at ``--vector-only-seconds`` the speaker vector
alone is measured too, side by side, so the adapter's gain is visible.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import Row, apply_size_defaults, at_least, print_table, write_results

SIMILARITY_GOAL = 0.80
DEFAULT_RESERVED = Path(__file__).resolve().parents[2] / "corpora" / "reserved-test"


def reference_audio(speaker_id: str, seconds: float, folder: Path, data: Path | None = None) -> list[tuple[Path, str]]:
    """Teacher renderings of LJ train sentences for ``speaker_id`` until ``seconds`` of audio:
    ``[(wav, transcript)]`` (rendered once per voice, longest request first)."""
    from tts_moe.audio import SAMPLE_RATE, write_audio
    from tts_moe.corpus.engines import get_engine
    from tts_moe.corpus.speakers import get_speaker
    from tts_moe.paths import data_dir

    speaker = get_speaker(speaker_id)
    lines = (Path(data or data_dir()) / "ljspeech-text" / "train.txt").read_text(encoding="utf-8").splitlines()
    texts = [line.split("|")[-1].strip() for line in lines[1000:1400] if line.strip()]
    engine, out, total = get_engine(speaker.engine), [], 0.0
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(texts), 8):
        batch = texts[start:start + 8]
        with tempfile.TemporaryDirectory() as work:
            rendered = engine.render(speaker, "neutral", batch, Path(work))
        for text, item in zip(batch, rendered):
            if isinstance(item, Exception) or len(item.audio) / SAMPLE_RATE > 25:
                continue
            path = folder / f"ref{len(out):03d}.wav"
            write_audio(path, item.audio)
            out.append((path, text))
            total += len(item.audio) / SAMPLE_RATE
            if total >= seconds:
                return out
    return out


def take_seconds(references: list[tuple[Path, str]], seconds: float) -> list[tuple[Path, str]]:
    """The first references that add up to at least ``seconds``."""
    import soundfile

    chosen, total = [], 0.0
    for path, text in references:
        if total >= seconds:
            break
        chosen.append((path, text))
        total += soundfile.info(str(path)).duration
    return chosen


def mean_similarity(clips: list[np.ndarray], centroid: np.ndarray) -> float:
    from bench.speech_metrics import cosine_similarity, speaker_embedding

    return float(np.mean([cosine_similarity(speaker_embedding(c), centroid) for c in clips]))


def synthesize_all(synth, voice: str, texts: list[str], folder: Path) -> list[np.ndarray]:
    from tts_moe.audio import load_audio

    out = []
    for index, text in enumerate(texts):
        path = folder / f"{voice}-{index}.wav"
        synth.synthesize(text, path, voice=voice, progress=False)
        out.append(load_audio(path))
        path.unlink()
    return out


def bench_voice(speaker_id: str, sizes: list[float], reserved: Path, steps: int, work: Path, *,
                adapter_steps: int = 150, vector_only: list[float] = ()) -> tuple[list[Row], dict]:
    from bench.speech_metrics import speaker_embedding
    from tts_moe.audio import load_audio
    from tts_moe.synthesis import Synthesizer
    from voices.adapter import AdapterConfig
    from voices.enroll import enroll_voice

    records = [json.loads(line) for line in (reserved / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    held = [r for r in records if r["speaker"] == speaker_id]
    if not held:
        return [Row(f"{speaker_id}", f"skipped: no clips in {reserved}")], {}
    real = np.stack([speaker_embedding(load_audio(reserved / r["path"])) for r in held])
    centroid = real.mean(0) / np.linalg.norm(real.mean(0))
    texts = [r["text"] for r in held]
    ledger, voices_dir = work / "ledger.sqlite3", work / "voices"
    synth = Synthesizer.from_pretrained(ledger_path=ledger, voices_dir=voices_dir)
    builtin = {v: mean_similarity(synthesize_all(synth, v, texts, work), centroid) for v in synth.voices}
    nearest = max(builtin, key=builtin.get)
    references = reference_audio(speaker_id, max([*sizes, *vector_only]), work / f"ref-{speaker_id}")
    evidence = work / "evidence.txt"
    evidence.write_text("consent statement for the benchmark voice\n")
    rows = [Row(f"{speaker_id}: nearest built-in voice similarity", round(builtin[nearest], 3), "", "", None),
            Row(f"{speaker_id}: nearest built-in voice", nearest)]
    extra = {"builtin": builtin, "sizes": {}, "vector_only": {}}
    runs = [(s, adapter_steps > 0) for s in sizes] + [(s, False) for s in vector_only if adapter_steps > 0]
    for seconds, with_adapter in runs:
        chosen = take_seconds(references, seconds)
        name = f"{speaker_id.replace('-', '')}-{int(seconds)}s{'' if with_adapter else '-vector'}"
        consent = {"speaker_name": name, "consenting_person": "benchmark", "date": "2026-01-01",
                   "purposes": ["benchmark"], "expiry": "2099-01-01", "evidence": {"path": str(evidence)}}
        start = time.perf_counter()
        enroll_voice(name, [p for p, _ in chosen], consent, transcripts=[t for _, t in chosen],
                     voices_dir=voices_dir, ledger_path=ledger, steps=steps,
                     adapter=AdapterConfig(steps=adapter_steps) if with_adapter else None)
        wall = time.perf_counter() - start
        synth = Synthesizer.from_pretrained(ledger_path=ledger, voices_dir=voices_dir)
        similarity = mean_similarity(synthesize_all(synth, name, texts, work), centroid)
        if not with_adapter and adapter_steps > 0:  # the side-by-side baseline
            rows.append(Row(f"{speaker_id}: speaker vector only, from {seconds:g} s, similarity",
                            round(similarity, 3)))
            extra["vector_only"][str(seconds)] = {"similarity": similarity, "wall_seconds": wall,
                                                  "files": len(chosen)}
            continue
        rows.append(Row(f"{speaker_id}: cloned from {seconds:g} s, similarity", round(similarity, 3), "",
                        f">= {SIMILARITY_GOAL} and > nearest built-in",
                        at_least(similarity, SIMILARITY_GOAL) and similarity > builtin[nearest]))
        rows.append(Row(f"{speaker_id}: enrollment wall time, {seconds:g} s reference", round(wall, 1), "s",
                        "<= 600", wall <= 600))
        extra["sizes"][str(seconds)] = {"similarity": similarity, "wall_seconds": wall, "files": len(chosen)}
    return rows, extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cloning", description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", help="reserved voices (default flite-awb,festival-ked; --quick flite-awb)")
    parser.add_argument("--seconds", help="reference sizes (default 30,60,120,300; --quick 30,60)")
    parser.add_argument("--steps", type=int, default=150, help="speaker-vector steps (default 150)")
    parser.add_argument("--adapter-steps", type=int, default=150,
                        help="decoder-adapter steps (default 150; 0: the speaker vector alone)")
    parser.add_argument("--vector-only-seconds",
                        help="sizes at which the speaker vector alone is measured too (default: the largest "
                             "of --seconds; '' for none)")
    parser.add_argument("--reserved", type=Path, default=DEFAULT_RESERVED, help="reserved test corpus")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--results", default="cloning", help="results name: bench/results/NAME.json")
    parser.add_argument("--quick", action="store_true", help="one voice, 30 s and 1 min")
    args = parser.parse_args(argv)
    apply_size_defaults(args, {"voices": ("flite-awb,festival-ked", "flite-awb"),
                               "seconds": ("30,60,120,300", "30,60")})
    import torch

    torch.set_num_threads(args.threads)
    rows, extra = [], {}
    with tempfile.TemporaryDirectory() as folder:
        sizes = [float(s) for s in args.seconds.split(",") if s.strip()]
        vector_only = ([float(s) for s in args.vector_only_seconds.split(",") if s.strip()]
                       if args.vector_only_seconds is not None else [max(sizes)])
        for voice in args.voices.split(","):
            voice_rows, extra[voice] = bench_voice(voice, sizes, args.reserved, args.steps, Path(folder) / voice,
                                                   adapter_steps=args.adapter_steps, vector_only=vector_only)
            rows += voice_rows
    title = "Cloning: speaker similarity (resemblyzer) on reserved unseen voices"
    print_table(title, rows)
    print(f"\nwrote {write_results(args.results, title, rows, extra)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
