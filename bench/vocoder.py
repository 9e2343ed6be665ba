"""Benchmark of the neural vocoder (vocoder/).

    python -m bench.vocoder [--weights [LABEL=]PATH ...] [--corpus DIR ...] [--per-speaker N]
                            [--presets hn-small,base] [--no-train] [--quality-only] [--bf16]
                            [--update-card] [--dnsmos]

Always (random weights when no --weights): parameter count, real-time factor on 2 threads
for 10 s and 60 s of audio (whole-utterance and chunked; fastest of --repeats, the vocoders
timed in turns so their ratios hold on a noisy machine), peak RSS, and the training step
time on batch 16 x 1 s (generator-only and with discriminators, fp32 and bf16 autocast) so
training can be planned. With --weights and --corpus: copy-synthesis PESQ (wide band),
STOI and log-mel L1 per corpus (N clips of every speaker; goal PESQ >= 3.6 except on a
reserved corpus of unseen voices), and figures that do not depend on where each pulse falls
(MCD-DTW, F0 RMSE, gross pitch error, voicing error; PESQ does, see bench.vocoder_drift),
with Griffin-Lim on the same mels as the floor (--dnsmos: DNSMOS of every output and of the
teacher clips too); several
--weights are scored side by side on the same clips (bench/_vocoder_quality.py). With --bf16
every --weights is also run with its backbone under bf16 autocast (``precision="bf16"``, label
``LABEL-bf16``), timed and scored beside its float32 self. Prints a table and writes
bench/results/vocoder.json. Goal: RTF <= 0.01.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import time
from pathlib import Path

import torch

from bench.common import Row, at_most, print_table, write_results
from tts_moe.corpus.metadata import read_json
from vocoder.config import preset
from vocoder.loader import Vocoder
from vocoder.model import Generator, parameter_count
from vocoder.precision import native_bf16

RTF_GOAL = 0.01
THREADS = 2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TIMINGS: dict[str, dict] = {}  # every timing's min/median/max, saved with the results


def best_seconds(fn, repeats: int, name: str = "") -> float:
    """Fastest of ``repeats`` timed calls after one warm-up. The minimum, because on this
    shared machine other jobs only ever add time; the median and maximum are kept in
    TIMINGS (and the results JSON) to show how noisy the run was."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    if name:
        TIMINGS[name] = {"min": min(times), "median": statistics.median(times), "max": max(times)}
    return min(times)


def interleaved_seconds(calls: dict, repeats: int, name: str = "") -> dict[str, float]:
    """Fastest of ``repeats`` timed runs of every call in ``calls`` ({label: fn}), the calls
    taking turns within each repetition (after one warm-up each), so that a noisy period of
    the machine hits all of them alike and their ratios hold. Times go to TIMINGS."""
    for fn in calls.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(repeats):
        for label, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    for label, values in times.items():
        TIMINGS[f"{label} {name}".strip()] = {"min": min(values), "median": statistics.median(values),
                                             "max": max(values)}
    return {label: min(values) for label, values in times.items()}


def speed_rows(vocoders: dict[str, Vocoder], repeats: int) -> list[Row]:
    """RTF of every vocoder for 10 s and 60 s of frames, whole and chunked, at the current
    thread count; the vocoders are timed in turns (:func:`interleaved_seconds`)."""
    rows, threads, goal = [], torch.get_num_threads(), f"<= {RTF_GOAL}"
    first = next(iter(vocoders.values()))  # every vocoder here reads MelConfig() mels
    for seconds in (10, 60):
        frames = int(seconds * first.sample_rate / first.hop_length) + 1
        mel = torch.randn(first.config.n_mels, frames) - 5.0
        audio_seconds = frames * first.hop_length / first.sample_rate
        for mode in ("whole", "chunked"):
            calls = {f"{label} {threads}T": (lambda v=v: v(mel)) if mode == "whole" else
                     (lambda v=v: v.synthesize(mel)) for label, v in vocoders.items()}
            for label, value in interleaved_seconds(calls, repeats, f"{seconds} s {mode}").items():
                rtf = value / audio_seconds
                rows.append(Row(f"{label} RTF {seconds} s {mode}", round(rtf, 5), "", goal, at_most(rtf, RTF_GOAL)))
    return rows


class RandomBatches:
    """Stands in for SegmentDataset in step timing: noise-like audio and its mel."""

    def __init__(self, batch: int, frames: int):
        from tts_moe.audio import log_mel

        generator = torch.Generator().manual_seed(0)
        self.audio = 0.1 * torch.randn(batch, frames * 256, generator=generator)
        self.mel = log_mel(self.audio)[..., :frames].contiguous()

    def batch(self, seed: int, step: int, batch_size: int):
        return self.mel, self.audio

    def pitch_batch(self, seed: int, step: int, batch_size: int):
        """A gliding F0 track (all voiced) for the harmonic head."""
        glide = torch.linspace(math.log(120.0), math.log(180.0), self.mel.shape[-1])
        return glide.expand(self.mel.shape[0], -1).clone(), torch.ones(self.mel.shape[0], self.mel.shape[-1])


def train_step_rows(preset_name: str, repeats: int = 3) -> tuple[list[Row], dict]:
    """Best step time of a Trainer on a fixed random batch of 16 x 1 s (after one warm-up
    step); also returns the losses/grad norms of the last step."""
    from vocoder.train import Trainer, TrainOptions

    rows, last = [], {}
    data = RandomBatches(16, 63)  # 16 x 1.008 s
    config = preset(preset_name)
    for adversarial, bf16 in ((False, False), (False, True), (True, False), (True, True)):
        options = TrainOptions(corpus="-", run_dir="-", batch_size=16, preset=preset_name,
                               disc_start_step=0 if adversarial else 10**9, bf16=bf16, warmup_steps=1)
        trainer = Trainer(options, config, data)
        metrics = {}
        kind = "G+D" if adversarial else "G only"
        name = f"train step {preset_name} {kind} {'bf16' if bf16 else 'fp32'} {torch.get_num_threads()}T"
        seconds = best_seconds(lambda step=trainer.step: metrics.update(step()), repeats, name)
        rows.append(Row(name + " (16 x 1 s)", round(seconds, 3), "s"))
        last[name] = metrics
        discriminator_parameters = parameter_count(trainer.discriminators)
        del trainer  # free its memory before the next one is built
    rows.append(Row("discriminator parameters", discriminator_parameters))
    return rows, last


def quality_rows(vocoders: dict, corpora: list[Path], per_speaker: int,
                 with_dnsmos: bool = False) -> tuple[list[Row], dict]:
    """Copy-synthesis rows for every corpus (see bench/_vocoder_quality.py)."""
    from bench._vocoder_quality import corpus_clips, score_clips, summary_rows

    rows, extra = [], {}
    training = next(iter(vocoders.values())).card.get("training")
    for corpus in corpora:
        manifest = read_json(corpus / "manifest.json")
        clips = corpus_clips(corpus, per_speaker, training)
        if not clips:
            rows.append(Row(f"{corpus.name}: clips", 0))
            continue
        scored = score_clips(vocoders, clips, with_dnsmos=with_dnsmos)
        rows += summary_rows(corpus.name, scored, list(vocoders), with_goal=manifest.get("kind") != "reserved")
        extra[corpus.name] = scored
    return rows, extra


def parse_weights(specs: list[str]) -> dict[str, str]:
    """``["PATH", "LABEL=PATH", ...]`` -> ``{label: path}`` (a lone PATH is labelled "weights")."""
    out = {}
    for index, spec in enumerate(specs):
        label, _, path = spec.rpartition("=")
        out[label or ("weights" if len(specs) == 1 else f"weights{index + 1}")] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", action="append", default=[], metavar="[LABEL=]PATH",
                        help="vocoder folder or .safetensors; repeat to compare weights side by side "
                             "(default: random weights only)")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="corpus folder for copy-synthesis quality (repeatable), e.g. "
                             "/work/corpora/heldout-test and /work/corpora/reserved-test")
    parser.add_argument("--per-speaker", type=int, default=5, help="clips per speaker and corpus (default 5)")
    parser.add_argument("--quality-only", action="store_true", help="skip speed and training-step timing")
    parser.add_argument("--presets", default="hn-small,base", help="random-weight presets to time")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (the fastest is reported)")
    parser.add_argument("--threads", default="2,1",
                        help="thread counts for RTF (default 2,1; the goal is for 2 cores)")
    parser.add_argument("--train-presets", default="hn-small,base", help="presets whose training step is timed")
    parser.add_argument("--no-train", action="store_true", help="skip training step timing")
    parser.add_argument("--results", default="vocoder", help="results name: bench/results/NAME.json")
    parser.add_argument("--bf16", action="store_true",
                        help="also run every --weights with a bf16 backbone (LABEL-bf16), side by side")
    parser.add_argument("--update-card", action="store_true", help="write the figures into the weights' model card")
    parser.add_argument("--dnsmos", action="store_true",
                        help="also score DNSMOS (reference-free) of every output and of the teacher clips")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    extra: dict = {"load_average_start": os.getloadavg()}

    weights = parse_weights(args.weights)
    vocoders = {label: Vocoder.from_pretrained(path) for label, path in weights.items()}
    if args.bf16:
        vocoders.update({f"{label}-bf16": Vocoder(v.generator, v.card, precision="bf16")
                         for label, v in list(vocoders.items())})
    extra["native_bf16"] = native_bf16()
    trained = dict(vocoders)
    for name in filter(None, "" if args.quality_only else args.presets.split(",")):
        torch.manual_seed(0)
        vocoders[name] = Vocoder(Generator(preset(name)))
    for label, vocoder in vocoders.items():
        if vocoder.precision == "fp32":  # a bf16 variant shares its float32 twin's generator
            rows.append(Row(f"{label} parameters", parameter_count(vocoder.generator)))
    for threads in (int(t) for t in ("" if args.quality_only else args.threads).split(",") if t):
        torch.set_num_threads(threads)
        rows += speed_rows(vocoders, args.repeats)
    torch.set_num_threads(THREADS)
    rows.append(Row("peak RSS after inference", round(peak_rss_mb(), 1), "MB"))

    if trained and args.corpus:
        quality, extra["quality"] = quality_rows(trained, args.corpus, args.per_speaker, args.dnsmos)
        rows += quality
    if not (args.no_train or args.quality_only):
        extra["train_step_metrics"] = {}
        for name in filter(None, args.train_presets.split(",")):
            step_rows, extra["train_step_metrics"][name] = train_step_rows(name)
            rows += step_rows
        rows.append(Row("peak RSS after training steps", round(peak_rss_mb(), 1), "MB"))

    extra["load_average_end"] = os.getloadavg()
    extra["timings_seconds"] = TIMINGS
    title = "Vocoder: speed, training cost, copy-synthesis quality"
    print_table(title, rows)
    path = write_results(args.results, title, rows, extra)
    print(f"\nwrote {path}")
    if args.update_card:
        if len(weights) != 1:
            raise SystemExit("--update-card needs exactly one --weights")
        update_card(next(iter(weights.values())), rows)
    return 0


def update_card(weights: str, rows: list[Row]) -> None:
    from vocoder.loader import _resolve

    _, card_path = _resolve(weights)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.setdefault("measured", {})["bench"] = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "threads": THREADS,
        "figures": {r.metric: r.value for r in rows if not r.metric.startswith(("small", "base", "tiny"))},
    }
    temp = card_path.with_name(f".{card_path.name}.tmp")
    temp.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    temp.replace(card_path)
    print(f"updated {card_path}")


if __name__ == "__main__":
    raise SystemExit(main())
