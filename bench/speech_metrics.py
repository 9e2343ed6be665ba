"""Speech-quality measures for the benchmarks: MCD, F0 RMSE, durations, WER and judges.

Pure functions on mono float clips ``(time,)`` (any rate; resampled to 16 kHz)::

    alignment = align(reference, synthesized)           # trim, mel-cepstra, DTW path
    mel_cepstral_distortion(reference, synthesized)     # -> {"mcd_db", ...}
    f0_rmse(reference, synthesized)                     # -> {"f0_rmse_cents", ...}
    compare(reference, synthesized)                     # both, one alignment
    duration_error(predicted_frames, reference_frames)  # per-phoneme durations
    word_error_rate(reference_text, hypothesis_text); corpus_wer(pairs)
    recognize(audio, sr)            # pocketsphinx (bench extra)
    dnsmos(audio, sr)               # speechmos DNSMOS (bench extra)
    speaker_embedding(audio, sr); speaker_similarity(a, b, sr); cosine_similarity(x, y)

**MCD** (dB) = mean over the DTW path of ``10 / ln 10 * sqrt(2 * sum_{m=1..24} (c_m -
c'_m)^2)``, with c_0 (level) left out. Mel-cepstra from a 40-band mel filterbank, 25 ms
Hann windows every 10 ms (see :mod:`bench._mcep`). Leading and trailing silence is
trimmed first (:func:`tts_moe.corpus.signal.trim_silence`: frames 40 dB below the
loudest, 30 ms kept). DTW (:func:`bench._dtw.dtw`) minimises the summed per-frame
Euclidean cepstral distance, so MCD-DTW is biased low compared with a fixed alignment.

**F0 RMSE** uses the same path: YIN F0 (:func:`tts_moe.corpus.signal.f0_track`, 10 ms
frames, the mel-cepstrum frame grid) over path pairs voiced in both clips, in cents and Hz;
the voicing decision error is the share of path pairs whose voicing disagrees.

Run ``python -m bench.speech_metrics wer CORPUS_DIR`` for pocketsphinx's WER on a corpus
folder's own audio (metadata.jsonl with ``text``, ``path``, ``speaker``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench._dtw import dtw, pairwise_euclidean
from bench._judges import (
    clip_16k,
    cosine_similarity,
    dnsmos,
    recognize,
    speaker_embedding,
    speaker_similarity,
)
from bench._mcep import ORDER, SAMPLE_RATE, mel_cepstrum
from bench._wer import corpus_wer, wer_words, word_error_rate
from tts_moe.corpus.signal import f0_track, trim_silence
from tts_moe.errors import InputError, TTSMoeError

__all__ = [
    "Alignment", "align", "mel_cepstral_distortion", "f0_rmse", "compare", "duration_error",
    "phone_frames_from_timings", "word_error_rate", "corpus_wer", "wer_words", "recognize",
    "dnsmos", "speaker_embedding", "speaker_similarity", "cosine_similarity",
]

MCD_SCALE = 10.0 / np.log(10.0) * np.sqrt(2.0)  # dB per unit of cepstral Euclidean distance
GROSS_PITCH_ERROR = 0.2  # a voiced pair whose F0 is off by more than 20 % is a gross error


@dataclass
class Alignment:
    """Two trimmed 16 kHz clips, their mel-cepstra ``(frames, 24)`` (c_1..c_24) and the DTW
    path ``(steps, 2)`` of (reference frame, synthesized frame) pairs."""

    reference: np.ndarray
    synthesized: np.ndarray
    reference_mcep: np.ndarray
    synthesized_mcep: np.ndarray
    path: np.ndarray

    @property
    def frame_distances(self) -> np.ndarray:
        """Per-pair cepstral distortion along the path in dB, ``(steps,)``."""
        i, j = self.path[:, 0], self.path[:, 1]
        diff = self.reference_mcep[i] - self.synthesized_mcep[j]
        return MCD_SCALE * np.sqrt((diff * diff).sum(axis=1))


def align(
    reference: np.ndarray, synthesized: np.ndarray, sample_rate: int = SAMPLE_RATE
) -> Alignment:
    """Trim both clips, compute their mel-cepstra and the DTW path between them.

    Raises :class:`~tts_moe.errors.AudioError` for empty, silent or non-finite clips and
    :class:`InputError` for clips too long to align in one piece (over ~50 s each).
    """
    trimmed = []
    for name, audio in (("reference", reference), ("synthesized", synthesized)):
        clip, _ = trim_silence(clip_16k(audio, sample_rate, f"{name} audio"))
        trimmed.append(clip)
    ref_mcep = mel_cepstrum(trimmed[0])[:, 1:ORDER + 1]
    syn_mcep = mel_cepstrum(trimmed[1])[:, 1:ORDER + 1]
    path, _ = dtw(pairwise_euclidean(ref_mcep, syn_mcep))
    return Alignment(trimmed[0], trimmed[1], ref_mcep, syn_mcep, path)


def mel_cepstral_distortion(
    reference: np.ndarray,
    synthesized: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    alignment: Alignment | None = None,
) -> dict:
    """MCD in dB between two clips after DTW (see the module docstring for the recipe).

    Returns ``{"mcd_db", "reference_frames", "synthesized_frames", "path_steps",
    "length_ratio", "path_ratio"}``: frames are 10 ms speech frames after trimming;
    ``length_ratio`` = synthesized / reference frames; ``path_ratio`` = path steps /
    max(frames), 1.0 for a path that never moves along one clip alone more than the length
    difference requires. Pass ``alignment`` (from :func:`align`) to reuse one.
    """
    alignment = alignment or align(reference, synthesized, sample_rate)
    n, m = len(alignment.reference_mcep), len(alignment.synthesized_mcep)
    steps = len(alignment.path)
    return {
        "mcd_db": float(alignment.frame_distances.mean()),
        "reference_frames": n,
        "synthesized_frames": m,
        "path_steps": steps,
        "length_ratio": m / n,
        "path_ratio": steps / max(n, m),
    }


def f0_rmse(
    reference: np.ndarray,
    synthesized: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    alignment: Alignment | None = None,
) -> dict:
    """F0 error along the DTW path of :func:`align` (reused when ``alignment`` is given).

    Returns ``{"f0_rmse_cents", "f0_rmse_hz", "f0_bias_cents", "gross_pitch_error",
    "voicing_decision_error", "voiced_pairs", "path_steps"}``. Cents are
    ``1200 * log2(f_syn / f_ref)``; bias is their mean (positive: synthesized too high);
    gross pitch error is the share of both-voiced pairs off by more than 20 %. With no
    pair voiced in both clips the F0 figures are ``None``.
    """
    alignment = alignment or align(reference, synthesized, sample_rate)
    ref_f0, ref_voiced = f0_track(alignment.reference)
    syn_f0, syn_voiced = f0_track(alignment.synthesized)
    i, j = alignment.path[:, 0], alignment.path[:, 1]
    both = ref_voiced[i] & syn_voiced[j]
    result = {
        "f0_rmse_cents": None, "f0_rmse_hz": None, "f0_bias_cents": None,
        "gross_pitch_error": None,
        "voicing_decision_error": float(np.mean(ref_voiced[i] != syn_voiced[j])),
        "voiced_pairs": int(both.sum()),
        "path_steps": len(alignment.path),
    }
    if both.any():
        ref_hz = ref_f0[i[both]].astype(np.float64)
        syn_hz = syn_f0[j[both]].astype(np.float64)
        cents = 1200.0 * np.log2(syn_hz / ref_hz)
        result.update(
            f0_rmse_cents=float(np.sqrt(np.mean(cents**2))),
            f0_rmse_hz=float(np.sqrt(np.mean((syn_hz - ref_hz) ** 2))),
            f0_bias_cents=float(cents.mean()),
            gross_pitch_error=float(np.mean(np.abs(syn_hz / ref_hz - 1.0) > GROSS_PITCH_ERROR)),
        )
    return result


def compare(reference: np.ndarray, synthesized: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict:
    """MCD and F0 figures of one pair of clips from a single alignment (one dict)."""
    alignment = align(reference, synthesized, sample_rate)
    return {
        **mel_cepstral_distortion(reference, synthesized, alignment=alignment),
        **f0_rmse(reference, synthesized, alignment=alignment),
    }


def compare_figures(reference: np.ndarray, synthesized: np.ndarray, keys: tuple[str, ...],
                    sample_rate: int = SAMPLE_RATE) -> dict:
    """``keys`` of :func:`compare`, or ``{"error": "Type: message"}`` when the pair cannot be
    compared (a silent or non-finite clip, one too long to align), so one bad clip does not
    stop a benchmark."""
    try:
        result = compare(reference, synthesized, sample_rate)
    except TTSMoeError as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {key: result.get(key) for key in keys}


def duration_error(
    predicted_frames: np.ndarray,
    reference_frames: np.ndarray,
    *,
    hop_length: int = 256,
    sample_rate: int = SAMPLE_RATE,
) -> dict:
    """Per-phoneme duration error between predicted and reference durations ``(phonemes,)``
    in frames of ``hop_length`` samples (16 ms by default).

    Returns ``{"phonemes", "mae_frames", "mae_ms", "rmse_frames", "bias_frames",
    "correlation", "total_ratio"}``: bias = mean(predicted - reference); correlation is
    Pearson's r (``None`` when either side is constant); total_ratio = total predicted /
    total reference duration. Concatenate several utterances for a corpus figure.
    """
    predicted = np.asarray(predicted_frames, dtype=np.float64)
    reference = np.asarray(reference_frames, dtype=np.float64)
    if predicted.ndim != 1 or predicted.shape != reference.shape or predicted.size == 0:
        raise InputError(
            "duration_error needs two non-empty 1-D arrays of equal length (one duration per "
            f"phoneme), got shapes {predicted.shape} and {reference.shape}"
        )
    if not (np.isfinite(predicted).all() and np.isfinite(reference).all()):
        raise InputError("duration_error: durations contain NaN or infinity")
    if (predicted < 0).any() or (reference < 0).any():
        raise InputError("duration_error: durations must not be negative")
    diff = predicted - reference
    constant = predicted.std() == 0 or reference.std() == 0
    frame_ms = 1000.0 * hop_length / sample_rate
    mae = float(np.abs(diff).mean())
    return {
        "phonemes": int(predicted.size),
        "mae_frames": mae,
        "mae_ms": mae * frame_ms,
        "rmse_frames": float(np.sqrt(np.mean(diff**2))),
        "bias_frames": float(diff.mean()),
        "correlation": None if constant else float(np.corrcoef(predicted, reference)[0, 1]),
        "total_ratio": float(predicted.sum() / reference.sum()) if reference.sum() > 0 else None,
    }


def phone_frames_from_timings(
    timings: list[tuple[str, float]], *, hop_length: int = 256, sample_rate: int = SAMPLE_RATE
) -> tuple[list[str], np.ndarray]:
    """Teacher phone timings ``[(phone, end_seconds), ...]`` (corpus metadata) -> phones and
    integer frame counts ``(phones,)``. Boundaries are rounded to frames and differenced, so
    the counts add up to the rounded total length (no drift from per-phone rounding)."""
    if not timings:
        raise InputError("no phone timings given")
    phones = [str(phone) for phone, _ in timings]
    ends = np.asarray([float(end) for _, end in timings])
    if not np.isfinite(ends).all() or (np.diff(ends) < 0).any() or ends[0] < 0:
        raise InputError("phone end times must be finite, non-negative and non-decreasing")
    boundaries = np.round(ends * sample_rate / hop_length).astype(np.int64)
    return phones, np.diff(np.concatenate([[0], boundaries]))


# ------------------------------------------------------------------ one-off WER measurement
def corpus_recognition_wer(corpus_dir: Path, per_speaker: int | None = None) -> dict:
    """Pocketsphinx WER of a corpus folder's own clips, overall and per speaker."""
    from tts_moe.audio import load_audio

    rows = [json.loads(line) for line in (corpus_dir / "metadata.jsonl").open(encoding="utf-8")]
    by_speaker: dict[str, list[tuple[str, str]]] = defaultdict(list)
    clips = []
    for row in rows:
        pairs = by_speaker[row["speaker"]]
        if per_speaker is not None and len(pairs) >= per_speaker:
            continue
        hypothesis = recognize(load_audio(corpus_dir / row["path"]), SAMPLE_RATE)
        pairs.append((row["text"], hypothesis))
        clips.append({"id": row["id"], **word_error_rate(row["text"], hypothesis)})
    return {
        "overall": corpus_wer([p for pairs in by_speaker.values() for p in pairs]),
        "speakers": {name: corpus_wer(pairs) for name, pairs in sorted(by_speaker.items())},
        "clips": clips,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speech_metrics")
    commands = parser.add_subparsers(dest="command", required=True)
    wer = commands.add_parser("wer", help="pocketsphinx WER of a corpus folder's own audio")
    wer.add_argument("corpus_dir", type=Path)
    wer.add_argument("--per-speaker", type=int, default=None, help="clips per speaker")
    wer.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = parser.parse_args(argv)
    result = corpus_recognition_wer(args.corpus_dir, args.per_speaker)
    print(f"{'speaker':28} {'clips':>5} {'words':>5} {'WER %':>6}  S/D/I")
    for name, figures in [*result["speakers"].items(), ("ALL", result["overall"])]:
        print(f"{name:28} {figures['sentences']:5d} {figures['reference_words']:5d} "
              f"{100 * figures['wer']:6.1f}  {figures['substitutions']}/"
              f"{figures['deletions']}/{figures['insertions']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
