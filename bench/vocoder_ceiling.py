"""What the harmonic-plus-noise head could reach if the network predicted it perfectly.

    python -m bench.vocoder_ceiling [--weights vocoder/weights] [--corpus ../corpora/heldout-test]
                                    [--per-speaker 1] [--iterations 250] [--phase-terms 48]
                                    [--mel-phase-terms 0] [--loss-resolutions N:HOP:MELS,...]
                                    [--phase-only]

For each clip, the head's per-frame inputs (the projection's output: harmonic and noise
log-gain residuals per STFT bin, phase terms, and log-F0; ``(1, outputs, frames)``) start from what
the trained network predicts and the gains are then fitted *freely* to that one clip with
Adam on the training loss (45 x multi-resolution log-mel L1 + multi-resolution STFT loss),
once with the network's F0 driving the source and once with the clip's YIN track (``oracle
F0``, as in training); F0 itself is not fitted (the source takes it without a gradient). PESQ
(wide band) of the network's output, of the network with the oracle F0 and of both fits are
printed side by side, per speaker and overall.

A third fit frees only the phase terms of the head's filter (``--phase-terms K`` linear and
``--mel-phase-terms M`` mel-warped sine terms per frame, see :mod:`vocoder.harmonic`; a head
trained with fewer gets zero terms, which render exactly what it renders without), gains and
F0 as the network predicts them: what a per-frame phase residual alone could add.
``--phase-only`` runs just that fit (a third of the time); ``--loss-resolutions`` fits against
other STFT resolutions (as ``tts-moe vocoder train --loss-resolutions``; repeat one to weight it
more), so a loss can be tried on the head before a network is trained with it.

Reading it: the fitted PESQ is an upper bound of what the head can express (it is fitted on
the very clip it is scored on, so it also shapes its gains to that clip's particular noise,
which no vocoder driven by a mel can do); a large gap between it and the network says the
network, not the head design, limits quality. Writes bench/results/vocoder_ceiling.json.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from bench._clip_probe import add_arguments, run_clips, save, speaker_rows
from bench.common import Row


def fit_free(render, start: torch.Tensor, rows: slice, iterations: int, lr: float, loss) -> torch.Tensor:
    """Adam on ``start``'s ``rows`` (head inputs ``(1, outputs, frames)``) against ``loss``;
    the other rows stay as they are. Returns the fitted head inputs."""
    before, free, after = start[:, : rows.start], start[:, rows].clone().requires_grad_(True), start[:, rows.stop :]
    optimizer = torch.optim.Adam([free], lr=lr)
    for _ in range(iterations):
        value = loss(render(torch.cat([before, free, after], dim=1)))
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    return torch.cat([before, free.detach(), after], dim=1)


def clip_problem(generator, audio: np.ndarray, resolutions=None):
    """What a per-clip fit needs: the clip's log-mel ``(1, n_mels, frames)``, the network's head
    inputs for it ``(1, outputs, frames)``, the training loss against the clip (45 x mel L1 +
    STFT loss at ``resolutions``, default the training default) and its PESQ-wb, both taking a
    rendered ``(1, samples)``."""
    from tts_moe.audio import log_mel
    from vocoder.evaluate import perceptual_scores
    from vocoder.losses import MEL_RESOLUTIONS, SpectralLoss, mel_configs
    from vocoder.train import TrainOptions

    config, head = generator.config.mel_config, generator.head
    defaults = TrainOptions(corpus="-", run_dir="-")
    loss_fn = SpectralLoss(mel_configs(config, resolutions or MEL_RESOLUTIONS))
    mel = log_mel(audio, config)[None]
    real = torch.nn.functional.pad(torch.from_numpy(audio)[None], (0, mel.shape[-1] * config.hop_length - len(audio)))
    with torch.no_grad():
        predicted = head.project(generator.features(mel))

    def loss(fake: torch.Tensor) -> torch.Tensor:
        mel_loss, stft_loss = loss_fn(fake, real)
        return defaults.mel_weight * mel_loss + defaults.stft_weight * stft_loss

    def pesq(fake: torch.Tensor) -> float:
        return perceptual_scores(fake[0, : len(audio)].clamp(-1, 1).detach().numpy(), audio)["pesq_wb"]

    return mel, predicted, loss, pesq


def fit_clip(generator, audio: np.ndarray, iterations: int, lr: float, resolutions=None,
             phase_only: bool = False) -> dict:
    """PESQ and loss of the network, the network with oracle F0, the freely fitted head and the
    head with only its phase terms fitted (only the last with ``phase_only``), on one clip
    (float32 ``(samples,)`` at the vocoder's rate); ``generator`` is a harmonic generator with
    phase terms; the loss uses ``resolutions`` (``(n_fft, hop, n_mels)`` each; default the
    training default)."""
    from tts_moe.acoustic.features import frame_pitch

    config, head = generator.config.mel_config, generator.head
    mel, predicted, loss, pesq = clip_problem(generator, audio, resolutions)
    frames = mel.shape[-1]
    log_f0, voiced = frame_pitch(audio, frames, config.hop_length, config.sample_rate)
    oracle = torch.from_numpy(log_f0)[None] if voiced.any() and log_f0.any() else None

    row = {}
    with torch.no_grad():
        network = head.synthesise_from(predicted, mel).audio
        row["network"], row["network_loss"] = pesq(network), float(loss(network))
        row["oracle_f0"] = pesq(head.synthesise_from(predicted, mel, log_f0=oracle).audio) if oracle is not None \
            else float("nan")
    all_but_f0 = slice(0, head.phase_rows.stop)  # gains and phase terms; F0 (the last row) stays
    fits = (("network_f0", None, all_but_f0), ("oracle_f0", oracle, all_but_f0), ("phase", None, head.phase_rows))
    for name, f0, rows in fits[2:] if phase_only else fits:
        def render(out: torch.Tensor, f0=f0) -> torch.Tensor:
            return head.synthesise_from(out, mel, log_f0=f0).audio

        fitted = fit_free(render, predicted, rows, iterations, lr, loss)
        with torch.no_grad():
            audio_out = render(fitted)
            row[f"fitted_{name}"], row[f"fitted_{name}_loss"] = pesq(audio_out), float(loss(audio_out))
    return row


def with_phase_terms(generator, terms: int, mel_terms: int = 0):
    """``generator`` itself when it has at least ``terms`` linear and ``mel_terms`` mel-warped
    phase terms, else a copy widened with zero terms (same output, see
    :func:`vocoder.model.load_grown`)."""
    from dataclasses import replace

    from vocoder.config import PHASE_FIELDS
    from vocoder.model import Generator, load_grown

    present = {name: getattr(generator.config, name) for name in PHASE_FIELDS}
    wanted = {name: max(count, present[name]) for name, count in zip(PHASE_FIELDS, (terms, mel_terms))}
    if wanted == present:
        return generator
    wide = Generator(replace(generator.config, **wanted))
    load_grown(wide, generator)
    return wide.eval()


def describe_clip(row: dict) -> str:
    """One clip's PESQ line; the free fits only when they ran (not with ``--phase-only``)."""
    text = f"network {row['network']:.3f}, oracle F0 {row['oracle_f0']:.3f}"
    if "fitted_network_f0" in row:
        text += f", fitted {row['fitted_network_f0']:.3f} / {row['fitted_oracle_f0']:.3f} (network / oracle F0)"
    return text + f", phase only {row['fitted_phase']:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, "vocoder_ceiling", per_speaker_default=1, max_seconds=6.0)
    parser.add_argument("--iterations", type=int, default=250, help="Adam steps of the free fit (default 250)")
    parser.add_argument("--lr", type=float, default=0.02, help="Adam learning rate of the free fit")
    parser.add_argument("--phase-terms", type=int, default=48,
                        help="phase terms of the phase-only fit (a head with fewer gets zero terms; default 48)")
    parser.add_argument("--mel-phase-terms", type=int, default=0,
                        help="mel-warped phase terms of the phase-only fit (likewise; default 0)")
    parser.add_argument("--loss-resolutions", help="n_fft:hop:n_mels,... of the fitted loss (default: the training "
                        "default); repeat one to weight it more")
    parser.add_argument("--phase-only", action="store_true", help="run only the phase-terms fit")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from vocoder.loader import Vocoder

    vocoder = Vocoder.from_pretrained(args.weights)
    generator = vocoder.generator.float().eval()
    if not generator.harmonic:
        raise SystemExit("bench.vocoder_ceiling needs a vocoder with the harmonic head")
    generator = with_phase_terms(generator, args.phase_terms, args.mel_phase_terms)
    from vocoder.losses import MEL_RESOLUTIONS, parse_resolutions

    resolutions = parse_resolutions(args.loss_resolutions) if args.loss_resolutions else MEL_RESOLUTIONS
    per_clip = run_clips(args, vocoder,
                         lambda audio: fit_clip(generator, audio, args.iterations, args.lr, resolutions, args.phase_only),
                         describe_clip)
    rows = [Row("clips / speakers", f"{len(per_clip)} / {len({r['speaker'] for r in per_clip})}"),
            Row("free-fit iterations", args.iterations),
            Row("phase terms (phase-only fit)", generator.config.phase_terms),
            Row("mel-warped phase terms (phase-only fit)", generator.config.mel_phase_terms),
            Row("loss resolutions (n_fft:hop:n_mels)", ",".join(":".join(map(str, r)) for r in resolutions))]
    labels = (("network", "network"), ("oracle_f0", "network, oracle F0"),
              ("fitted_network_f0", "fitted head, network F0"), ("fitted_oracle_f0", "fitted head, oracle F0"),
              ("fitted_phase", "phase terms fitted, network gains and F0"))
    losses = (("network_loss", "network"), ("fitted_oracle_f0_loss", "fitted head, oracle F0"),
              ("fitted_phase_loss", "phase terms fitted"))
    for prefix, pairs in (("PESQ-wb", labels), ("fitted loss", losses)):
        rows += [Row(f"{prefix} {label}", round(float(np.nanmean([r[key] for r in per_clip])), 3))
                 for key, label in pairs if key in per_clip[0]]
    speakers = ("network", "fitted_phase") if args.phase_only else ("network", "fitted_oracle_f0", "fitted_phase")
    rows += speaker_rows(per_clip, speakers, "PESQ-wb " + " / ".join(speakers))
    save(args, "Harmonic head ceiling: network vs head outputs fitted freely per clip", rows, per_clip)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
