"""Speed of the acoustic model alone (phonemes -> log-mel): real-time factor of one ~10 s
utterance (MoE dispatch and the dense fallback path), batched throughput, and parameter
counts (total vs active per phoneme).

RTF = wall seconds / seconds of audio the predicted mel stands for (frames x hop / rate).
Timings are the median of ``repeats`` runs after one warm-up run.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from tts_moe.text.symbols import SymbolTable

MAX_SYMBOLS = 3000  # the longest test utterance (attention is quadratic in length)


def median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``repeats`` calls of ``fn`` after one warm-up call (and all times)."""
    fn()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def parameter_counts(model) -> dict:
    """Inference parameters (the training-only aligner left out): ``total``, ``experts``
    (all experts of all MoE blocks) and ``active_per_phoneme`` = total - experts + experts
    x k / N (the gate, attention, decoder, predictors and k experts per MoE block)."""
    config = model.config
    total = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("aligner."))
    experts = 0
    if config.mixture:
        for index in config.moe_layers:
            ff = model.encoder[index].ff
            experts += sum(p.numel() for p in (ff.w_in, ff.b_in, ff.w_out, ff.b_out))
    active = total - experts + experts * config.top_k // max(config.num_experts, 1) if config.mixture else total
    return {"total": total, "experts": experts, "active_per_phoneme": active}


def batch_inputs(model, phoneme_strings: list[str], speaker: int, style: int, symbols: SymbolTable):
    """Padded ``ids``/``id_mask`` ``(batch, longest)`` and speaker/style ``(batch,)``."""
    encoded = [symbols.encode(p) for p in phoneme_strings]
    longest = max(len(e) for e in encoded)
    ids = torch.zeros(len(encoded), longest, dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, : len(e)] = torch.tensor(e)
    mask = torch.arange(longest)[None] < torch.tensor([len(e) for e in encoded])[:, None]
    n = len(encoded)
    return ids, mask, torch.full((n,), speaker), torch.full((n,), style)


def utterance_of_seconds(model, sentences: list[str], speaker: int, style: int, symbols: SymbolTable,
                         seconds: float = 10.0) -> str:
    """A phoneme string the model speaks in about ``seconds``: sentences joined (repeated if
    needed) and cut at the word boundary where the predicted duration reaches ``seconds``
    (durations predicted without decoding: ``max_frames=1``)."""
    hop_seconds = model.config.hop_seconds
    joined, index = "", 0
    while True:  # add sentences until the prediction reaches the target (or 3000 symbols)
        joined = f"{joined} {sentences[index % len(sentences)]}".strip()
        index += 1
        if index % 4 and len(joined) < MAX_SYMBOLS:
            continue  # predict only every few sentences
        ids, mask, spk, sty = batch_inputs(model, [joined], speaker, style, symbols)
        durations = model.synthesize(ids, mask, spk, sty, max_frames=1).durations[0].numpy()
        elapsed = np.cumsum(durations) * hop_seconds
        if elapsed[-1] >= seconds or len(joined) >= MAX_SYMBOLS:
            break
    reached = int(np.searchsorted(elapsed, seconds))
    cut = joined.find(" ", reached)
    return joined if cut < 0 else joined[:cut]


def utterance_rtf(model, phonemes: str, speaker: int, style: int, symbols: SymbolTable, repeats: int,
                  *, dense: bool = False) -> dict:
    """Median RTF of one utterance (batch 1), MoE dispatch or ``dense`` fallback."""
    ids, mask, spk, sty = batch_inputs(model, [phonemes], speaker, style, symbols)
    out = model.synthesize(ids, mask, spk, sty, dense=dense)
    audio_seconds = int(out.mel_mask.sum()) * model.config.hop_seconds
    seconds, times = median_seconds(lambda: model.synthesize(ids, mask, spk, sty, dense=dense), repeats)
    return {"audio_seconds": audio_seconds, "phonemes": int(mask.sum()), "median_seconds": seconds,
            "rtf": seconds / audio_seconds, "times": times}


def batch_throughput(model, sentences: list[str], batch_size: int, speaker: int, style: int,
                     symbols: SymbolTable, repeats: int) -> dict:
    """Synthesise all ``sentences`` in length-sorted batches of ``batch_size``: sentences per
    second and RTF (wall / summed audio of every sentence), median of ``repeats`` passes."""
    ordered = sorted(sentences, key=len)
    batches = [batch_inputs(model, ordered[i:i + batch_size], speaker, style, symbols)
               for i in range(0, len(ordered), batch_size)]
    frames = 0
    for ids, mask, spk, sty in batches:
        frames += int(model.synthesize(ids, mask, spk, sty).mel_mask.sum())
    audio_seconds = frames * model.config.hop_seconds

    def run():
        for ids, mask, spk, sty in batches:
            model.synthesize(ids, mask, spk, sty)

    seconds, times = median_seconds(run, repeats)
    return {"batch": batch_size, "sentences": len(sentences), "audio_seconds": audio_seconds,
            "median_seconds": seconds, "sentences_per_second": len(sentences) / seconds,
            "rtf": seconds / audio_seconds, "times": times}
