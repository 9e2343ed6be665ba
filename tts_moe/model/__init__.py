"""The acoustic model (issue 3). So far: the per-phoneme mixture-of-experts layer."""

from tts_moe.model.moe import DenseFeedForward, MoEConfig, MoEFeedForward, Routing

__all__ = ["DenseFeedForward", "MoEConfig", "MoEFeedForward", "Routing"]
