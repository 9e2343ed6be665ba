"""tts_moe/batching.py: length-bucketed batches."""

from __future__ import annotations

from tts_moe.batching import length_batches


def test_every_item_once_within_the_padded_budget():
    lengths = [10, 50, 20, 40, 30, 200]
    batches = length_batches(lengths, 100)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert batches[-1] == [5]  # longer than the budget: alone
    for batch in batches[:-1]:
        assert len(batch) * max(lengths[i] for i in batch) <= 100


def test_item_cap_and_similar_lengths_together():
    batches = length_batches([5, 1, 4, 2, 3], 1000, max_items=2)
    assert batches == [[1, 3], [4, 2], [0]]
    assert length_batches([], 10) == []
