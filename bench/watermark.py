"""Watermark benchmark: robustness table, imperceptibility and speed.

    python -m bench.watermark [--weights DIR] [--corpus DIR] [--clips N]
    python -m bench.watermark --configs        # RTF of the candidate network sizes

Held-out speech (default /work/corpora/heldout-test: teacher renderings of LJ Speech
test.txt) is marked with random payloads. Every edit of ``watermark.augment.EDITS`` (the
training augmentations, one implementation) plus "splice into unmarked audio" is applied to
the marked clips and to all unmarked clips of the corpus (plus reserved-test, as plain
unmarked speech). The detection threshold is calibrated on those unmarked (clean and edited)
clips for a false-positive rate of 1e-3; per edit we report the true-positive rate at that
threshold and the payload bit accuracy. Imperceptibility: SI-SNR
and PESQ (wide band) of marked vs unmarked. Speed: embed and detect real-time factor on 2
threads (10 s of audio). Without ``--weights`` the networks are random: every figure except
speed is then chance-level, and the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from bench.common import Row, at_least, at_most, print_table, write_results
from tts_moe.audio import load_audio
from watermark.augment import EDITS, splice
from watermark.model import PRESETS, WatermarkConfig, build_networks, parameter_count
from watermark.payload import PayloadConfig
from watermark.watermarker import Watermarker

DEFAULT_CORPUS = Path("/work/corpora/heldout-test")
EXTRA_UNMARKED = Path("/work/corpora/reserved-test")  # more unmarked speech, for calibration only
TARGET_FPR = 1e-3
SPLICE = "splice into unmarked"

# Candidate sizes for `--configs` (name -> WatermarkConfig); "compact" is the shipped preset.
CANDIDATES: dict[str, WatermarkConfig] = {
    "official (32 filters, dim 128, 2 LSTM)": PRESETS["official"],
    "f16 d64 lstm1": WatermarkConfig(n_filters=16, dimension=64, lstm=1, ratios=(8, 5, 4, 2)),
    "f8 d32 lstm1": WatermarkConfig(n_filters=8, dimension=32, lstm=1, ratios=(8, 5, 4, 2)),
    "f8 d32 lstm0": WatermarkConfig(n_filters=8, dimension=32, lstm=0, ratios=(8, 5, 4, 2)),
    "f4 d32 lstm1": WatermarkConfig(n_filters=4, dimension=32, lstm=1, ratios=(8, 5, 4, 2)),
    "compact preset (f8 d32 lstm1 ratios 2,4,5,8)": PRESETS["compact"],
    "f16 d64 lstm1 ratios 2,4,5,8": WatermarkConfig(n_filters=16, dimension=64, lstm=1, ratios=(2, 4, 5, 8)),
    "f4 d32 lstm1 ratios 2,4,5,8": WatermarkConfig(n_filters=4, dimension=32, lstm=1, ratios=(2, 4, 5, 8)),
}


def gflops_per_second(networks, config: WatermarkConfig) -> tuple[float, float]:
    """Floating-point operations (GFLOP) per second of audio of (generator, detector):
    torch's counter for convolutions and matrix products, plus the LSTMs counted by hand."""
    from torch.utils.flop_counter import FlopCounterMode

    from watermark.model import detector_logits, message_bits, watermark_signal

    audio, bits = torch.zeros(1, 16_000), message_bits(torch.tensor([1]))
    totals = []
    for run_network in (lambda: watermark_signal(networks.generator, audio, bits),
                        lambda: detector_logits(networks.detector, audio)):
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            run_network()
        totals.append(counter.get_total_flops())
    width = config.n_filters * 2 ** len(config.ratios)  # LSTM size at the bottleneck
    lstm = config.lstm * 2 * 4 * (2 * width) * width * (16_000 // config.hop)  # per network
    return (totals[0] + lstm) / 1e9, (totals[1] + lstm) / 1e9


def load_clips(corpus: Path, count: int, max_seconds: float) -> list[np.ndarray]:
    records = [json.loads(line) for line in (corpus / "metadata.jsonl").read_text().splitlines() if line.strip()]
    records.sort(key=lambda r: r["id"])
    limit = int(max_seconds * 16_000)
    return [load_audio(corpus / r["path"])[:limit] for r in records[:count]]


def edit_clip(name: str, audio: np.ndarray, seed: int, unmarked: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Apply edit ``name`` to one clip; returns (edited audio, mask of marked samples)."""
    tensor = torch.from_numpy(audio)[None]
    mask = torch.ones_like(tensor)
    generator = torch.Generator().manual_seed(seed)
    if name == SPLICE:
        other = torch.from_numpy(np.resize(unmarked, audio.size))[None]
        out, mask = splice(tensor, mask, generator, unmarked=other, fraction=0.5)
    else:
        out, mask = EDITS[name](tensor, mask, generator)
    return out[0].numpy().astype(np.float32), mask[0].numpy()


def threshold_for_fpr(negatives: list[float], fpr: float) -> float:
    """Lowest threshold with at most ``fpr`` of ``negatives`` at or above it."""
    ordered = sorted(negatives, reverse=True)
    allowed = int(np.floor(fpr * len(ordered)))
    return float(np.nextafter(ordered[allowed], 1.0)) if allowed < len(ordered) else 0.0


def bit_accuracy(bit_probabilities: list[float], payload: int) -> float:
    """Share of the 16 bits decoded right (0.5, chance, when nothing was decoded)."""
    if not bit_probabilities:
        return 0.5
    bits = (np.asarray(bit_probabilities) > 0.5).astype(int)
    truth = np.array([(payload >> (15 - i)) & 1 for i in range(16)])
    return float((bits == truth).mean())


def si_snr(reference: np.ndarray, estimate: np.ndarray) -> float:
    reference, estimate = reference - reference.mean(), estimate - estimate.mean()
    target = (estimate @ reference) / (reference @ reference + 1e-12) * reference
    return float(10 * np.log10((target @ target) / (((estimate - target) ** 2).sum() + 1e-12)))


def pesq_wb(reference: np.ndarray, degraded: np.ndarray) -> float | None:
    try:
        from pesq import pesq
    except ImportError:
        return None
    try:
        return float(pesq(16_000, reference, degraded, "wb"))
    except Exception:  # pesq raises on clips it cannot align (e.g. silence)
        return None


def measure_rtf(marker: Watermarker, seconds: float = 10.0, repeats: int = 3) -> tuple[float, float]:
    torch.set_num_threads(2)
    audio = (0.1 * np.random.default_rng(0).standard_normal(int(seconds * 16_000))).astype(np.float32)
    marker.detect(marker.embed(audio[:16_000], 1))  # warm-up
    embed, detect = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        marked = marker.embed(audio, 1)
        embed.append(time.perf_counter() - start)
        start = time.perf_counter()
        marker.detect(marked)
        detect.append(time.perf_counter() - start)
    return statistics.median(embed) / seconds, statistics.median(detect) / seconds


def run_configs(note: str) -> None:
    rows = []
    for name, config in CANDIDATES.items():
        networks = build_networks(config)
        embed, detect = measure_rtf(Watermarker(networks))
        params = (parameter_count(networks.generator), parameter_count(networks.detector))
        flops = gflops_per_second(networks, config)
        rows.append(Row(f"{name}: GFLOP per second of audio G / D", f"{flops[0]:.3f} / {flops[1]:.3f}"))
        rows.append(Row(f"{name}: embed + detect RTF", round(embed + detect, 4), "x real time", "<= 0.02",
                        at_most(embed + detect, 0.02)))
        rows.append(Row(f"{name}: embed / detect RTF", f"{embed:.4f} / {detect:.4f}"))
        rows.append(Row(f"{name}: parameters G / D", f"{params[0]:,} / {params[1]:,}"))
        print(f"{name}: embed {embed:.4f} detect {detect:.4f} params {params} GFLOP {flops}", flush=True)
    title = f"Watermark network sizes: RTF on 2 threads, 10 s audio, random weights. {note}".strip()
    print_table(title, rows)
    print(f"saved {write_results('watermark_configs', title, rows)}")


def run(args: argparse.Namespace) -> None:
    if args.weights:
        marker = Watermarker.from_pretrained(args.weights)
        status = f"weights {args.weights}"
    else:
        torch.manual_seed(0)
        marker = Watermarker(build_networks(PRESETS[args.preset]))
        status = (f"RANDOM (untrained) '{args.preset}' networks: detection and bit accuracy are "
                  "chance-level by construction; only speed is meaningful")
    if args.mark_snr is not None:
        marker.networks.generator.target_snr_db = args.mark_snr  # read by watermark_signal
    status += f", mark {marker.networks.generator.target_snr_db:g} dB"
    if args.no_payload_channel:
        marker.payload_channel = None
    elif args.payload_snr is not None:
        marker.payload_channel = replace(marker.payload_channel or PayloadConfig(), snr_db=args.payload_snr)
    channel = marker.payload_channel
    status += (", payload: AudioSeal message path" if channel is None else
               f", payload: spread-spectrum channel {channel.snr_db:g} dB, period {channel.period}")
    unmarked = load_clips(args.corpus, args.calibration_clips, args.max_seconds)
    clips = unmarked[: args.clips]
    if args.extra_unmarked and Path(args.extra_unmarked).is_dir():
        unmarked += load_clips(Path(args.extra_unmarked), args.calibration_clips, args.max_seconds)
    rng = np.random.default_rng(0)
    payloads = [int(p) for p in rng.integers(0, 65536, len(clips))]
    marked = [marker.embed(clip, p) for clip, p in zip(clips, payloads)]
    names = list(EDITS) + [SPLICE]

    def score(audio: np.ndarray, threshold: float = 0.5) -> tuple[float, list[float]]:
        """The clip score (best 1 s window of frame probabilities, or the payload channel's
        sync score when higher) and P(bit = 1) per bit (empty: nothing decoded)."""
        found = marker.detect(audio, threshold=threshold)
        return found.probability, found.bit_probabilities

    negatives: list[float] = []
    for index, clip in enumerate(unmarked):
        other = clips[(index + 1) % len(clips)]
        for name in names:
            edited, _ = edit_clip(name, clip, seed=index, unmarked=other)
            negatives.append(score(edited)[0])
    threshold = threshold_for_fpr(negatives, TARGET_FPR)
    results = robustness(names, marked, payloads, clips, threshold, score)
    toolkit = {}
    if args.toolkit_clips:
        made, made_payloads = toolkit_output(marker, args.corpus, args.toolkit_clips)
        toolkit = robustness(names, made, made_payloads, clips, threshold, score, label="toolkit output: ")
    rows = [Row("clips (marked) / unmarked scores for calibration", f"{len(clips)} / {len(negatives)}"),
            Row("false positives allowed among them", int(np.floor(TARGET_FPR * len(negatives)))),
            Row("threshold at FPR 1e-3 (clip score)", round(threshold, 4))]
    for name, (tpr, acc) in results.items():
        tpr_goal = ">= 0.99" if name == "clean" else ""
        rows.append(Row(f"TPR @ FPR 1e-3: {name}", round(tpr, 3), "", tpr_goal,
                        at_least(tpr, 0.99) if name == "clean" else None))
        rows.append(Row(f"bit accuracy: {name}", round(acc, 3), "", ">= 0.98" if name == "clean" else "",
                        at_least(acc, 0.98) if name == "clean" else None))
    edited_tpr = float(np.mean([tpr for name, (tpr, _) in results.items() if name != "clean"]))
    rows.append(Row("TPR @ FPR 1e-3: mean over edits", round(edited_tpr, 3), "", ">= 0.95", at_least(edited_tpr, 0.95)))
    if toolkit:
        rows.append(Row("toolkit output: clips (long-form synthesizer, shipped voices)", args.toolkit_clips))
        for name, (tpr, acc) in toolkit.items():
            rows.append(Row(f"toolkit output: TPR / bit accuracy: {name}", f"{tpr:.3f} / {acc:.3f}"))
        toolkit_tpr = float(np.mean([tpr for name, (tpr, _) in toolkit.items() if name != "clean"]))
        rows.append(Row("toolkit output: TPR @ FPR 1e-3: mean over edits", round(toolkit_tpr, 3), "", ">= 0.95",
                        at_least(toolkit_tpr, 0.95)))
    snrs = [si_snr(c, m) for c, m in zip(clips, marked)]
    pesqs = [p for p in (pesq_wb(c, m) for c, m in zip(clips, marked)) if p is not None]
    rows.append(Row("SI-SNR marked vs unmarked", round(float(np.mean(snrs)), 2), "dB"))
    if pesqs:
        rows.append(Row("PESQ (wb) marked vs unmarked", round(float(np.mean(pesqs)), 3), "", ">= 4.0",
                        at_least(float(np.mean(pesqs)), 4.0)))
    embed, detect = measure_rtf(marker)
    rows += [Row("embed RTF (2 threads)", round(embed, 4), "x real time"),
             Row("detect RTF (2 threads)", round(detect, 4), "x real time"),
             Row("embed + detect RTF", round(embed + detect, 4), "x real time", "<= 0.02", at_most(embed + detect, 0.02))]
    title = f"Watermark robustness on {args.corpus.name} ({status}). {args.note}".strip()
    print_table(title, rows)
    path = write_results("watermark", title, rows, {
        "weights": args.weights or f"random {args.preset}", "corpus": str(args.corpus),
        "config": marker.config.to_dict(), "threshold": threshold,
        "payload_channel": None if channel is None else channel.to_dict(),
        "per_edit": {k: {"tpr": v[0], "bit_accuracy": v[1]} for k, v in results.items()},
        "toolkit_per_edit": {k: {"tpr": v[0], "bit_accuracy": v[1]} for k, v in toolkit.items()}})
    print(f"saved {path}")


def robustness(names: list[str], marked: list[np.ndarray], payloads: list[int], others: list[np.ndarray],
               threshold: float, score, *, label: str = "") -> dict[str, tuple[float, float]]:
    """``{edit: (TPR at threshold, mean bit accuracy)}`` over the ``marked`` clips with known
    ``payloads`` (``others``: unmarked clips to splice into)."""
    results = {}
    for name in names:
        scores, accuracies = [], []
        for index, (mark, payload) in enumerate(zip(marked, payloads)):
            edited, _ = edit_clip(name, mark, seed=1000 + index, unmarked=others[(index + 1) % len(others)])
            clip_score, bit_probabilities = score(edited, threshold)
            scores.append(clip_score)
            accuracies.append(bit_accuracy(bit_probabilities, payload))
        results[name] = (float(np.mean(np.array(scores) >= threshold)), float(np.mean(accuracies)))
        print(f"{label}{name}: TPR {results[name][0]:.3f} bit accuracy {results[name][1]:.3f}", flush=True)
    return results


def toolkit_output(marker: Watermarker, corpus: Path, count: int) -> tuple[list[np.ndarray], list[int]]:
    """``count`` held-out sentences spoken by the long-form synthesizer (shipped acoustic model,
    vocoder and default voice; marked by ``marker``, logged in a throw-away ledger): the
    marked clips and their payloads."""
    import tempfile

    from tts_moe import Synthesizer

    records = [json.loads(line) for line in (corpus / "metadata.jsonl").read_text().splitlines() if line.strip()]
    texts = list(dict.fromkeys(r["text"] for r in sorted(records, key=lambda r: r["id"])))[:count]
    clips, payloads = [], []
    with tempfile.TemporaryDirectory() as work:
        synth = Synthesizer.from_pretrained(ledger_path=Path(work) / "ledger.sqlite3")
        synth.watermarker = marker  # the weights and overrides under test
        for index, text in enumerate(texts):
            result = synth.synthesize(text, Path(work) / f"clip{index}.wav", progress=False)
            clips.append(load_audio(Path(work) / f"clip{index}.wav"))
            payloads.append(result.payload)
    return clips, payloads


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help="exported watermark folder (default: random networks)")
    parser.add_argument("--preset", default="compact", help="size of the random networks (default compact)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="held-out corpus folder")
    parser.add_argument("--extra-unmarked", default=os.environ.get("WATERMARK_BENCH_UNMARKED", str(EXTRA_UNMARKED)),
                        help="another corpus folder whose clips only serve as unmarked calibration "
                             f"audio (default {EXTRA_UNMARKED} when present; '' for none)")
    parser.add_argument("--clips", type=int, default=20, help="marked clips (default 20)")
    parser.add_argument("--calibration-clips", type=int, default=100,
                        help="unmarked clips per corpus for the threshold, each under every edit (default 100)")
    parser.add_argument("--max-seconds", type=float, default=6.0, help="clip length cap (default 6)")
    parser.add_argument("--payload-snr", type=float, default=None,
                        help="override the payload channel's level below the audio, dB (default: the card's)")
    parser.add_argument("--toolkit-clips", type=int, default=0, metavar="N",
                        help="also measure on N held-out sentences spoken by the toolkit's own synthesizer")
    parser.add_argument("--mark-snr", type=float, default=None,
                        help="override the SEANet mark's level below the audio, dB (default: the card's target_snr_db)")
    parser.add_argument("--no-payload-channel", action="store_true",
                        help="measure without the spread-spectrum payload channel (AudioSeal's message path only)")
    parser.add_argument("--configs", action="store_true", help="measure candidate network sizes instead")
    parser.add_argument("--note", default="", help="text appended to the title (e.g. machine load)")
    args = parser.parse_args(argv)
    if args.configs:
        run_configs(args.note)
    else:
        run(args)


if __name__ == "__main__":
    main()
