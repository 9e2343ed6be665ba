"""Where the toolkit finds the project's shared folder (public-domain text data, docs).

The shared folder sits beside the repository (``<repo>/../shared``), as in CI; set
``TTS_MOE_SHARED`` to use another one.
"""

from __future__ import annotations

import os
from pathlib import Path

from tts_moe.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The project's shared folder (``$TTS_MOE_SHARED`` or ``<repo>/../shared``)."""
    env = os.environ.get("TTS_MOE_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def data_dir() -> Path:
    """``<shared>/data``; raises :class:`InputError` with the fix when it is missing."""
    path = shared_dir() / "data"
    if not path.is_dir():
        raise InputError(
            f"text data folder {path} not found: put the shared folder beside the repository "
            "or set TTS_MOE_SHARED to it"
        )
    return path
