"""demo/render.py and demo/limits.py: pictures and limits, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from demo.limits import MAX_TEXT_CHARS, LimitError, check_text, check_upload
from demo.render import (
    colormap,
    probability_svg,
    record_markdown,
    routing_html,
    spectrogram_image,
)
from tts_moe.synthesis.synthesizer import UtteranceInfo


def test_colormap_ends_and_shape():
    rgb = colormap(np.array([[0.0, 1.0], [2.0, -1.0]]))
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == tuple(rgb[1, 1])  # clipped below
    assert tuple(rgb[0, 1]) == tuple(rgb[1, 0]) != tuple(rgb[0, 0])  # clipped above


def test_spectrogram_has_low_frequencies_at_the_bottom():
    t = np.arange(16_000) / 16_000
    image = spectrogram_image((0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), bin_height=1, frame_width=1)
    assert image.shape == (80, 63, 3)
    brightness = image.astype(float).sum(axis=(1, 2))
    assert brightness[-10:].mean() > brightness[:10].mean()  # a 200 Hz tone lights the bottom rows


def test_routing_heatmap_puts_each_gate_weight_in_its_cell():
    experts = np.array([[[0, 2], [1, -1]]])  # (blocks, phonemes, k); -1: padding slot
    weights = np.array([[[0.75, 0.25], [1.0, 0.0]]])
    info = UtteranceInfo(0.0, 1.0, "Hi.", "v", "neutral", "hˈaɪ", np.ones(2), experts, weights)
    page = routing_html([info])
    assert page.count('class="routing-block"') == 1 and "E2" in page
    assert "E0: 0.75" in page and "E2: 0.25" in page and "E1: 1.00" in page
    assert "No routing" in routing_html([])


def test_probability_plot_marks_segments_and_threshold():
    svg = probability_svg(np.linspace(0, 1, 100), 0.02, [(1.0, 2.0)], 0.5)
    assert svg.count('class="marked"') == 1 and "polyline" in svg and "stroke-dasharray" in svg
    long = probability_svg(np.full(20_000, 0.9), 0.02, [], 0.5, width=300)
    assert long.count(",") < 700  # downsampled to about a point per pixel


def test_record_markdown():
    assert "none" in record_markdown(None)
    text = record_markdown({"clip_id": "abc", "payload": 7, "consent_id": None})
    assert "`abc`" in text and "`7`" in text and "consent" not in text


def test_limits(tmp_path):
    assert check_text("  hi ") == "hi"
    with pytest.raises(LimitError, match="type some text"):
        check_text("   ")
    with pytest.raises(LimitError, match=f"{MAX_TEXT_CHARS:,} characters"):
        check_text("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(LimitError, match="missing"):
        check_upload(tmp_path / "nothing.wav")
