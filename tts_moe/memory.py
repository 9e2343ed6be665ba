"""Keep long runs' memory bounded: oneDNN's kernel caches, glibc's mmap threshold, trimming.

oneDNN (torch's CPU convolution library) caches a compiled kernel, with its scratch memory,
for every input shape it meets, up to 1,024 of them. Every batch of a long script has new
lengths, so the cache grew by ~4-7 MB per window and set the peak: capacity 64
(``ONEDNN_PRIMITIVE_CACHE_CAPACITY``, set on ``import tts_moe`` unless already set) measured,
side by side with the shipped models on this machine (vocoder calls <= 3,000 frames):

| kernel cache | peak RSS 10 / 60 min script | 10-min script RTF, 2 threads |
|---|---|---|
| 1,024 (oneDNN default) | 858-882 / 1,081 MB | 0.022-0.026 |
| 64 (default here) | 789-807 / 857 MB | 0.027-0.030 |
| 8 | 770 / not measured | 0.028-0.031 |

torch's oneDNN bridge (ideep) keeps a second cache of its own, of convolution kernels with their
prepared weights per input shape, sized by ``LRU_CACHE_CAPACITY`` (default 1,024); the primitive
cache's capacity does not bound it. Under the bf16 backbone (the synthesizer's default on CPUs
with bf16 units) it grew without bound: 300 vocoder calls of random shapes (1-8 rows, 100-3,000
frames, the synthesis weights, 2 threads) took the resident size from 580 to 738 MB, +0.5 MB a
call, where float32 stayed within 10 MB (it uses other kernels) and capacity 64 (set here
like the primitive cache) held it at 587-591 MB. ``LRU_CACHE_CAPACITY`` is also set on
``import tts_moe`` unless already set. Long-form peaks (``python -m bench.longform``, 12-07): 10 /
60-minute scripts 895 / 1,018 MB before (ratio 1.137), 894 / 998 MB with it (1.116; goal 1.1). The
rest is not accumulation: sampled after each window's trim, a 60-minute script's resident size
creeps only 647 -> 667 MB over its 15 windows, while inside a window it peaks at 832-958 MB during
rendering (acoustic and vocoder calls of the window's longest batches alike), so a longer script
peaks higher by meeting more windows.

glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MB), after
which tensors of a few MB come from the heap, whose free space fragments and is not returned
to the system when sentence lengths keep changing. Fixing the threshold trades speed for
memory; measured side by side on this machine (shipped models, `python -m bench.longform`):

| threshold | peak RSS 10 / 60 min script | 3-min script RTF, 2 threads |
|---|---|---|
| glibc default (dynamic) | 1,015 / 1,597 MB (1 thread) | 0.034 |
| 1 MB | 857 / 929 MB | 0.064 (page faults on every fresh block) |
| 8 MB (default here) | 991 / 1,192 MB | 0.038 |
| 32 MB | not measured | 0.029 |

The glibc side: ``TTS_MOE_MMAP_THRESHOLD_MB`` overrides the threshold; ``TTS_MOE_MALLOC_TUNING=0`` leaves
glibc alone. A no-op off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

KERNEL_CACHE_CAPACITY = 64
# oneDNN's primitive cache and ideep's kernel cache (see the module docstring)
CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


def _tuning_enabled() -> bool:
    """``TTS_MOE_MALLOC_TUNING=0`` turns every setting of this module off."""
    return os.environ.get("TTS_MOE_MALLOC_TUNING", "1") != "0"


def limit_kernel_cache() -> None:
    """Cap oneDNN's and ideep's kernel caches at :data:`KERNEL_CACHE_CAPACITY` unless the
    environment sets them (:data:`CACHE_VARIABLES`); read when torch first uses them, so call
    before any inference (``import tts_moe`` does)."""
    if _tuning_enabled():
        for variable in CACHE_VARIABLES:
            os.environ.setdefault(variable, str(KERNEL_CACHE_CAPACITY))


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD_BYTES = 8 << 20
TRIM_THRESHOLD_BYTES = 64 << 20
_applied: bool | None = None
_libc = None


def limit_heap_growth() -> bool:
    """Fix glibc's mmap threshold (8 MB; see the module docstring) and trim threshold (64 MB);
    returns True when applied (Linux with glibc), False otherwise. Safe to call repeatedly."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if not _tuning_enabled() or not sys.platform.startswith("linux"):
        return False
    global _libc
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    _libc = libc
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    threshold = int(float(os.environ.get("TTS_MOE_MMAP_THRESHOLD_MB", MMAP_THRESHOLD_BYTES / 2**20)) * 2**20)
    _applied = bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc ``malloc_trim(0)``), e.g. after
    each window of a long script; returns whether anything was released. Only once
    :func:`limit_heap_growth` has applied its tuning (so ``TTS_MOE_MALLOC_TUNING=0`` turns it off too)."""
    if not _applied or _libc is None:
        return False
    trim = getattr(_libc, "malloc_trim", None)
    if trim is None:  # pragma: no cover - every glibc has it
        return False
    trim.argtypes, trim.restype = (ctypes.c_size_t,), ctypes.c_int
    return bool(trim(0))
