"""Where the ledger lives: ``--ledger PATH`` > ``$TTS_MOE_LEDGER`` > the XDG data folder."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "TTS_MOE_LEDGER"
FILE_NAME = "ledger.sqlite3"


def default_ledger_path(environ: dict[str, str] | None = None) -> Path:
    """``$TTS_MOE_LEDGER``, else ``$XDG_DATA_HOME/tts-moe/ledger.sqlite3``, else
    ``~/.local/share/tts-moe/ledger.sqlite3`` (a relative ``XDG_DATA_HOME`` is ignored, as
    the XDG base directory specification requires)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    data_home = env.get("XDG_DATA_HOME", "")
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else (
        Path.home() / ".local" / "share")
    return base / "tts-moe" / FILE_NAME


def resolve_ledger_path(path: str | os.PathLike | None = None) -> Path:
    """``path`` when given (the ``--ledger`` flag), otherwise :func:`default_ledger_path`."""
    return Path(path).expanduser() if path else default_ledger_path()
