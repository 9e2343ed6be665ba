import itertools

import numpy as np
import pytest
import torch

from tts_moe.acoustic.alignment import (
    beta_binomial_log_prior, binarization_loss, durations_to_alignment, forward_sum_loss, frame_to_phoneme,
    monotonic_alignment,
)


def brute_force_best(log_probs: np.ndarray) -> np.ndarray:
    """Durations of the best monotonic path by enumerating every split of T frames into P runs."""
    frames, phonemes = log_probs.shape
    best, best_durations = -np.inf, None
    for cuts in itertools.combinations(range(1, frames), phonemes - 1):
        bounds = (0, *cuts, frames)
        durations = np.diff(bounds)
        score = sum(log_probs[bounds[p]:bounds[p + 1], p].sum() for p in range(phonemes))
        if score > best:
            best, best_durations = score, durations
    return best_durations


def test_mas_matches_brute_force_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(20):
        frames, phonemes = int(rng.integers(4, 9)), int(rng.integers(2, 5))
        scores = torch.from_numpy(rng.standard_normal((1, frames, phonemes)).astype(np.float32))
        got = monotonic_alignment(scores, torch.tensor([phonemes]), torch.tensor([frames]))[0].numpy()
        np.testing.assert_array_equal(got, brute_force_best(scores[0].numpy()))


def test_mas_handles_a_padded_batch():
    rng = np.random.default_rng(1)
    scores = torch.from_numpy(rng.standard_normal((3, 9, 4)).astype(np.float32))
    p_len, t_len = torch.tensor([4, 2, 3]), torch.tensor([9, 5, 7])
    durations = monotonic_alignment(scores, p_len, t_len)
    assert durations.sum(1).tolist() == t_len.tolist()
    for row in range(3):
        assert (durations[row, : p_len[row]] >= 1).all() and (durations[row, p_len[row]:] == 0).all()
        single = monotonic_alignment(scores[row:row + 1, : t_len[row], : p_len[row]], p_len[row:row + 1],
                                     t_len[row:row + 1])
        assert durations[row, : p_len[row]].tolist() == single[0].tolist()


def test_mas_refuses_fewer_frames_than_phonemes():
    with pytest.raises(ValueError, match="frames >= phonemes"):
        monotonic_alignment(torch.zeros(1, 3, 5), torch.tensor([5]), torch.tensor([3]))


def test_prior_rows_are_distributions_peaking_on_the_diagonal():
    prior = beta_binomial_log_prior(torch.tensor([10]), torch.tensor([40]), 12, 45)
    rows = prior[0, :40, :10].exp().sum(-1)
    torch.testing.assert_close(rows, torch.ones(40), atol=1e-4, rtol=0)
    peaks = prior[0, :40, :10].argmax(-1)
    assert peaks[0] == 0 and peaks[-1] == 9 and (peaks.diff() >= 0).all()
    assert (prior[0, 40:] == 0).all() and (prior[0, :, 10:] == 0).all()


def test_forward_sum_prefers_alignable_scores():
    frames, phonemes = 12, 4
    diagonal = torch.full((1, frames, phonemes), -8.0)
    for t in range(frames):
        diagonal[0, t, t * phonemes // frames] = 0.0
    reversed_ = diagonal.flip(-1)
    lengths = torch.tensor([phonemes]), torch.tensor([frames])
    assert forward_sum_loss(diagonal.log_softmax(-1), *lengths) < forward_sum_loss(reversed_.log_softmax(-1), *lengths)


def test_frame_index_alignment_and_binarization():
    durations = torch.tensor([[2, 1, 3], [1, 1, 0]])
    index = frame_to_phoneme(durations, 7)
    assert index.tolist() == [[0, 0, 1, 2, 2, 2, -1], [0, 1, -1, -1, -1, -1, -1]]
    hard = durations_to_alignment(durations, 7)
    assert hard.sum().item() == 8
    log_probs = torch.log(hard.clamp(min=1e-3))
    assert binarization_loss(durations, log_probs) < 1e-6
    assert binarization_loss(durations, torch.full_like(log_probs, -2.0)) == pytest.approx(2.0)
