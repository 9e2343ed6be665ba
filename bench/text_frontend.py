"""Benchmark of the text front end (tts_moe.text).

    python -m bench.text_frontend [--sentences N] [--language L]

Measures throughput (sentences/s, characters/s) of normalize, split, phonemize (batched) and
the whole prepare on LJ Speech train sentences; counts failures over ALL of LJ Speech
train+val and all web sentences; checks the symbol inventory of every English espeak voice;
times normalising/splitting 1 MB and 5 MB (linearity). Prints a table and writes
bench/results/text_frontend.json. Goal: phonemize and prepare >= 1000 sentences/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import traceback
import warnings
from pathlib import Path

from tts_moe.errors import TextError
from tts_moe.paths import data_dir
from tts_moe.text import Phonemizer, SymbolTable, TextFrontend, TextWarning, normalize_text, split_sentences

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "text_frontend.json"
GOAL = 1000.0
ACCENTS = ["en-us", "en-gb", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]


def read_lj(name: str) -> list[str]:
    path = data_dir() / "ljspeech-text" / name
    return [line.split("|", 1)[-1].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_web() -> list[str]:
    path = data_dir() / "web-sentences" / "sentences.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def rate(n: int, chars: int, seconds: float) -> dict:
    return {"sentences": n, "seconds": round(seconds, 4), "sentences_per_s": round(n / seconds, 1),
            "chars_per_s": round(chars / seconds, 1)}


def throughput(sentences: list[str], language: str) -> dict:
    chars = sum(map(len, sentences))
    frontend = TextFrontend(language)
    results = {}
    normalized, t = timed(lambda: [normalize_text(s) for s in sentences])
    results["normalize"] = rate(len(sentences), chars, t)
    _, t = timed(lambda: [split_sentences(s) for s in sentences])
    results["split"] = rate(len(sentences), chars, t)
    frontend.phonemize(normalized[:10])  # warm the backend
    _, t = timed(frontend.phonemize, normalized)
    results["phonemize (batched)"] = rate(len(sentences), chars, t)
    document = " ".join(s if s[-1] in ".!?" else s + "." for s in sentences)
    utts, t = timed(frontend.prepare, document)
    results["prepare (one document)"] = rate(len(sentences), chars, t) | {"utterances": len(utts)}
    subset = sentences[: min(len(sentences), 500)]
    _, t = timed(lambda: [frontend.prepare(s) for s in subset])
    results["prepare (per sentence call)"] = rate(len(subset), sum(map(len, subset)), t)
    return results


def phonemizer_variants(sentences: list[str], language: str) -> dict:
    """Our chunked batch vs phonemizer's own punctuation handling (njobs 1 and 2)."""
    from phonemizer.backend import EspeakBackend
    from phonemizer.separator import Separator

    normalized = [normalize_text(s) for s in sentences]
    chars = sum(map(len, normalized))
    sep = Separator(phone="", word=" ")
    out = {}
    _, t = timed(Phonemizer(language).phonemize, normalized)
    out["tts_moe chunked batch (njobs=1)"] = rate(len(normalized), chars, t)
    backend = EspeakBackend(language, preserve_punctuation=True, with_stress=True)
    for njobs in (1, 2):
        _, t = timed(lambda: backend.phonemize(normalized, separator=sep, strip=True, njobs=njobs))
        out[f"phonemizer preserve_punctuation (njobs={njobs})"] = rate(len(normalized), chars, t)
    return out


def failures(language: str) -> dict:
    """Run normalize + split + phonemize + encode over every corpus sentence."""
    corpora = {"ljspeech train+val": read_lj("train.txt") + read_lj("val.txt"), "web sentences": read_web()}
    phonemizer = Phonemizer(language)
    table = SymbolTable()
    report = {}
    for name, lines in corpora.items():
        crashes, text_errors, examples = 0, 0, []
        normalized = []
        for line in lines:
            try:
                split_sentences(line)
                normalized.append(normalize_text(line))
            except TextError as error:
                text_errors += 1
                examples.append(f"TextError: {line[:80]!r}: {error}")
            except Exception:  # noqa: BLE001 - counting crashes is the point
                crashes += 1
                examples.append(f"CRASH: {line[:80]!r}: {traceback.format_exc(limit=1)}")
        try:
            phonemes = phonemizer.phonemize(normalized)
        except Exception:  # noqa: BLE001
            crashes += 1
            examples.append("CRASH in batch phonemize: " + traceback.format_exc(limit=1))
            phonemes = []
        unencodable = 0
        for ph in phonemes:
            try:
                table.encode(ph)
            except TextError as error:
                unencodable += 1
                examples.append(str(error))
        report[name] = {"sentences": len(lines), "crashes": crashes, "text_errors": text_errors,
                        "unencodable": unencodable, "examples": examples[:10]}
    return report


def inventory(sentences: list[str]) -> dict:
    """Symbols each English espeak voice produces, and any outside the table."""
    table = SymbolTable()
    normalized = [normalize_text(s) for s in sentences]
    out = {}
    for accent in ACCENTS:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always", TextWarning)
            phonemes = Phonemizer(accent).phonemize(normalized)
        used = sorted(set("".join(phonemes)))
        out[accent] = {"symbols_used": len(used), "outside_table_warnings": [str(r.message) for r in records],
                       "unknown": [s for s in used if s not in table]}
    return out


def linearity() -> dict:
    chunk = "Dr. Smith paid $3.50 on 5 March 2024 at 3:30 pm; see www.example.com. Mr. Jones left. "
    out = {}
    for mb in (1, 5):
        text = chunk * (mb * 1_000_000 // len(chunk))
        _, tn = timed(normalize_text, text)
        _, ts = timed(split_sentences, text)
        out[f"{mb} MB"] = {"normalize_s": round(tn, 2), "split_s": round(ts, 2)}
    out["normalize_5MB_over_1MB"] = round(out["5 MB"]["normalize_s"] / out["1 MB"]["normalize_s"], 2)
    out["split_5MB_over_1MB"] = round(out["5 MB"]["split_s"] / out["1 MB"]["split_s"], 2)
    return out


def machine() -> dict:
    import phonemizer
    from phonemizer.backend import EspeakBackend

    return {"cpu_count": os.cpu_count(), "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "platform": platform.platform(), "processor": platform.processor(), "python": platform.python_version(),
            "phonemizer": phonemizer.__version__, "espeak": str(EspeakBackend.version()), "torch_imported": False,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=2000, help="LJ Speech train sentences for throughput")
    parser.add_argument("--language", default="en-us")
    parser.add_argument("--skip-failures", action="store_true", help="skip the full-corpus failure count")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", TextWarning)
    sentences = read_lj("train.txt")[: args.sentences]
    result = {"goal_sentences_per_s": GOAL, "language": args.language, "machine": machine()}
    result["throughput"] = throughput(sentences, args.language)
    result["phonemizer_variants"] = phonemizer_variants(sentences, args.language)
    result["linearity"] = linearity()
    result["inventory"] = inventory(sentences[:2000] + read_web()[:1000])
    if not args.skip_failures:
        result["failures"] = failures(args.language)

    print(f"\ntext front end on {len(sentences)} LJ Speech train sentences ({result['machine']['cpu_count']} CPUs)")
    print(f"{'stage':44} {'sent/s':>10} {'chars/s':>12}  goal")
    for name, r in {**result["throughput"], **result["phonemizer_variants"]}.items():
        goal = ("pass" if r["sentences_per_s"] >= GOAL else "MISS") if name.startswith(("phonemize", "prepare", "tts_moe")) else ""
        print(f"{name:44} {r['sentences_per_s']:>10.1f} {r['chars_per_s']:>12.0f}  {goal} (>= {GOAL:.0f})" if goal else
              f"{name:44} {r['sentences_per_s']:>10.1f} {r['chars_per_s']:>12.0f}")
    lin = result["linearity"]
    print(f"\nnormalize 1 MB {lin['1 MB']['normalize_s']} s, 5 MB {lin['5 MB']['normalize_s']} s (ratio {lin['normalize_5MB_over_1MB']}); "
          f"split 1 MB {lin['1 MB']['split_s']} s, 5 MB {lin['5 MB']['split_s']} s (ratio {lin['split_5MB_over_1MB']})")
    print("\ninventory (symbols used / unknown) per accent:")
    for accent, r in result["inventory"].items():
        print(f"  {accent:16} {r['symbols_used']:3d}  unknown={r['unknown']}")
    if "failures" in result:
        print("\nfailures over whole corpora:")
        for name, r in result["failures"].items():
            print(f"  {name:20} {r['sentences']:6d} sentences  crashes={r['crashes']} (goal 0)  "
                  f"text_errors={r['text_errors']}  unencodable={r['unencodable']}")
            for example in r["examples"][:3]:
                print("     ", example)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
