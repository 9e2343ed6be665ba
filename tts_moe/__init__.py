"""tts-moe: mixture-of-experts text-to-speech with watermarked, consent-tracked output."""

__version__ = "0.1.0"
