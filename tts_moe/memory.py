"""Keep long runs' memory bounded: a fixed glibc mmap threshold for large blocks.

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

``TTS_MOE_MMAP_THRESHOLD_MB`` overrides the threshold; ``TTS_MOE_MALLOC_TUNING=0`` leaves
glibc alone. A no-op off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD_BYTES = 8 << 20
TRIM_THRESHOLD_BYTES = 64 << 20
_applied: bool | None = None


def limit_heap_growth() -> bool:
    """Fix glibc's mmap threshold (8 MB; see the module docstring) and trim threshold (64 MB);
    returns True when applied (Linux with glibc), False otherwise. Safe to call repeatedly."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("TTS_MOE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    threshold = int(float(os.environ.get("TTS_MOE_MMAP_THRESHOLD_MB", MMAP_THRESHOLD_BYTES / 2**20)) * 2**20)
    _applied = bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied
