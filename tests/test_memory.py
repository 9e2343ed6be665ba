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


@pytest.mark.parametrize("variable", ["ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"])
def test_kernel_caches_capped_unless_the_environment_says_otherwise(monkeypatch, variable):
    monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("TTS_MOE_MALLOC_TUNING", raising=False)
    memory.limit_kernel_cache()
    assert memory.os.environ[variable] == str(memory.KERNEL_CACHE_CAPACITY)
    monkeypatch.setenv(variable, "512")
    memory.limit_kernel_cache()
    assert memory.os.environ[variable] == "512"
    monkeypatch.delenv(variable)
    monkeypatch.setenv("TTS_MOE_MALLOC_TUNING", "0")
    memory.limit_kernel_cache()
    assert variable not in memory.os.environ


def test_release_free_memory_only_after_the_tuning_applied(monkeypatch):
    monkeypatch.setattr(memory, "_applied", False)
    assert memory.release_free_memory() is False
    monkeypatch.setattr(memory, "_applied", None)
    if memory.limit_heap_growth():
        # 32 MB in 16 KB blocks: from the heap (under the mmap threshold), and once freed, below
        # the 64 MB trim threshold, so they stay with the process until trimmed
        blocks = [bytearray(16 << 10) for _ in range(2048)]
        del blocks
        assert memory.release_free_memory() is True
