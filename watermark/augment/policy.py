"""Which edit to apply: the fixed benchmark edits and the random training policy.

``EDITS`` maps a name to a fixed-parameter edit ``(audio, mask, generator) -> (audio, mask)``
(the robustness table of ``bench/watermark.py``; splicing needs unmarked audio and is
handled by the caller). :class:`TrainingPolicy` draws one edit per batch with random
parameters from a seeded ``torch.Generator``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch

from watermark.augment.codecs import codec
from watermark.augment.filters import bandpass, highpass, lowpass
from watermark.augment.level import echo, pink_noise, volume, white_noise
from watermark.augment.timing import crop, fit_length, resample_round_trip, speed, splice

CROP_PROBABILITY = 0.2  # share of training batches cropped (at full curriculum)

Edit = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def identity(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
    return audio, mask


EDITS: dict[str, Edit] = {
    "clean": identity,
    "resample 8 kHz": partial(resample_round_trip, rate=8000),
    "resample 22.05 kHz": partial(resample_round_trip, rate=22050),
    "resample 44.1 kHz": partial(resample_round_trip, rate=44100),
    "mp3 64 kbit/s": partial(codec, name="mp3", bitrate_kbps=64),
    "mp3 128 kbit/s": partial(codec, name="mp3", bitrate_kbps=128),
    "aac 64 kbit/s": partial(codec, name="aac", bitrate_kbps=64),
    "opus 32 kbit/s": partial(codec, name="opus", bitrate_kbps=32),
    "white noise 20 dB": partial(white_noise, snr_db=20.0),
    "white noise 10 dB": partial(white_noise, snr_db=10.0),
    "pink noise 20 dB": partial(pink_noise, snr_db=20.0),
    "low-pass 3 kHz": partial(lowpass, cutoff_hz=3000.0),
    "high-pass 500 Hz": partial(highpass, cutoff_hz=500.0),
    "band-pass 300-4000 Hz": partial(bandpass, low_hz=300.0, high_hz=4000.0),
    "speed +10 %": partial(speed, factor=1.1),
    "speed -10 %": partial(speed, factor=0.9),
    "echo 100 ms": partial(echo, delay_s=0.1, decay=0.4),
    "volume +6 dB": partial(volume, gain_db=6.0),
    "volume -6 dB": partial(volume, gain_db=-6.0),
    "crop 1 s": partial(crop, seconds=1.0),
}


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


@dataclass
class TrainingPolicy:
    """Random edits for training. ``codecs=False`` skips ffmpeg (tests, speed)."""

    codecs: bool = True
    splice_probability: float = 0.5

    def names(self) -> list[str]:
        names = ["identity", "resample", "lowpass", "highpass", "bandpass", "white_noise",
                 "pink_noise", "speed", "echo", "volume"]
        return names + (["mp3", "aac", "opus"] if self.codecs else [])

    def draw(self, generator: torch.Generator) -> tuple[str, Edit]:
        """One edit with random parameters (the name says which)."""
        names = self.names()
        name = names[int(torch.randint(len(names), (), generator=generator))]
        u = partial(_uniform, generator)
        choices: dict[str, Callable[[], Edit]] = {
            "identity": lambda: identity,
            "resample": lambda: partial(resample_round_trip, rate=[8000, 11025, 22050, 32000, 44100][
                int(torch.randint(5, (), generator=generator))]),
            "lowpass": lambda: partial(lowpass, cutoff_hz=u(2000, 5000)),
            "highpass": lambda: partial(highpass, cutoff_hz=u(100, 1500)),
            "bandpass": lambda: partial(bandpass, low_hz=u(200, 600), high_hz=u(3000, 6000)),
            "white_noise": lambda: partial(white_noise, snr_db=u(5, 30)),
            "pink_noise": lambda: partial(pink_noise, snr_db=u(5, 30)),
            "speed": lambda: partial(speed, factor=u(0.85, 1.15)),
            "echo": lambda: partial(echo, delay_s=u(0.03, 0.3), decay=u(0.2, 0.6)),
            "volume": lambda: partial(volume, gain_db=u(-12, 12)),
            "mp3": lambda: partial(codec, name="mp3", bitrate_kbps=[32, 64, 128][
                int(torch.randint(3, (), generator=generator))]),
            "aac": lambda: partial(codec, name="aac", bitrate_kbps=[48, 64, 128][
                int(torch.randint(3, (), generator=generator))]),
            "opus": lambda: partial(codec, name="opus", bitrate_kbps=[16, 32, 64][
                int(torch.randint(3, (), generator=generator))]),
        }
        return name, choices[name]()

    def apply(self, marked: torch.Tensor, original: torch.Tensor, generator: torch.Generator, *,
              edit_probability: float = 1.0, timing_probability: float = 1.0
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]:
        """Edit a training batch. Returns ``(edited_marked, edited_original, mask, name)``:
        both versions get the same edit (same noise draw); the marked one may first be
        spliced with its own unmarked original (so the mask has unmarked stretches) and
        cropped to a random length.

        Curriculum knobs (see ``watermark.train.edit_schedule``): an edit is drawn with
        ``edit_probability`` (otherwise ``identity``); splicing and cropping happen with
        ``splice_probability`` and ``CROP_PROBABILITY`` times ``timing_probability``. The
        random draws are the same whatever the knobs, so a step's edit is a pure function of
        the generator's seed and the knobs."""
        mask = torch.ones_like(marked)
        splice_draw, fraction = float(torch.rand((), generator=generator)), _uniform(generator, 0.2, 0.8)
        if splice_draw < self.splice_probability * timing_probability:
            marked, mask = splice(marked, mask, generator, unmarked=original, fraction=fraction)
        name, edit = self.draw(generator)
        if float(torch.rand((), generator=generator)) >= edit_probability:
            name, edit = "identity", identity
        state = generator.get_state()
        edited, mask = edit(marked, mask, generator)
        generator.set_state(state)
        edited_original, _ = edit(original, torch.ones_like(original), generator)
        if edited.shape[-1] != marked.shape[-1]:  # speed: back to the batch length (padding
            edited, mask = fit_length(edited, marked.shape[-1]), fit_length(mask, marked.shape[-1])
            edited_original = fit_length(edited_original, marked.shape[-1])  # is unmarked)
        crop_draw, crop_fraction = float(torch.rand((), generator=generator)), _uniform(generator, 0.3, 0.9)
        if crop_draw < CROP_PROBABILITY * timing_probability:
            # crop lengths on a 0.1 s grid: few distinct shapes (oneDNN sets up each shape once)
            tenths = round(crop_fraction * marked.shape[-1] / 1600)
            seconds = max(1, tenths) / 10
            state = generator.get_state()
            edited, mask = crop(edited, mask, generator, seconds=seconds)
            generator.set_state(state)
            edited_original, _ = crop(edited_original, torch.ones_like(edited_original), generator,
                                      seconds=seconds)
            name += "+crop"
        return edited, edited_original, mask, name
