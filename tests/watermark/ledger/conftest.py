"""Fixtures of the ledger tests: a fresh ledger with a built-in and a consented cloned voice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from watermark.ledger.store import Ledger


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
def ledger(ledger_path: Path):
    with Ledger(ledger_path) as opened:
        opened.add_voice("narrator", "builtin", name="Narrator")
        opened.add_voice("alice", "cloned", name="Alice")
        opened.consent_id = opened.add_consent(
            "alice", "Alice Example", expires_at="2099-01-01")["consent_id"]
        yield opened


def tone(samples: int = 1600, seed: int = 0) -> np.ndarray:
    """A short non-silent test signal ``(time,)`` float32."""
    rng = np.random.default_rng(seed)
    return (0.3 * np.sin(np.arange(samples) / 7.0) + 0.01 * rng.standard_normal(samples)
            ).astype(np.float32)


def add_clips(ledger: Ledger, count: int, payload: int | None = None) -> list[dict]:
    """``count`` clip rows without files (payload allocated unless given)."""
    rows = []
    for index in range(count):
        rows.append(ledger.add_clip(
            audio_sha256=f"{index:064x}", duration_s=1.0 + index, voice_id="narrator",
            payload=ledger.allocate_payload() if payload is None else payload,
            text=f"sentence {index}"))
    return rows


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection for editing the file by hand (append-only triggers dropped)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


@pytest.fixture
def tools():
    """The helpers above (test modules cannot import conftest under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(tone=tone, add_clips=add_clips, raw=raw)
