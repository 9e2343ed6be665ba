"""How much of PESQ-wb on the teacher voices is pulse timing rather than spectrum.

    python -m bench.vocoder_drift [--weights vocoder/weights] [--corpus ../corpora/heldout-test]
                                  [--per-speaker 5] [--nudges 0.0005,0.001,0.003,0.01]
                                  [--fit] [--iterations 250] [--loss-resolutions N:HOP:MELS,...]
                                  [--teacher-texts 0]

The harmonic head's pulse train takes its phase from the running sum of its F0, so a pitch
error far too small to hear still shifts every later pulse against the teacher's; the
teachers' pulse trains are strictly periodic, and PESQ compares the two waveforms frame by
frame. Per clip (first ``--max-seconds`` seconds):

- ``network``: PESQ-wb of the vocoder's output against the teacher clip (as ``bench.vocoder``);
- ``self EPS``: the same frames rendered again with the source F0 scaled by ``1 + EPS`` (gains,
  phase terms and noise unchanged: only the pulse timing moves), scored against the unscaled
  output. 0.0005 is 0.87 cents, 0.001 1.7 cents, 0.01 17 cents;
- ``ref EPS``: that output scored against the teacher clip;
- with ``--fit``: ``fitted``, the head with its phase terms fitted to the clip itself (as
  ``bench.vocoder_ceiling --phase-only``), and ``fitted EPS``, that fit rendered with the
  scaled F0: whether the ceiling's gain is pulse alignment that a slightly different F0 undoes.

With ``--teacher-texts N`` the teachers are scored against themselves: N sentences of the
corpus (the first in alphabetical order) rendered by hts_engine (``cmu_us_slt_arctic_hts``, as the corpus does) and again
with its F0 raised by 1, 3 and 10 cents (``-fm``; durations do not change), and by three
espeak-ng voices at pitch 50 and 51 (one step; espeak also re-times a little, so the length
difference is reported). Needs the teachers' programs (festival, hts_engine, espeak-ng).
Writes bench/results/vocoder_drift.json.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench._clip_probe import add_arguments, run_clips, save, speaker_rows
from bench.common import Row

HTS_CENTS = (1, 3, 10)
ESPEAK_VOICES = ("en+f2", "en-gb-x-rp+m1", "en-us-nyc+m8")


def parse_nudges(text: str) -> tuple[float, ...]:
    try:
        nudges = tuple(float(item) for item in text.split(","))
    except ValueError:
        raise SystemExit(f"--nudges {text!r}: give comma-separated fractions such as 0.001,0.01") from None
    if not nudges or any(not 0 < n < 0.5 for n in nudges):
        raise SystemExit(f"--nudges {text!r}: every nudge must lie in (0, 0.5)")
    return nudges


def drift_clip(generator, audio: np.ndarray, nudges: tuple[float, ...], fit: bool = False,
               iterations: int = 250, lr: float = 0.02, resolutions=None) -> dict:
    """The per-clip figures of the module docstring for one clip (float32 ``(samples,)``)."""
    from bench.vocoder_ceiling import clip_problem, fit_free
    from vocoder.evaluate import perceptual_scores
    from vocoder.harmonic import LOG_F0_MEAN, LOG_F0_STD

    head = generator.head
    mel, predicted, loss, pesq = clip_problem(generator, audio, resolutions)
    log_f0 = LOG_F0_MEAN + LOG_F0_STD * predicted[:, -1]  # what drives the source at inference

    def render(inputs: torch.Tensor, nudge: float = 0.0) -> torch.Tensor:
        with torch.no_grad():
            return head.synthesise_from(inputs, mel, log_f0=log_f0 + math.log1p(nudge)).audio

    row = {}
    plain = render(predicted)
    row["network"] = pesq(plain)
    own = plain[0, : len(audio)].clamp(-1, 1).numpy()
    for nudge in nudges:
        moved = render(predicted, nudge)
        row[f"self {nudge:g}"] = perceptual_scores(moved[0, : len(audio)].clamp(-1, 1).numpy(), own)["pesq_wb"]
        row[f"ref {nudge:g}"] = pesq(moved)
    if fit:
        fitted = fit_free(lambda inputs: head.synthesise_from(inputs, mel, log_f0=log_f0).audio,
                          predicted, head.phase_rows, iterations, lr, loss)
        row["fitted"] = pesq(render(fitted))
        for nudge in nudges:
            row[f"fitted {nudge:g}"] = pesq(render(fitted, nudge))
    return row


def _median_cents(a: np.ndarray, b: np.ndarray) -> float:
    """Median F0 of ``b`` over that of ``a`` (16 kHz clips; YIN, voiced 10 ms frames), in cents;
    NaN when either has fewer than two voiced frames."""
    from tts_moe.corpus.signal import f0_track

    medians = []
    for audio in (a, b):
        f0, voiced = f0_track(audio)
        medians.append(float(np.median(np.log2(f0[voiced]))) if voiced.sum() >= 2 else float("nan"))
    return 1200 * (medians[1] - medians[0])


def teacher_rows(texts: list[str], rate: int = 16000) -> tuple[list[Row], list[dict]]:
    """PESQ-wb of the teachers against their own renderings with the pitch nudged."""
    from tts_moe.audio import load_audio, resample
    from tts_moe.corpus.engines.base import read_wav, run
    from tts_moe.corpus.engines.hts import NATIVE_RATE, HtsEngine
    from vocoder.evaluate import perceptual_scores

    def score(nudged: np.ndarray, plain: np.ndarray) -> float:
        n = min(len(nudged), len(plain))
        return perceptual_scores(nudged[:n], plain[:n], rate)["pesq_wb"]

    class Slt:
        voice = "cmu_us_slt_arctic_hts"

    per_text, engine = [], HtsEngine()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        engine.render(Slt, "neutral", texts, work)  # festival's labels: work/hts-<i>.lab
        for index, text in enumerate(texts):
            renders = {}
            for cents in (0, *HTS_CENTS):
                run(engine.command("neutral", str(work / "x.wav"), str(work / "x.lab"), str(work / f"hts-{index}.lab"),
                                   extra=("-fm", f"{cents / 100:g}")))
                renders[cents] = resample(read_wav(work / "x.wav"), NATIVE_RATE, rate).astype(np.float32)
            per_text.append({"teacher": "hts-slt", "text": text,
                             **{f"+{c} cents": score(renders[c], renders[0]) for c in HTS_CENTS}})
            for voice in ESPEAK_VOICES:
                renders = {}
                for pitch in ("50", "51"):
                    path = work / f"espeak-{pitch}.wav"
                    run(["espeak-ng", "-v", voice, "-p", pitch, "-w", str(path), "--stdin"], input_text=text)
                    renders[pitch] = load_audio(path, rate).astype(np.float32)
                per_text.append({"teacher": f"espeak {voice}", "text": text,
                                 "pitch 51": score(renders["51"], renders["50"]),
                                 "cents": _median_cents(renders["50"], renders["51"]),
                                 "length difference": int(len(renders["51"]) - len(renders["50"]))})
    rows = [Row("teacher texts", len(texts))]
    hts = [r for r in per_text if r["teacher"] == "hts-slt"]
    rows.append(Row("hts-slt vs itself, F0 " + " / ".join(f"+{c}" for c in HTS_CENTS) + " cents: PESQ-wb",
                    " / ".join(f"{np.mean([r[f'+{c} cents'] for r in hts]):.3f}" for c in HTS_CENTS)))
    for voice in ESPEAK_VOICES:
        mine = [r for r in per_text if r["teacher"] == f"espeak {voice}"]
        rows.append(Row(f"espeak {voice} vs itself, pitch 51 vs 50: PESQ-wb (F0 cents, samples longer)",
                        f"{np.mean([r['pitch 51'] for r in mine]):.3f} ({np.mean([r['cents'] for r in mine]):+.1f}, "
                        f"{np.mean([r['length difference'] for r in mine]):+.0f})"))
    return rows, per_text


def trained_resolutions(card: dict) -> tuple[tuple[int, int, int], ...]:
    """The loss resolutions recorded in the weights' card (``training.options``), else the default."""
    from vocoder.losses import MEL_RESOLUTIONS

    recorded = ((card.get("training") or {}).get("options") or {}).get("loss_resolutions")
    return tuple(tuple(int(v) for v in item) for item in recorded) if recorded else MEL_RESOLUTIONS


def corpus_texts(corpus: Path, count: int) -> list[str]:
    from tts_moe.corpus.metadata import load_metadata

    texts = sorted({record["text"] for record in load_metadata(corpus, repair=False).values()})
    return texts[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, "vocoder_drift", per_speaker_default=5, max_seconds=6.0)
    parser.add_argument("--nudges", default="0.0005,0.001,0.003,0.01",
                        help="F0 scale factors minus one (default 0.0005,0.001,0.003,0.01)")
    parser.add_argument("--fit", action="store_true", help="also fit the phase terms per clip and nudge the fit")
    parser.add_argument("--iterations", type=int, default=250, help="Adam steps of the phase fit (default 250)")
    parser.add_argument("--lr", type=float, default=0.02, help="Adam learning rate of the phase fit")
    parser.add_argument("--loss-resolutions",
                        help="n_fft:hop:n_mels,... of the fitted loss (default: the one the weights were trained with)")
    parser.add_argument("--teacher-texts", type=int, default=0,
                        help="score the teachers against themselves on this many corpus sentences (default 0: skip)")
    args = parser.parse_args(argv)
    nudges = parse_nudges(args.nudges)
    torch.set_num_threads(args.threads)
    from vocoder.loader import Vocoder
    from vocoder.losses import parse_resolutions

    vocoder = Vocoder.from_pretrained(args.weights)
    generator = vocoder.generator.float().eval()
    if not generator.harmonic:
        raise SystemExit("bench.vocoder_drift needs a vocoder with the harmonic head")
    if args.fit and not generator.head.phase_basis.shape[1]:
        raise SystemExit("--fit needs weights with phase terms (this head has none to fit)")
    resolutions = parse_resolutions(args.loss_resolutions) if args.loss_resolutions else trained_resolutions(vocoder.card)
    per_clip = run_clips(
        args, vocoder,
        lambda audio: drift_clip(generator, audio, nudges, args.fit, args.iterations, args.lr, resolutions),
        lambda row: ", ".join(f"{key} {value:.2f}" for key, value in row.items() if isinstance(value, float)))
    rows = [Row("clips / speakers", f"{len(per_clip)} / {len({r['speaker'] for r in per_clip})}"),
            Row("PESQ-wb network vs teacher", round(float(np.nanmean([r["network"] for r in per_clip])), 3))]
    for nudge in nudges:
        cents = 1200 * math.log2(1 + nudge)
        for key, label in ((f"self {nudge:g}", "vs its own unscaled output"), (f"ref {nudge:g}", "vs teacher"),
                           (f"fitted {nudge:g}", "phase-fitted head vs teacher")):
            if key in per_clip[0]:
                rows.append(Row(f"PESQ-wb, F0 x {1 + nudge:g} ({cents:.2f} cents), {label}",
                                round(float(np.nanmean([r[key] for r in per_clip])), 3)))
    if args.fit:
        rows.insert(2, Row("PESQ-wb phase-fitted head vs teacher (unscaled F0)",
                           round(float(np.nanmean([r["fitted"] for r in per_clip])), 3)))
    keys = ("network", f"self {nudges[0]:g}") + (("fitted", f"fitted {nudges[0]:g}") if args.fit else ())
    rows += speaker_rows(per_clip, keys, "PESQ-wb " + " / ".join(keys))
    extra = []
    if args.teacher_texts:
        teacher, extra = teacher_rows(corpus_texts(args.corpus, args.teacher_texts))
        rows += teacher
    save(args, "Pulse timing: PESQ-wb under inaudible F0 nudges", rows, per_clip + extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
