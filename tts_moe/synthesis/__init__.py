"""Synthesis: scripts -> watermarked, ledger-logged audio (see :class:`Synthesizer`)."""

from tts_moe.synthesis.synthesizer import SynthesisResult, Synthesizer

__all__ = ["Synthesizer", "SynthesisResult"]
