"""Reading the payload channel from audio played faster or slower.

A speed change by a factor ``f`` (tempo and pitch together, as resampling does) stretches the
payload's period from ``period`` to ``period / f`` samples, and a fold at the wrong period
averages the pattern away within a few dozen periods (a drift of half a sample already
costs half the correlation). So the period is searched in two steps:

1. **Candidates** from the autocorrelation of the whitened audio: a repeating pattern makes
   peaks at every multiple of its period; the score of a fractional period ``p`` sums the
   autocorrelation at ``p, 2p, ... 8p``, over the periods of speed factors 0.85-1.15. The best
   dozen separated peaks are kept (the SEANet mark and resampling leave peaks of their own, so
   the best peak alone is often wrong).
2. **Fine search** around each candidate (+-0.3 samples in 0.02 steps): the audio is folded
   at that period (each sample split linearly between the two nearest phases) and decoded
   like an ordinary fold; the fold with the highest sync ratio wins.

Measured (2026-11-22, 1 thread, shipped watermark, 10 marked 6 s held-out clips per speed):
the autocorrelation's best peak alone was right for 5 of 20 clips (``/work/runs/payload-probe/
speed.py``; the others peaked at multiples of 80 samples or of the SEANet mark's stretched
frame); with 6 candidates, +10 % was detected with the right payload in 10 of 10 clips and
-10 % in 9 of 10 (``speed2.py``), ~0.5 s per clip. The toolkit's own output (vocoder frames
add autocorrelation peaks of their own) needed more: 10 sentences at +-10 %, right payload
in 10 / 16 / 17 of 20 with 6 / 12 / 24 candidates (``toolkit_speed.py``); 12 are kept.
"""

from __future__ import annotations

import torch

from watermark.model import SAMPLE_RATE
from watermark.payload import PayloadConfig, PayloadReading, decode_fold

SPEED_RANGE = (0.85, 1.15)  # speed factors searched
HARMONICS = 8  # multiples of the period summed in the autocorrelation score
COARSE_STEP = 0.05  # samples, the autocorrelation score's period grid
CANDIDATES = 12  # autocorrelation peaks refined (6 found 10 of 20 sped-up toolkit clips, 12: 16, 24: 17)
FINE_SPAN, FINE_STEP = 0.3, 0.02  # samples around each candidate
MIN_SEPARATION = 2.0  # samples between two candidates
MIN_SECONDS = 2.0  # shorter audio is not searched (too few periods to find one)
SEARCH_SECONDS = 12.0  # only the first this-many seconds are searched (cost ~ length x candidates)


def period_candidates(white: torch.Tensor, config: PayloadConfig, count: int = CANDIDATES) -> list[float]:
    """Likely stretched periods (samples, best first) of the pattern in whitened audio ``(time,)``,
    excluding the unstretched period itself (an ordinary fold covers it)."""
    length = white.shape[-1]
    spectrum = torch.fft.rfft(white.double(), n=2 * length)
    acf = torch.fft.irfft(spectrum.abs().pow(2), n=2 * length)[:length]
    acf = acf / acf[0].clamp_min(1e-30)
    low, high = config.period / SPEED_RANGE[1], config.period / SPEED_RANGE[0]
    periods = torch.arange(low, high, COARSE_STEP, dtype=torch.float64)
    score = torch.zeros_like(periods)
    for multiple in range(1, HARMONICS + 1):
        lag = multiple * periods
        inside = lag < length - 2
        base = lag.floor().long().clamp(max=length - 2)
        frac = lag - base
        value = (1 - frac) * acf[base] + frac * acf[base + 1]
        score += torch.where(inside, value, torch.zeros_like(value))
    order = torch.argsort(score, descending=True)
    chosen: list[float] = []
    for index in order.tolist():
        period = float(periods[index])
        if abs(period - config.period) < 1.0 or any(abs(period - c) < MIN_SEPARATION for c in chosen):
            continue
        chosen.append(period)
        if len(chosen) == count:
            break
    return chosen


def fold_stretched(white: torch.Tensor, periods: torch.Tensor, config: PayloadConfig) -> torch.Tensor:
    """Fold whitened audio ``(time,)`` at each of ``periods`` ``(n,)`` (fractional samples):
    ``(n, config.period)``, sample ``t`` at phase ``t * config.period / p`` split linearly
    between the two nearest phase bins. One period at a time: memory stays O(time)."""
    size = config.period
    steps = torch.arange(white.shape[-1], dtype=torch.float64)
    signal = white.double()
    out = torch.empty(periods.shape[0], size, dtype=torch.float64)
    for row, period in enumerate(periods.tolist()):
        phase = steps * (size / period)
        base = phase.floor()
        frac = phase - base
        base = base.long() % size
        sums = torch.zeros(size, dtype=torch.float64)
        counts = torch.zeros(size, dtype=torch.float64)
        for index, weight in ((base, 1 - frac), ((base + 1) % size, frac)):
            sums.index_add_(0, index, signal * weight)
            counts.index_add_(0, index, weight)
        out[row] = sums / counts.clamp_min(1e-9)
    return out


def search_speed(white: torch.Tensor, config: PayloadConfig) -> PayloadReading | None:
    """The best reading (batch of one) of whitened audio ``(time,)`` over stretched periods,
    its ``speed`` the factor found (> 1: played faster); None when the audio is shorter than
    ``MIN_SECONDS``."""
    if white.shape[-1] < MIN_SECONDS * SAMPLE_RATE:
        return None
    white = white[: int(SEARCH_SECONDS * SAMPLE_RATE)]
    best: PayloadReading | None = None
    offsets = torch.arange(-FINE_SPAN, FINE_SPAN + FINE_STEP / 2, FINE_STEP, dtype=torch.float64)
    for candidate in period_candidates(white, config):
        periods = candidate + offsets
        reading = decode_fold(fold_stretched(white, periods, config), config)
        top = int(reading.sync_ratio.argmax())
        if best is None or float(reading.sync_ratio[top]) > float(best.sync_ratio[0]):
            pick = slice(top, top + 1)
            best = PayloadReading(reading.z[pick], reading.phase[pick], reading.sync_ratio[pick],
                                  speed=torch.tensor([config.period / float(periods[top])]))
    return best
