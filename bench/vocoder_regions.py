"""Where a vocoder loses PESQ: put back one region of the reference and re-score.

    python -m bench.vocoder_regions [--weights vocoder/weights] [--corpus ../corpora/heldout-test]
                                    [--per-speaker 2]

Each held-out clip goes through the vocoder (copy synthesis of its log-mel). Both signals are
analysed with a 32 ms STFT (512 points, hop 128: PESQ's own frame length at 16 kHz); one
region of the output's STFT is replaced by the reference's and the result (inverse STFT) is
scored with PESQ-wb against the reference. Regions:

- a frequency band (0-500 Hz, 500-1000, 1-2 kHz, 2-4 kHz, 4-8 kHz), every frame;
- frames by class: voiced (the YIN voicing of :func:`tts_moe.acoustic.features.frame_pitch`),
  unvoiced within 40 dB of the loudest frame, and quiet (the rest);
- magnitude only (the reference's magnitude, the output's phase) and phase only (the
  output's magnitude, the reference's phase), over all bins and over 0-500 Hz;
- the output's energy per Bark-like band and frame scaled to the reference's (the spectral
  envelope corrected, the fine structure kept).

The gain of a region over the untouched output says how much PESQ that region costs. Mixed
STFTs are not consistent, so the inverse STFT also moves energy between regions a little:
read the gains as a ranking, not as shares that add up. Writes bench/results/vocoder_regions.json.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from bench._clip_probe import add_arguments, run_clips, save, speaker_rows
from bench.common import Row

N_FFT, HOP, RATE = 512, 128, 16_000
BANDS = ((0, 500), (500, 1000), (1000, 2000), (2000, 4000), (4000, 8001))
ENVELOPE_EDGES = (0, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700,
                  3150, 3700, 4400, 5300, 6400, 7700, 8001)  # Hz, about one Bark each
LOUD_DB = 40.0


def substitutions(reference: np.ndarray, output: np.ndarray, voiced: np.ndarray) -> dict[str, np.ndarray]:
    """``{region: audio}``: ``output`` with one region of its STFT taken from ``reference``
    (both ``(samples,)`` float32 at 16 kHz, same length); ``voiced (frames,)`` bool per
    STFT frame (``samples // HOP + 1`` frames)."""
    window = torch.hann_window(N_FFT)
    ref_spec, out_spec = (torch.stft(torch.from_numpy(x), N_FFT, HOP, window=window, return_complex=True)
                          for x in (reference, output))  # (bins, frames)
    n = len(reference)

    def back(spec: torch.Tensor) -> np.ndarray:
        return torch.istft(spec, N_FFT, HOP, window=window, length=n).numpy()

    freqs = torch.arange(N_FFT // 2 + 1) * RATE / N_FFT
    voiced = torch.from_numpy(voiced.astype(bool))
    energy_db = 10 * torch.log10(ref_spec.abs().pow(2).sum(0) + 1e-10)
    loud = energy_db > energy_db.max() - LOUD_DB
    every = torch.ones_like(ref_spec.real, dtype=torch.bool)
    low = (freqs < 500)[:, None] & every
    out = {}
    for lo, hi in BANDS:
        out[f"band {lo}-{min(hi, 8000)} Hz"] = back(torch.where(((freqs >= lo) & (freqs < hi))[:, None] & every,
                                                               ref_spec, out_spec))
    for name, frames in (("voiced frames", voiced), ("unvoiced loud frames", ~voiced & loud), ("quiet frames", ~loud)):
        out[name] = back(torch.where(frames[None, :] & every, ref_spec, out_spec))
    ref_mag_out_phase = torch.polar(ref_spec.abs(), out_spec.angle())
    out_mag_ref_phase = torch.polar(out_spec.abs(), ref_spec.angle())
    out["magnitude (all bins)"] = back(ref_mag_out_phase)
    out["phase (all bins)"] = back(out_mag_ref_phase)
    out["magnitude 0-500 Hz"] = back(torch.where(low, ref_mag_out_phase, out_spec))
    out["phase 0-500 Hz"] = back(torch.where(low, out_mag_ref_phase, out_spec))
    gain = torch.ones_like(ref_spec.real)
    for lo, hi in zip(ENVELOPE_EDGES[:-1], ENVELOPE_EDGES[1:]):
        band = (freqs >= lo) & (freqs < hi)
        ratio = (ref_spec.abs()[band].pow(2).sum(0) + 1e-10) / (out_spec.abs()[band].pow(2).sum(0) + 1e-10)
        gain[band] = ratio.sqrt()[None, :]
    out["envelope per band and frame"] = back(out_spec * gain)
    return out


def score_clip(vocoder, audio: np.ndarray) -> dict[str, float]:
    """PESQ-wb of the vocoder's copy synthesis of ``audio`` (``"output"``) and of every
    substitution of :func:`substitutions`."""
    from tts_moe.acoustic.features import frame_pitch
    from tts_moe.audio import log_mel
    from vocoder.evaluate import perceptual_scores

    output = np.asarray(vocoder.synthesize(log_mel(audio, vocoder.config.mel_config)), dtype=np.float32)[: len(audio)]
    _, voiced = frame_pitch(audio, len(audio) // HOP + 1, HOP, RATE)
    scores = {"output": perceptual_scores(output, audio)["pesq_wb"]}
    for name, mixed in substitutions(audio, output, voiced).items():
        scores[name] = perceptual_scores(mixed.astype(np.float32), audio)["pesq_wb"]
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, "vocoder_regions", per_speaker_default=2, max_seconds=10.0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from vocoder.loader import Vocoder

    vocoder = Vocoder.from_pretrained(args.weights, precision="fp32")
    per_clip = run_clips(args, vocoder, lambda audio: score_clip(vocoder, audio),
                         lambda row: f"output {row['output']:.2f}, phase 0-500 Hz {row['phase 0-500 Hz']:.2f}")
    base = float(np.nanmean([r["output"] for r in per_clip]))
    rows = [Row("clips / speakers", f"{len(per_clip)} / {len({r['speaker'] for r in per_clip})}"),
            Row("PESQ-wb output", round(base, 3))]
    for name in [k for k in per_clip[0] if k not in ("clip", "speaker", "output")]:
        mean = float(np.nanmean([r[name] for r in per_clip]))
        rows.append(Row(f"PESQ-wb with the reference's {name}", round(mean, 3)))
        rows.append(Row(f"  gain: {name}", round(mean - base, 3)))
    rows += speaker_rows(per_clip, ("output", "phase 0-500 Hz"), "PESQ-wb output / with the reference's phase 0-500 Hz")
    save(args, "Vocoder: PESQ with one region of the reference put back", rows, per_clip)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
