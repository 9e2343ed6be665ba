"""tts_moe/memory.py: the allocator setting is applied once, and only where it exists."""

from __future__ import annotations

import sys

import pytest

from tts_moe import memory


def test_applied_on_glibc_linux_and_idempotent(monkeypatch):
    monkeypatch.setattr(memory, "_applied", None)
    first = memory.limit_heap_growth()
    if sys.platform.startswith("linux"):
        import platform

        if platform.libc_ver()[0] == "glibc":
            assert first is True
    assert memory.limit_heap_growth() is first


def test_no_op_off_linux(monkeypatch):
    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.limit_heap_growth() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_missing_mallopt_is_tolerated(monkeypatch):
    class NoMallopt:
        def __init__(self, *_):
            pass

    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.setattr(memory.ctypes, "CDLL", NoMallopt)
    assert memory.limit_heap_growth() is False
