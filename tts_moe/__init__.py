"""tts-moe: mixture-of-experts text-to-speech with watermarked, consent-tracked output."""

__version__ = "0.1.0"

from tts_moe.memory import limit_kernel_cache as _limit_kernel_cache

_limit_kernel_cache()  # before torch creates its first oneDNN kernel (tts_moe/memory.py)


def __getattr__(name: str):
    """``from tts_moe import Synthesizer`` without importing torch for every ``import tts_moe``."""
    if name in ("Synthesizer", "SynthesisResult"):
        from tts_moe import synthesis

        return getattr(synthesis, name)
    raise AttributeError(f"module 'tts_moe' has no attribute {name!r}")
