"""Chunked synthesis equals whole-utterance synthesis (random weights)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vocoder.chunking import core_borders
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator


@pytest.fixture(scope="module")
def vocoder():
    torch.manual_seed(1)
    generator = Generator(VocoderConfig(dim=32, intermediate_dim=64, num_layers=4))
    for block in generator.blocks:  # make every layer matter (layer scale starts small)
        torch.nn.init.ones_(block.gamma)
    return Vocoder(generator)


@pytest.fixture(scope="module")
def mel():
    generator = torch.Generator().manual_seed(2)
    return torch.randn(80, 333, generator=generator) - 4.0


@pytest.mark.parametrize("chunk,crossfade", [(64, 4), (50, 8), (100, 0), (330, 4), (1000, 4)])
def test_chunked_equals_whole(vocoder, mel, chunk, crossfade):
    whole = vocoder(mel).numpy()
    chunked = vocoder.synthesize(mel, chunk_frames=chunk, crossfade_frames=crossfade)
    assert chunked.shape == whole.shape == (333 * 256,)
    assert np.abs(chunked - whole).max() < 1e-5
    assert np.abs(whole).max() > 0.01  # the comparison is not between silences


def test_stream_pieces_concatenate(vocoder, mel):
    pieces = list(vocoder.stream(mel, chunk_frames=80))
    assert len(pieces) > 4
    assert sum(p.size for p in pieces) == 333 * 256


def test_short_overlap_stays_close_at_borders(vocoder, mel):
    whole = vocoder(mel).numpy()
    chunked = vocoder.synthesize(mel, chunk_frames=64, overlap_frames=4, crossfade_frames=8)
    assert chunked.shape == whole.shape
    jumps = np.abs(np.diff(chunked))
    assert jumps.max() <= np.abs(np.diff(whole)).max() * 1.5


def test_tiny_last_chunk_is_merged():
    assert core_borders(130, 64, 4) == [0, 64, 130]
    assert core_borders(200, 64, 4) == [0, 64, 128, 192, 200]
    assert core_borders(10, 64, 4) == [0, 10]


def test_stream_takes_one_mel(vocoder, mel):
    from tts_moe.errors import InputError

    with pytest.raises(InputError, match="one mel"):
        vocoder.synthesize(mel[None].repeat(2, 1, 1))
