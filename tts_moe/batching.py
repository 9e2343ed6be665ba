"""Length-bucketed batching shared by inference paths (synthesis, predicted mels)."""

from __future__ import annotations


def length_batches(lengths: list[int], max_padded: int, max_items: int | None = None) -> list[list[int]]:
    """Positions of ``lengths`` grouped into batches of similar length, shortest first: each
    batch's padded size ``len(batch) * longest`` stays within ``max_padded`` and its size
    within ``max_items`` (an item longer than the budget goes alone)."""
    batches, current = [], []
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        full = max_items is not None and len(current) >= max_items
        if current and (full or lengths[index] * (len(current) + 1) > max_padded):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
