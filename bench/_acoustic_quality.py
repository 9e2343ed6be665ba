"""Quality of the acoustic model against the teacher's own audio (held-out LJ test clips).

For one corpus clip: synthesise its ``phonemes`` for its speaker and style, vocode the
predicted log-mel with Griffin-Lim and with the neural vocoder, and compare each with the
teacher's wav (:func:`bench.speech_metrics.compare`: MCD-DTW, F0 RMSE in cents, gross pitch
error, voicing decision error). The teacher's own log-mel through the same vocoder is the
floor: a perfect acoustic model could not score better than that with this vocoder.

Durations. The model's symbols are espeak-ng IPA code points; the teacher timings (flite,
festival, hts) are in the teacher's ARPAbet-like phone set, with a different count per
sentence (stress marks and word boundaries are symbols on our side; diphthongs are one phone
on theirs, two code points on ours), and they carry no word boundaries. So there is no
clean phone- or word-level mapping. What does map cleanly is the **pause structure**: a
teacher ``pau`` between phones and a run of punctuation in our phonemes both mark a phrase
break. Where the two sides have the same number of phrases, each phrase's speech duration
and each internal pause are compared (:func:`bench.speech_metrics.duration_error`); every
clip also gets the total-duration ratio (model / teacher audio) and, with timings, the
speech-only ratio (phrases only, leading/trailing silence and pauses left out).

The same phrase comparison checks the **learned alignment**: the model's aligner plus
monotonic alignment search (what training uses for duration targets) aligns the clip's
phonemes to the teacher's own mel, and those durations' phrases and pauses are compared with
the teacher's timings (``aligned_phrase`` / ``aligned_pause``). The predictor's figures say
how well the model *predicts* timing; the aligner's say how right its training targets were.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from bench.speech_metrics import compare_figures, duration_error, phone_frames_from_timings
from tts_moe.audio import load_audio, log_mel
from tts_moe.text.symbols import SymbolTable

VOCODERS = ("griffin_lim", "neural")
FIGURES = ("mcd_db", "f0_rmse_cents", "gross_pitch_error", "voicing_decision_error", "length_ratio")
PAUSE_RUN = re.compile(r"[\s\"()]*[,.:;?!—…]+[\s\"()]*")  # a phrase break in our phonemes
TEACHER_PAUSES = {"pau", "sil", "h#", "#"}


def model_phrases(phonemes: str, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames per phrase ``(phrases,)`` and per internal pause ``(phrases - 1,)`` from our
    phoneme string (one code point per symbol) and its per-symbol ``durations``."""
    durations = np.asarray(durations, dtype=np.int64)
    phrases, pauses, start, pending = [], [], 0, None
    spans = [(m.start(), m.end()) for m in PAUSE_RUN.finditer(phonemes)] + [(len(phonemes), len(phonemes))]
    for begin, end in spans:
        piece = phonemes[start:begin]
        if any(ch.isalpha() for ch in piece):
            if pending is not None and phrases:
                pauses.append(pending)
            phrases.append(int(durations[start:begin].sum()))
            pending = 0
        elif pending is not None:  # symbols between two breaks with no letter: part of the pause
            pending += int(durations[start:begin].sum())
        if pending is not None:
            pending += int(durations[begin:end].sum())
        start = end
    return np.array(phrases, dtype=np.int64), np.array(pauses, dtype=np.int64)


def teacher_phrases(timings: list, hop_length: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames per phrase and per internal pause from teacher phone timings (runs of non-pause
    phones are phrases; pauses before the first and after the last phrase are left out)."""
    phones, frames = phone_frames_from_timings(timings, hop_length=hop_length, sample_rate=sample_rate)
    phrases, pauses, current, gap = [], [], None, 0
    for phone, count in zip(phones, frames):
        if phone in TEACHER_PAUSES:
            if current is not None:
                phrases.append(current)
                current = None
            gap += int(count)
        else:
            if current is None:
                if phrases:
                    pauses.append(gap)
                current, gap = 0, 0
            current += int(count)
    if current is not None:
        phrases.append(current)
    return np.array(phrases, dtype=np.int64), np.array(pauses, dtype=np.int64)


def predict_mel(model, phonemes: str, speaker: str, style: str, symbols: SymbolTable,
                **options) -> tuple[torch.Tensor, np.ndarray]:
    """Log-mel ``(n_mels, frames)`` (floored like the synthesis engine) and per-symbol
    durations ``(symbols,)`` for one phoneme string."""
    config = model.config
    ids = torch.tensor([symbols.encode(phonemes)])
    mask = torch.ones_like(ids, dtype=torch.bool)
    out = model.synthesize(ids, mask, torch.tensor([config.speakers.index(speaker)]),
                           torch.tensor([config.styles.index(style)]), **options)
    frames = int(out.mel_mask[0].sum())
    floor = float(np.log(config.mel["log_floor"]))
    return out.mel[0, :frames].T.clamp(min=floor).contiguous(), out.durations[0].numpy()


def aligner_durations(model, phonemes: str, mel: torch.Tensor, symbols: SymbolTable) -> np.ndarray:
    """Frames per symbol ``(symbols,)`` that the model's learned aligner + monotonic alignment
    search give ``phonemes`` on the log-mel ``mel`` ``(n_mels, frames)`` (as in training)."""
    from tts_moe.acoustic.alignment import beta_binomial_log_prior, monotonic_alignment

    ids = torch.tensor([symbols.encode(phonemes)])
    p_len, t_len = torch.tensor([ids.shape[1]]), torch.tensor([mel.shape[1]])
    with torch.no_grad():
        prior = beta_binomial_log_prior(p_len, t_len, ids.shape[1], mel.shape[1])
        alignment = model.aligner(ids, mel.T[None].float(), torch.ones_like(ids, dtype=torch.bool), prior)
    return monotonic_alignment(alignment, p_len, t_len)[0].numpy()


def _figures(reference: np.ndarray, audio: np.ndarray) -> dict:
    """MCD, F0 and length figures of ``audio`` against ``reference``, or ``{"error": ...}``."""
    return compare_figures(reference, audio, FIGURES)


def measure_clip(model, vocoder, record: dict, corpus: Path, symbols: SymbolTable) -> dict:
    """Every figure of one corpus clip (see the module docstring); ``None`` where undefined."""
    from vocoder.evaluate import griffin_lim

    config = model.config
    mel_config = vocoder.config.mel_config
    hop, rate = int(config.mel["hop_length"]), int(config.mel["sample_rate"])
    teacher = load_audio(corpus / record["path"], rate)
    mel, durations = predict_mel(model, record["phonemes"], record["speaker"], record["style"], symbols)
    teacher_mel = log_mel(teacher, mel_config)
    out = {"id": record["id"], "speaker": record["speaker"], "style": record["style"],
           "model_seconds": mel.shape[1] * hop / rate, "teacher_seconds": len(teacher) / rate}
    out["duration_ratio"] = out["model_seconds"] / out["teacher_seconds"]
    for name in VOCODERS:
        if name == "griffin_lim":
            audio, floor = griffin_lim(mel.numpy(), mel_config), griffin_lim(teacher_mel.numpy(), mel_config)
        else:
            audio, floor = vocoder(mel).numpy(), vocoder(teacher_mel).numpy()
        for key, value in _figures(teacher, audio).items():
            out[f"{key} {name}"] = value
        for key, value in _figures(teacher, floor[: len(teacher)]).items():
            out[f"{key} {name} floor"] = value
    if record.get("timings"):
        ours, our_pauses = model_phrases(record["phonemes"], durations)
        theirs, their_pauses = teacher_phrases(record["timings"], hop, rate)
        out["speech_ratio"] = float(ours.sum() / theirs.sum()) if theirs.sum() > 0 else None
        out["phrases_model"], out["phrases_teacher"] = len(ours), len(theirs)
        if len(ours) == len(theirs) and len(ours) > 0:
            out["phrase_frames"] = [ours.tolist(), theirs.tolist()]
            out["pause_frames"] = [our_pauses.tolist(), their_pauses.tolist()]
        if len(record["phonemes"]) <= teacher_mel.shape[1]:  # the aligner needs a frame per symbol
            aligned, aligned_pauses = model_phrases(
                record["phonemes"], aligner_durations(model, record["phonemes"], teacher_mel, symbols))
            out["phrases_aligned"] = len(aligned)
            if len(aligned) == len(theirs) and len(aligned) > 0:
                out["aligned_phrase_frames"] = [aligned.tolist(), theirs.tolist()]
                out["aligned_pause_frames"] = [aligned_pauses.tolist(), their_pauses.tolist()]
    return out


def _mean(values) -> float | None:
    kept = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(kept)) if kept else None


def summarise(clips: list[dict], hop_length: int = 256, sample_rate: int = 16_000) -> dict:
    """Mean figures per speaker and over all clips, plus pooled phrase/pause agreement."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for clip in clips:
        groups[clip["speaker"]].append(clip)
    groups = {"ALL": list(clips), **dict(sorted(groups.items()))}
    keys = sorted({k for c in clips for k, v in c.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and k not in ("phrases_model", "phrases_teacher", "phrases_aligned")})
    summary = {}
    for name, members in groups.items():
        figures = {"clips": len(members), **{k: _mean(c.get(k) for c in members) for k in keys}}
        timed = [c for c in members if "phrases_teacher" in c]
        figures["clips_with_timings"] = len(timed)
        figures["phrase_count_match"] = (sum("phrase_frames" in c for c in timed) / len(timed)) if timed else None
        figures["aligned_phrase_count_match"] = (sum("aligned_phrase_frames" in c for c in timed) / len(timed)
                                                 if timed else None)
        for kind in ("phrase", "pause", "aligned_phrase", "aligned_pause"):
            pairs = [c[f"{kind}_frames"] for c in timed if f"{kind}_frames" in c and c[f"{kind}_frames"][0]]
            if pairs:
                predicted = np.concatenate([p[0] for p in pairs])
                reference = np.concatenate([p[1] for p in pairs])
                result = duration_error(predicted, reference, hop_length=hop_length, sample_rate=sample_rate)
                figures[f"{kind}_mae_ms"] = result["mae_ms"]
                figures[f"{kind}_bias_ms"] = result["bias_frames"] * 1000.0 * hop_length / sample_rate
                figures[f"{kind}_correlation"] = result["correlation"]
                figures[f"{kind}_count"] = result["phonemes"]
        figures["errors"] = sum(1 for c in members for k in c if k.startswith("error"))
        summary[name] = figures
    return summary
