"""Benchmark of the MoE acoustic model (tts_moe/acoustic/): quality, expert use, speed.

    python -m bench.acoustic [--weights DIR] [--vocoder DIR] [--vocoder-precision auto] [--corpus DIR]
                             [--clips N] [--threads 2] [--parts quality,moe,speed] [--quick]

quality  On the held-out corpus (LJ Speech test.txt sentences rendered by every training
         speaker; default ../corpora/heldout-test): each clip's phonemes are synthesised for
         its speaker and style, vocoded with Griffin-Lim and with the shipped neural vocoder
         (in the synthesizer's precision unless --vocoder-precision says otherwise),
         and compared with the teacher's wav: MCD-DTW (with the floor: the teacher's own mel
         through the same vocoder), F0 RMSE in cents, gross pitch error, voicing error,
         total-duration ratio, and pause-delimited phrase durations against the teacher's
         phone timings (see bench/_acoustic_quality.py for why not per phoneme or word); the
         same for the durations the learned aligner finds on the teacher's own mel.
moe      Per MoE block: each expert's share of phonemes (flagged under 1/4 of the fair
         share), and how much the first-choice expert depends on style and on phoneme class
         (mutual information in bits, with its permutation chance level, and contingency
         tables), from the same sentences encoded in every style for a few speakers.
         Heatmap: bench/results/NAME_experts.png.
speed    Acoustic-model RTF of a ~10 s utterance (median of --repeats after warm-up), MoE
         and dense fallback path; throughput at batch 1, 8, 32; parameters total vs active.

Prints tables and writes bench/results/NAME.json (NAME = --results, default "acoustic").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

import bench.common
from bench import _acoustic_quality as quality
from bench import _acoustic_speed as speed
from bench import _moe_stats as stats
from bench._png import Panel, heatmap_grid, write_png
from bench.common import Row, at_least, at_most, print_table, write_results
from tts_moe.errors import InputError, TTSMoeError
from tts_moe.paths import REPO_ROOT
from tts_moe.text.symbols import SymbolTable
from vocoder.precision import PRECISIONS, SYNTHESIS_PRECISION

DEFAULT_CORPUS = REPO_ROOT.parent / "corpora" / "heldout-test"
RTF_GOAL = 0.01
MOE_SPEAKERS = ("flite-slt", "festival-kal", "espeak-en-us+m3")


# ------------------------------------------------------------------ corpus
def corpus_records(corpus: Path, model) -> tuple[list[dict], list[str]]:
    """Clips of ``corpus`` the model can speak (sorted by id) and notes on the ones skipped."""
    from tts_moe.corpus.metadata import load_metadata

    if not (corpus / "metadata.jsonl").is_file():
        raise InputError(f"{corpus} is not a corpus folder (no metadata.jsonl): pass --corpus, e.g. "
                         f"{DEFAULT_CORPUS}, built with `tts-moe corpus build`")
    records = sorted(load_metadata(corpus, repair=False).values(), key=lambda r: r["id"])
    config, kept, skipped = model.config, [], []
    for record in records:
        if record["speaker"] not in config.speakers or record["style"] not in config.styles:
            skipped.append(f"{record['id']}: speaker/style unknown to the model")
        else:
            kept.append(record)
    return kept, skipped


def per_speaker(records: list[dict], count: int) -> list[dict]:
    taken: dict[str, int] = {}
    out = []
    for record in records:
        if taken.get(record["speaker"], 0) < count:
            taken[record["speaker"]] = taken.get(record["speaker"], 0) + 1
            out.append(record)
    return out


def sentences_for(records: list[dict], language: str, limit: int | None = None) -> list[str]:
    """Distinct phoneme strings of clips in ``language`` (any language when there are none)."""
    chosen = [r for r in records if r.get("language", "en-us") == language] or records
    seen: dict[str, str] = {}
    for record in chosen:
        seen.setdefault(record.get("text_id", record["id"]), record["phonemes"])
    return list(seen.values())[:limit]


# ------------------------------------------------------------------ quality
def quality_section(model, vocoder, records: list[dict], corpus: Path, symbols: SymbolTable) -> tuple[list[Row], dict]:
    clips = []
    for number, record in enumerate(records, 1):
        try:
            clips.append(quality.measure_clip(model, vocoder, record, corpus, symbols))
        except TTSMoeError as error:  # e.g. unreadable audio or an unknown phoneme: counted, reported
            clips.append({"id": record["id"], "speaker": record["speaker"], "error": f"{type(error).__name__}: {error}"})
        print(f"  quality {number}/{len(records)} {record['id']}", file=sys.stderr, flush=True)
    hop, rate = int(model.config.mel["hop_length"]), int(model.config.mel["sample_rate"])
    summary = quality.summarise(clips, hop, rate)
    overall = summary["ALL"]
    rows = [Row("quality clips", overall["clips"]), Row("quality clips failing a measure", overall["errors"])]
    labels = {"mcd_db": ("MCD-DTW", "dB"), "f0_rmse_cents": ("F0 RMSE", "cents"),
              "gross_pitch_error": ("gross pitch error", ""), "voicing_decision_error": ("voicing error", "")}
    for name in ("neural", "griffin_lim"):
        for key, (label, unit) in labels.items():
            rows.append(Row(f"{label} ({name})", _rounded(overall.get(f"{key} {name}")), unit))
            rows.append(Row(f"{label} floor: teacher mel ({name})", _rounded(overall.get(f"{key} {name} floor")), unit))
    rows += [Row("total duration ratio model/teacher", _rounded(overall.get("duration_ratio"))),
             Row("speech duration ratio (phrases only)", _rounded(overall.get("speech_ratio"))),
             Row("clips with teacher timings", overall["clips_with_timings"]),
             Row("phrase count matches teacher", _rounded(overall.get("phrase_count_match")), "share"),
             Row("phrase duration MAE", _rounded(overall.get("phrase_mae_ms")), "ms"),
             Row("phrase duration correlation", _rounded(overall.get("phrase_correlation"))),
             Row("internal pause MAE", _rounded(overall.get("pause_mae_ms")), "ms"),
             Row("learned aligner: phrase count matches teacher", _rounded(overall.get("aligned_phrase_count_match")),
                 "share"),
             Row("learned aligner: phrase duration MAE", _rounded(overall.get("aligned_phrase_mae_ms")), "ms"),
             Row("learned aligner: phrase duration correlation", _rounded(overall.get("aligned_phrase_correlation"))),
             Row("learned aligner: internal pause MAE", _rounded(overall.get("aligned_pause_mae_ms")), "ms")]
    return rows, {"summary": summary, "clips": clips}


def print_speakers(summary: dict) -> None:
    columns = [("clips", "clips"), ("mcd_db griffin_lim", "MCD GL"), ("mcd_db neural", "MCD voc"),
               ("mcd_db neural floor", "floor voc"), ("f0_rmse_cents neural", "F0 cents"),
               ("gross_pitch_error neural", "GPE"), ("voicing_decision_error neural", "VDE"),
               ("duration_ratio", "dur ratio"), ("phrase_mae_ms", "phrase MAE ms")]
    width = max(len(s) for s in summary) + 2
    print("\nPer speaker (means over clips; voc = shipped neural vocoder, GL = Griffin-Lim)")
    print("speaker".ljust(width) + "".join(label.rjust(14) for _, label in columns))
    for speaker, figures in summary.items():
        cells = [figures.get(key) for key, _ in columns]
        print(speaker.ljust(width) + "".join(("-" if v is None else f"{v:.3g}").rjust(14) for v in cells))


# ------------------------------------------------------------------ experts
@torch.inference_mode()
def routing_samples(model, speakers: list[str], sentences: dict[str, list[str]], symbols: SymbolTable,
                    batch: int = 32) -> dict:
    """First-choice and top-k experts per MoE block for every phoneme of every sentence,
    encoded for each speaker in every style; with the style, speaker and phoneme-class labels."""
    config = model.config
    lookup = stats.class_lookup(symbols.symbols)
    experts = [[] for _ in config.moe_layers]
    labels = {"style": [], "speaker": [], "class": []}
    for speaker in speakers:
        phrases = sentences[speaker]
        for style_index in range(len(config.styles)):
            for start in range(0, len(phrases), batch):
                ids, mask, spk, sty = speed.batch_inputs(model, phrases[start:start + batch],
                                                         config.speakers.index(speaker), style_index, symbols)
                _, routing = model.encode(ids, mask, model.condition(spk, sty))
                for block, r in enumerate(routing):
                    experts[block].append(r.experts[mask].numpy())
                count = int(mask.sum())
                labels["style"].append(np.full(count, style_index))
                labels["speaker"].append(np.full(count, speakers.index(speaker)))
                labels["class"].append(lookup[ids[mask].numpy()])
    return {"experts": [np.concatenate(e) for e in experts],
            **{k: np.concatenate(v) for k, v in labels.items()}}


def moe_section(model, records: list[dict], symbols: SymbolTable, speakers: list[str], sentence_limit: int,
                results_name: str) -> tuple[list[Row], dict]:
    config = model.config
    if not config.mixture:
        return [Row("MoE", "dense model: no routing")], {}
    sentences = {s: sentences_for(records, config.speaker_languages.get(s, "en-us"), sentence_limit) for s in speakers}
    samples = routing_samples(model, speakers, sentences, symbols)
    n = config.num_experts
    expert_names = [f"e{i}" for i in range(n)]
    rows = [Row("MoE sample: speakers x styles x sentences",
                f"{len(speakers)}x{len(config.styles)}x{max(len(v) for v in sentences.values())}"),
            Row("MoE sample: phonemes", len(samples["style"]))]
    extra, panels = {"speakers": speakers, "sentences": sentences, "blocks": {}}, []
    factors = (("style", list(config.styles)), ("class", list(stats.PHONEME_CLASSES)), ("speaker", speakers))
    for block, layer in enumerate(config.moe_layers):
        top = samples["experts"][block]
        shares = stats.expert_shares(top, n)
        name = f"block {layer}"
        rows.append(Row(f"{name} min expert share / fair share", round(shares["min_share_vs_fair"], 3), "",
                        f">= {stats.STARVING_FRACTION}", at_least(shares["min_share_vs_fair"], stats.STARVING_FRACTION)))
        rows.append(Row(f"{name} experts under 1/4 fair share", ",".join(map(str, shares["starving"])) or "none"))
        print(f"\n{name}: share of phonemes per expert, all {config.top_k} slots (first choice): " + ", ".join(
            f"e{i} {100 * a:.1f}% ({100 * b:.1f}%)" for i, (a, b) in enumerate(zip(shares["share"], shares["top1_share"]))))
        block_extra = {"share": shares["share"].tolist(), "top1_share": shares["top1_share"].tolist(),
                       "starving": shares["starving"]}
        for factor, names in factors:
            if factor == "speaker" and len(speakers) < 2:
                continue
            dep = stats.dependence(top[:, 0], samples[factor], n, len(names))
            rows.append(Row(f"{name} MI(expert; {factor})", round(dep["mi_bits"], 4), "bits"))
            rows.append(Row(f"{name} MI(expert; {factor}) by chance", round(dep["chance_mi_bits"], 4), "bits"))
            rows.append(Row(f"{name} MI(expert; {factor}) / H(expert)", round(dep["mi_share"], 4)))
            block_extra[factor] = {**{k: v for k, v in dep.items() if k != "table"},
                                   "labels": names, "table": dep["table"].tolist()}
            print(f"\n{name}: first-choice expert by {factor} (% of each column)")
            print(stats.format_table(dep["table"], expert_names, names))
        panels.append([Panel(f"block {layer}: P(expert | {factor})",
                             stats.column_profiles(np.array(block_extra[factor]["table"])), expert_names,
                             block_extra[factor]["labels"]) for factor in ("style", "class")])
        extra["blocks"][name] = block_extra
    path = bench.common.RESULTS_DIR / f"{results_name}_experts.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, heatmap_grid(panels, "first-choice expert share in each column (percent)"))
    extra["heatmap"] = str(path)
    rows.append(Row("expert heatmap", path.name))
    return rows, extra


# ------------------------------------------------------------------ speed
def speed_section(model, records: list[dict], symbols: SymbolTable, speaker: str, repeats: int,
                  batch_sentences: int, batch_sizes: list[int]) -> tuple[list[Row], dict]:
    config = model.config
    threads = torch.get_num_threads()
    spk = config.speakers.index(speaker)
    style = config.styles.index("neutral") if "neutral" in config.styles else 0
    pool = sentences_for(records, config.speaker_languages.get(speaker, "en-us"))
    counts = speed.parameter_counts(model)
    rows = [Row("parameters (inference, total)", counts["total"]),
            Row("parameters active per phoneme", counts["active_per_phoneme"]),
            Row("parameters in experts", counts["experts"])]
    utterance = speed.utterance_of_seconds(model, pool, spk, style, symbols, 10.0)
    extra = {"parameters": counts, "speaker": speaker, "threads": threads}
    for dense in ((False, True) if config.mixture else (False,)):
        result = speed.utterance_rtf(model, utterance, spk, style, symbols, repeats, dense=dense)
        label = "dense fallback" if dense else ("MoE" if config.mixture else "dense model")
        rows.append(Row(f"RTF ~10 s utterance, {label}, {threads}T", round(result["rtf"], 5), "",
                        f"<= {RTF_GOAL}", at_most(result["rtf"], RTF_GOAL)))
        rows.append(Row(f"  audio seconds ({label})", round(result["audio_seconds"], 2), "s"))
        extra[f"utterance {label}"] = result
    sentences = [pool[i % len(pool)] for i in range(batch_sentences)]
    for size in batch_sizes:
        result = speed.batch_throughput(model, sentences, size, spk, style, symbols, max(1, repeats // 3))
        rows.append(Row(f"batch {size}: sentences/s ({threads}T)", round(result["sentences_per_second"], 2)))
        rows.append(Row(f"batch {size}: RTF ({threads}T)", round(result["rtf"], 5)))
        extra[f"batch {size}"] = result
    return rows, extra


def _rounded(value, digits: int = 4):
    return "n/a" if value is None else round(float(value), digits)


# ------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.acoustic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help="acoustic model folder (default: tts_moe/acoustic/weights)")
    parser.add_argument("--vocoder", help="vocoder folder (default: the one the synthesizer pairs with the acoustic "
                                          "weights: vocoder/synthesis_weights if tuned for them, else vocoder/weights)")
    parser.add_argument("--vocoder-precision", default=SYNTHESIS_PRECISION, choices=PRECISIONS,
                        help=f"the vocoder backbone's precision (default {SYNTHESIS_PRECISION}, as the synthesizer)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"held-out corpus (default {DEFAULT_CORPUS})")
    parser.add_argument("--clips", type=int, help="quality clips per speaker (default 5: all; --quick 1)")
    parser.add_argument("--speakers", help="quality: only these speakers (comma-separated; default all)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--parts", default="quality,moe,speed", help="sections to run (default all)")
    parser.add_argument("--moe-speakers", help="speakers whose sentences are encoded in every style: 'all' (the "
                                               "default: every speaker of the model; the gate reads the speaker, so "
                                               "a subset shows speaker-specific experts as starving ones) or a "
                                               f"comma-separated list (--quick: {','.join(MOE_SPEAKERS)}; unknown "
                                               "ones are skipped)")
    parser.add_argument("--moe-sentences", type=int, help="sentences per speaker for MoE statistics (60; --quick 10)")
    parser.add_argument("--repeats", type=int, help="timed runs per RTF figure, median (default 10; --quick 3)")
    parser.add_argument("--batch-sentences", type=int, help="sentences in the throughput test (64; --quick 32)")
    parser.add_argument("--batch-sizes", default="1,8,32", help="batch sizes of the throughput test")
    parser.add_argument("--results", default="acoustic", help="results name: bench/results/NAME.json")
    parser.add_argument("--quick", action="store_true", help="smaller defaults (see each option) for a fast look")
    args = parser.parse_args(argv)
    bench.common.apply_size_defaults(args, {
        "clips": (5, 1), "moe_speakers": ("all", ",".join(MOE_SPEAKERS)),
        "moe_sentences": (60, 10), "repeats": (10, 3), "batch_sentences": (64, 32)})
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except TTSMoeError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


def run(args: argparse.Namespace) -> int:
    from tts_moe.acoustic.loader import load_model, read_card

    torch.set_num_threads(args.threads)
    parts = set(filter(None, args.parts.split(",")))
    if parts - {"quality", "moe", "speed"}:
        raise InputError(f"unknown --parts {sorted(parts - {'quality', 'moe', 'speed'})}: use quality, moe, speed")
    model = load_model(args.weights)
    card = read_card(args.weights)
    symbols = SymbolTable()
    records, skipped = corpus_records(args.corpus, model)
    if not records:
        raise InputError(f"{args.corpus} has no clip in a speaker and style this model knows")
    config = model.config
    rows = [Row("model", f"{card.get('kind', 'acoustic')}, {card.get('training', {}).get('steps')} steps"),
            Row("torch threads", torch.get_num_threads())]
    extra: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "card_parameters": card.get("parameters"),
                   "card_training": card.get("training"), "skipped_clips": skipped,
                   "load_average_start": os.getloadavg()}
    known = list(config.speakers) if args.moe_speakers == "all" else (
        [s for s in args.moe_speakers.split(",") if s in config.speakers]
        or list(dict.fromkeys(r["speaker"] for r in records))[:len(args.moe_speakers.split(","))])
    if "quality" in parts:
        from vocoder.loader import Vocoder, weights_for_acoustic

        chosen = [r for r in records if not args.speakers or r["speaker"] in args.speakers.split(",")]
        if not chosen:
            raise InputError(f"--speakers {args.speakers}: no clip of these speakers in {args.corpus}")
        vocoder_path = args.vocoder or weights_for_acoustic(model)  # the pairing the synthesizer makes
        vocoder = Vocoder.from_pretrained(vocoder_path, precision=args.vocoder_precision)
        extra["vocoder"], extra["vocoder_precision"] = str(vocoder_path), vocoder.precision
        section, extra["quality"] = quality_section(model, vocoder, per_speaker(chosen, args.clips), args.corpus,
                                                    symbols)
        rows += [Row("vocoder backbone precision", vocoder.precision), *section]
    if "moe" in parts:
        section, extra["moe"] = moe_section(model, records, symbols, known, args.moe_sentences, args.results)
        rows += section
    if "speed" in parts:
        sizes = [int(s) for s in args.batch_sizes.split(",") if s]
        section, extra["speed"] = speed_section(model, records, symbols, known[0], args.repeats,
                                                args.batch_sentences, sizes)
        rows += section
    extra["load_average_end"] = os.getloadavg()
    title = "Acoustic model: quality vs teacher, expert use, speed"
    if "quality" in parts:
        print_speakers(extra["quality"]["summary"])
    print_table(title, rows)
    path = write_results(args.results, title, rows, extra)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
