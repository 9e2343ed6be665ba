"""Neural vocoder: log-mel (16 kHz, 80 bins, tts_moe.audio.log_mel) -> waveform (issue 4).

Public API (imported lazily so ``tts-moe --help`` stays fast)::

    from vocoder import Vocoder, VocoderConfig
    vocoder = Vocoder.from_pretrained()       # vocoder/weights/ (real mels; synthesis_weights/:
                                              # tuned for the shipped acoustic model)
    audio = vocoder(mel)                      # (n_mels, frames) -> (frames * hop,)
    audio = vocoder.synthesize(long_mel)      # chunked, same result as whole

Modules: config (VocoderConfig), model (generator), discriminators, losses, dataset,
harmonic, precision, train, loader (Vocoder), chunking, overlap_add, export, evaluate, cli.
"""

from __future__ import annotations

__all__ = ["Vocoder", "VocoderConfig"]


def __getattr__(name: str):
    if name == "Vocoder":
        from vocoder.loader import Vocoder

        return Vocoder
    if name == "VocoderConfig":
        from vocoder.config import VocoderConfig

        return VocoderConfig
    raise AttributeError(f"module 'vocoder' has no attribute {name!r}")
