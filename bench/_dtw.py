"""Dynamic time warping and edit distance with numpy rows (no per-cell Python loop).

Both dynamic programmes have the form ``D[i, j] = min(A[i, j], D[i, j - 1] + h[i, j])``
where ``A`` only depends on row ``i - 1``. The in-row recursion is solved for a whole row
at once with a prefix minimum: with ``S = cumsum(h)``,
``D[i, j] = S[j] + min_{k <= j} (A[i, k] - S[k])`` (``np.minimum.accumulate``). So the
Python loop runs over rows (frames or words), numpy over columns, and the traceback walks
the path once (``n + m`` steps at most).
"""

from __future__ import annotations

import numpy as np

from tts_moe.errors import InputError

MAX_DTW_CELLS = 25_000_000  # 5,000 x 5,000 frames (50 s against 50 s at 10 ms): ~400 MB


def pairwise_euclidean(a: np.ndarray, b: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Euclidean distances between the rows of ``a (n, d)`` and ``b (m, d)``: ``(n, m)``.

    Computed from the differences (``chunk`` rows of ``a`` at a time), not from
    ``|a|^2 + |b|^2 - 2ab``, so identical frames are exactly 0 apart and rounding noise
    cannot pull a DTW path off the diagonal of a clip compared with itself.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.empty((a.shape[0], b.shape[0]))
    for start in range(0, a.shape[0], chunk):
        diff = a[start:start + chunk, None, :] - b[None, :, :]
        out[start:start + chunk] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


def _prefix_min_row(before: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Solve ``D[j] = min(before[j], D[j - 1] + step[j])`` for a whole row, ``(m,)``."""
    running = np.cumsum(step)
    return running + np.minimum.accumulate(before - running)


def dtw(cost: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-cost monotonic path through a local cost matrix ``(n, m)``.

    Steps (1, 0), (0, 1) and (1, 1), each adding the cost of the cell it enters (diagonal
    steps are not weighted double, so the path prefers them); the path starts at (0, 0) and
    ends at (n - 1, m - 1). Returns ``path (steps, 2)`` of ``(i, j)`` int pairs in time order
    and the accumulated cost. Memory is ``O(n * m)``; over :data:`MAX_DTW_CELLS` cells it
    raises :class:`InputError` (align sentence by sentence instead).
    """
    shape = np.shape(cost)
    if len(shape) != 2 or 0 in shape:
        raise InputError(f"DTW needs a non-empty (n, m) cost matrix, got shape {shape}")
    n, m = shape
    if n * m > MAX_DTW_CELLS:
        raise InputError(
            f"DTW over {n} x {m} frames is too large ({n * m:,} cells, limit "
            f"{MAX_DTW_CELLS:,}): compare utterances sentence by sentence"
        )
    cost = np.asarray(cost, dtype=np.float64)
    total = np.empty((n, m))
    total[0] = np.cumsum(cost[0])
    for i in range(1, n):
        previous = total[i - 1]
        before = np.empty(m)
        before[0] = previous[0] + cost[i, 0]
        before[1:] = np.minimum(previous[1:], previous[:-1]) + cost[i, 1:]
        # horizontal step into column j adds cost[i, j]; column 0 has no left neighbour
        step = np.concatenate([[0.0], cost[i, 1:]])
        total[i] = _prefix_min_row(before, step)
    return _traceback(total), float(total[-1, -1])


def _traceback(total: np.ndarray) -> np.ndarray:
    """Walk back from the last cell choosing the cheapest predecessor (diagonal on ties)."""
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diagonal, up, left = total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]
            if diagonal <= up and diagonal <= left:
                i, j = i - 1, j - 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.asarray(path[::-1], dtype=np.int64)


def edit_operations(reference: list[str], hypothesis: list[str]) -> dict:
    """Word-level Levenshtein alignment counts.

    Returns ``{"edits", "substitutions", "deletions", "insertions", "hits"}`` for turning
    ``reference`` into ``hypothesis`` with unit costs. Among equally short alignments the
    traceback prefers match/substitution, then deletion, then insertion.
    """
    n, m = len(reference), len(hypothesis)
    vocabulary: dict[str, int] = {}
    ref = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in reference], dtype=np.int64)
    hyp = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in hypothesis], dtype=np.int64)
    total = np.empty((n + 1, m + 1))
    total[0] = np.arange(m + 1)
    ones = np.ones(m + 1)
    ones[0] = 0.0
    for i in range(1, n + 1):
        previous = total[i - 1]
        before = np.empty(m + 1)
        before[0] = previous[0] + 1
        before[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp != ref[i - 1]))
        total[i] = _prefix_min_row(before, ones)
    counts = {"substitutions": 0, "deletions": 0, "insertions": 0, "hits": 0}
    i, j = n, m
    while i > 0 or j > 0:
        here = total[i, j]
        if i > 0 and j > 0 and here == total[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            counts["hits" if ref[i - 1] == hyp[j - 1] else "substitutions"] += 1
            i, j = i - 1, j - 1
        elif i > 0 and here == total[i - 1, j] + 1:
            counts["deletions"] += 1
            i -= 1
        else:
            counts["insertions"] += 1
            j -= 1
    counts["edits"] = int(total[n, m])
    return counts
