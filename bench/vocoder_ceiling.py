"""What the harmonic-plus-noise head could reach if the network predicted it perfectly.

    python -m bench.vocoder_ceiling [--weights vocoder/weights] [--corpus ../corpora/heldout-test]
                                    [--per-speaker 1] [--iterations 250]

For each clip, the head's per-frame inputs (the projection's output: harmonic and noise
log-gain residuals per STFT bin, and log-F0; ``(1, 2 * bins + 1, frames)``) start from what
the trained network predicts and the gains are then fitted *freely* to that one clip with
Adam on the training loss (45 x multi-resolution log-mel L1 + multi-resolution STFT loss),
once with the network's F0 driving the source and once with the clip's YIN track (``oracle
F0``, as in training); F0 itself is not fitted (the source takes it without a gradient). PESQ
(wide band) of the network's output, of the network with the oracle F0 and of both fits are
printed side by side, per speaker and overall.

Reading it: the fitted PESQ is an upper bound of what the head can express (it is fitted on
the very clip it is scored on, so it also shapes its gains to that clip's particular noise,
which no vocoder driven by a mel can do); a large gap between it and the network says the
network, not the head design, limits quality. Writes bench/results/vocoder_ceiling.json.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from bench._vocoder_quality import corpus_clips
from bench.acoustic import DEFAULT_CORPUS
from bench.common import Row, print_table, write_results
from tts_moe.paths import REPO_ROOT


def fit_clip(generator, audio: np.ndarray, iterations: int, lr: float) -> dict:
    """PESQ and loss of the network, the network with oracle F0 and the freely fitted head on
    one clip (float32 ``(samples,)`` at the vocoder's rate)."""
    from tts_moe.acoustic.features import frame_pitch
    from tts_moe.audio import log_mel
    from vocoder.evaluate import perceptual_scores
    from vocoder.losses import SpectralLoss, mel_configs
    from vocoder.train import TrainOptions

    config, head = generator.config.mel_config, generator.head
    defaults = TrainOptions(corpus="-", run_dir="-")
    loss_fn = SpectralLoss(mel_configs(config))
    mel = log_mel(audio, config)[None]  # (1, n_mels, frames)
    frames = mel.shape[-1]
    real = torch.nn.functional.pad(torch.from_numpy(audio)[None], (0, frames * config.hop_length - len(audio)))
    log_f0, voiced = frame_pitch(audio, frames, config.hop_length, config.sample_rate)
    oracle = torch.from_numpy(log_f0)[None] if voiced.any() and log_f0.any() else None
    with torch.no_grad():
        predicted = head.project(generator.features(mel))  # (1, 2 * bins + 1, frames)

    def render(out: torch.Tensor, f0: torch.Tensor | None) -> torch.Tensor:
        return head.synthesise_from(out, mel, log_f0=f0).audio

    def loss(fake: torch.Tensor) -> torch.Tensor:
        mel_loss, stft_loss = loss_fn(fake, real)
        return defaults.mel_weight * mel_loss + defaults.stft_weight * stft_loss

    def pesq(fake: torch.Tensor) -> float:
        return perceptual_scores(fake[0, : len(audio)].clamp(-1, 1).detach().numpy(), audio)["pesq_wb"]

    row = {}
    with torch.no_grad():
        network = render(predicted, None)
        row["network"], row["network_loss"] = pesq(network), float(loss(network))
        row["oracle_f0"] = pesq(render(predicted, oracle)) if oracle is not None else float("nan")
    for name, f0 in (("network_f0", None), ("oracle_f0", oracle)):
        free = predicted.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([free], lr=lr)
        for _ in range(iterations):
            value = loss(render(free, f0))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
        with torch.no_grad():
            fitted = render(free, f0)
            row[f"fitted_{name}"], row[f"fitted_{name}_loss"] = pesq(fitted), float(loss(fitted))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=str(REPO_ROOT / "vocoder" / "weights"), help="harmonic vocoder folder")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="test corpus (default heldout-test)")
    parser.add_argument("--per-speaker", type=int, default=1, help="clips per speaker (default 1)")
    parser.add_argument("--iterations", type=int, default=250, help="Adam steps of the free fit (default 250)")
    parser.add_argument("--lr", type=float, default=0.02, help="Adam learning rate of the free fit")
    parser.add_argument("--max-seconds", type=float, default=6.0, help="use the first N seconds of each clip")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", default="vocoder_ceiling", help="results name: bench/results/NAME.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from tts_moe.audio import load_audio
    from vocoder.loader import Vocoder

    vocoder = Vocoder.from_pretrained(args.weights)
    generator = vocoder.generator.float().eval()
    if not generator.harmonic:
        raise SystemExit("bench.vocoder_ceiling needs a vocoder with the harmonic head")
    rate = generator.config.mel_config.sample_rate
    per_clip, by_speaker = [], defaultdict(list)
    for clip in corpus_clips(args.corpus, args.per_speaker, vocoder.card.get("training")):
        audio = np.asarray(load_audio(clip["path"], rate), dtype=np.float32)[: int(args.max_seconds * rate)]
        row = {"clip": clip["path"], "speaker": clip["speaker"], **fit_clip(generator, audio, args.iterations, args.lr)}
        per_clip.append(row)
        by_speaker[clip["speaker"]].append(row)
        print(f"{clip['speaker']}: network {row['network']:.3f}, oracle F0 {row['oracle_f0']:.3f}, fitted "
              f"{row['fitted_network_f0']:.3f} / {row['fitted_oracle_f0']:.3f} (network / oracle F0)", flush=True)
    rows = [Row("clips / speakers", f"{len(per_clip)} / {len(by_speaker)}"),
            Row("free-fit iterations", args.iterations)]
    labels = (("network", "network"), ("oracle_f0", "network, oracle F0"),
              ("fitted_network_f0", "fitted head, network F0"), ("fitted_oracle_f0", "fitted head, oracle F0"))
    for key, label in labels:
        rows.append(Row(f"PESQ-wb {label}", round(float(np.nanmean([r[key] for r in per_clip])), 3)))
    for key, label in (("network_loss", "network"), ("fitted_oracle_f0_loss", "fitted head, oracle F0")):
        rows.append(Row(f"training loss {label}", round(float(np.nanmean([r[key] for r in per_clip])), 3)))
    for speaker, clips in sorted(by_speaker.items()):
        network, fitted = (np.nanmean([r[key] for r in clips]) for key in ("network", "fitted_oracle_f0"))
        rows.append(Row(f"{speaker}: PESQ-wb network / fitted (oracle F0)", f"{network:.2f} / {fitted:.2f}"))
    title = "Harmonic head ceiling: network vs head outputs fitted freely per clip"
    print_table(title, rows)
    path = write_results(args.results, title, rows, {"weights": args.weights, "corpus": str(args.corpus),
                                                      "clips": per_clip})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
