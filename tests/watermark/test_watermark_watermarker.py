"""Watermarker API with tiny networks: shapes, chunking, saving/loading, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_moe.errors import AudioError, InputError, ModelNotAvailableError
from watermark import weights as weights_module
from watermark.model import (
    PRESETS,
    WatermarkConfig,
    bits_to_payload,
    build_networks,
    detector_logits,
    message_bits,
    parameter_count,
    watermark_signal,
)
from watermark.watermarker import Watermarker, chunk_spans, crossfade_weights

TINY = PRESETS["tiny"]


@pytest.fixture(scope="module")
def marker() -> Watermarker:
    torch.manual_seed(0)
    return Watermarker(build_networks(TINY), chunk_seconds=0.5, overlap_seconds=0.1)


def test_tiny_config_forward_shapes():
    networks = build_networks(TINY)
    audio = torch.randn(3, 4001) * 0.1
    bits = message_bits(torch.tensor([0, 1, 65535]))
    assert bits.shape == (3, 16) and bits_to_payload(bits).tolist() == [0, 1, 65535]
    assert watermark_signal(networks.generator, audio, bits).shape == (3, 4001)
    logit, bit_logits = detector_logits(networks.detector, audio)
    assert logit.shape == (3, 4001) and bit_logits.shape == (3, 16, 4001)


def test_official_size_matches_the_published_parameter_counts():
    networks = build_networks(PRESETS["official"])
    assert parameter_count(networks.generator) == 14_675_873  # audioseal card: 14.68 M
    assert parameter_count(networks.detector) == 8_647_298  # 8.65 M


def test_config_round_trips_and_rejects_unknown_keys():
    config = WatermarkConfig(n_filters=4, ratios=(4, 4))
    assert WatermarkConfig.from_dict(config.to_dict()) == config
    with pytest.raises(InputError, match="unknown"):
        WatermarkConfig.from_dict({"n_filters": 4, "colour": "blue"})


def test_embed_and_detect_shapes(marker):
    audio = (0.1 * np.random.default_rng(0).standard_normal(20_000)).astype(np.float32)
    marked = marker.embed(audio, 1234)
    assert isinstance(marked, np.ndarray) and marked.shape == audio.shape and marked.dtype == np.float32
    batch = marker.embed(torch.from_numpy(np.stack([audio, audio])), 7)
    assert torch.is_tensor(batch) and batch.shape == (2, 20_000)
    found = marker.detect(marked)
    assert found.duration == pytest.approx(1.25) and len(found.frame_probabilities) == 63
    assert 0.0 <= found.probability <= 1.0
    results = marker.detect(batch)
    assert isinstance(results, list) and len(results) == 2


def test_chunk_weights_sum_to_one_everywhere():
    length, chunk, overlap = 10_000, 3_000, 500
    spans = chunk_spans(length, chunk, overlap)
    assert spans[0][0] == 0 and spans[-1][1] == length
    total = torch.zeros(length)
    for start, end in spans:
        total[start:end] += crossfade_weights(start, end, length, overlap)
    assert torch.allclose(total, torch.ones(length))


def test_chunked_embedding_matches_whole_away_from_borders(marker):
    audio = torch.from_numpy((0.1 * np.random.default_rng(1).standard_normal(24_000)).astype(np.float32))
    chunked = marker.embed(audio, 99)
    whole = Watermarker(marker.networks, chunk_seconds=10.0).embed(audio, 99)
    # the tiny model's receptive field is short: inside each chunk (away from the overlaps,
    # where the cross-fade blends two chunks) chunked and whole embedding agree
    assert torch.allclose(chunked[1000:6000], whole[1000:6000], atol=1e-5)
    assert (chunked - whole).abs().max() < 0.5 * (whole - audio).abs().max() + 1e-6


@pytest.mark.parametrize("bad,match", [
    (np.array([], np.float32), "empty"),
    (np.full(1000, np.nan, np.float32), "NaN"),
    (np.array([0.1, np.inf] * 500, np.float32), "NaN or infinite"),
    (np.zeros(100, np.float32), "too short"),
    (np.zeros((1, 1, 1000), np.float32), "shape"),
    (np.zeros(1000, np.int16), "floating"),
    ([0.0] * 1000, "numpy array or torch tensor"),
])
def test_bad_audio_raises_audio_error(marker, bad, match):
    with pytest.raises(AudioError, match=match):
        marker.embed(bad, 1)
    with pytest.raises(AudioError, match=match):
        marker.detect(bad)


@pytest.mark.parametrize("payload", [-1, 65536, 1.5, True, "7"])
def test_bad_payload_raises_input_error(marker, payload):
    with pytest.raises(InputError, match="payload"):
        marker.embed(np.zeros(1000, np.float32), payload)


def test_bad_threshold(marker):
    with pytest.raises(InputError, match="threshold"):
        marker.detect(np.zeros(1000, np.float32), threshold=1.5)


def test_missing_default_weights_raise_model_not_available(monkeypatch, tmp_path):
    monkeypatch.setattr(weights_module, "WEIGHTS_DIR", tmp_path / "weights")
    with pytest.raises(ModelNotAvailableError, match="no trained watermark ships yet"):
        Watermarker.from_pretrained()
    with pytest.raises(ModelNotAvailableError):
        Watermarker.from_pretrained(tmp_path / "nowhere")


def test_save_and_load_fp16_weights(marker, tmp_path):
    path = marker.save_pretrained(tmp_path / "wm", {"note": "test"})
    from safetensors.torch import load_file

    assert all(t.dtype == torch.float16 for t in load_file(str(path)).values())
    loaded = Watermarker.from_pretrained(tmp_path / "wm")
    assert loaded.config == marker.config and loaded.card["note"] == "test"
    audio = (0.1 * np.random.default_rng(2).standard_normal(8000)).astype(np.float32)
    assert np.allclose(loaded.embed(audio, 5), marker.embed(audio, 5), atol=2e-3)
    (tmp_path / "wm" / "watermark.json").write_text("{broken")
    with pytest.raises(InputError, match="unreadable"):
        Watermarker.from_pretrained(tmp_path / "wm")
