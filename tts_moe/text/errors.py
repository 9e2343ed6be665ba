"""Text-specific warning class; errors come from :mod:`tts_moe.errors`."""

from __future__ import annotations

import warnings

from tts_moe.errors import TextError

__all__ = ["TextError", "TextWarning", "warn"]


class TextWarning(UserWarning):
    """Something in the input text was dropped or guessed (emoji, control characters, ...)."""


def warn(message: str) -> None:
    """Emit a :class:`TextWarning` pointing at the caller's caller."""
    warnings.warn(message, TextWarning, stacklevel=3)
