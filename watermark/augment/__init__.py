"""Audio edits used to train the watermark for robustness and to benchmark it.

Every edit is a small function ``edit(audio, mask, generator, **params) -> (audio, mask)``
on 16 kHz tensors: ``audio (batch, time)`` float and ``mask (batch, time)`` float, 1 where
watermarked audio remains (the detector's per-sample target). Edits that keep the timing
return the mask unchanged; speed, crop and splice transform it with the audio. Random
parameters come from the ``torch.Generator`` only, so a seeded run is repeatable.

Differentiable edits (filters, noise, echo, volume, speed, crop, splice) pass gradients to
the generator; resampling and the ffmpeg codecs are applied with a straight-through
estimator (forward: the real edit; backward: identity).
"""

from watermark.augment.codecs import codec
from watermark.augment.filters import bandpass, highpass, lowpass
from watermark.augment.level import echo, pink_noise, volume, white_noise
from watermark.augment.policy import EDITS, TrainingPolicy, identity
from watermark.augment.timing import crop, resample_round_trip, speed, splice

__all__ = [
    "EDITS", "TrainingPolicy", "bandpass", "codec", "crop", "echo", "highpass", "identity",
    "lowpass", "pink_noise", "resample_round_trip", "speed", "splice", "volume", "white_noise",
]
