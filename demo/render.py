"""Pictures and text the demo shows, built without a plotting library (pure functions).

- :func:`spectrogram_image`: log-mel of a clip as an RGB array ``(height, width, 3)`` uint8.
- :func:`routing_html`: per-phoneme routing heatmap (experts x phonemes, one table per MoE
  block, cell shade = gate weight) for the first sentences of a synthesis result.
- :func:`probability_svg`: detection probability over time with marked segments shaded.
- :func:`record_markdown`: a ledger clip record in plain words.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

# a perceptually ordered ramp (dark blue -> teal -> yellow), interpolated
RAMP = np.array([[20, 18, 60], [40, 70, 140], [30, 140, 140], [110, 190, 90], [250, 230, 70]], dtype=np.float64)


def colormap(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] ``(...)`` -> RGB uint8 ``(..., 3)``."""
    scaled = np.clip(values, 0.0, 1.0) * (len(RAMP) - 1)
    low = np.floor(scaled).astype(int).clip(0, len(RAMP) - 2)
    frac = (scaled - low)[..., None]
    return (RAMP[low] * (1 - frac) + RAMP[low + 1] * frac).astype(np.uint8)


def spectrogram_image(audio: np.ndarray, *, max_frames: int = 1200, bin_height: int = 3,
                      frame_width: int = 3) -> np.ndarray:
    """Log-mel spectrogram of ``audio`` ``(time,)`` at 16 kHz as an image, low frequencies at
    the bottom, 60 dB of range; long clips show their first ``max_frames`` frames (~19 s)."""
    from tts_moe.audio import log_mel

    mel = log_mel(np.asarray(audio, dtype=np.float32)).numpy()[:, :max_frames]  # (80, frames)
    db = 20 * mel / np.log(10)
    top = float(db.max()) if db.size else 0.0
    shade = (db - (top - 60.0)) / 60.0
    image = colormap(shade[::-1])  # (80, frames, 3), high frequencies first (top row)
    return np.repeat(np.repeat(image, bin_height, axis=0), frame_width, axis=1)


def _labels(phonemes: str, count: int) -> list[str]:
    """One label per routed symbol: the phoneme string's symbols when they line up."""
    from tts_moe.errors import TextError
    from tts_moe.text.symbols import SymbolTable

    table = SymbolTable()
    try:
        ids = table.encode(phonemes)
    except TextError:  # a label is cosmetic: fall back to positions
        ids = []
    if len(ids) == count:
        return ["␣" if table.symbols[i] == " " else table.symbols[i] for i in ids]
    return [str(i) for i in range(count)]


def routing_html(utterances: list, *, max_sentences: int = 2, max_phonemes: int = 90) -> str:
    """Heatmap tables of which experts each phoneme went to, with their gate weights.

    ``utterances``: items with ``text``, ``phonemes``, ``experts`` ``(blocks, phonemes, k)``
    and ``weights`` ``(blocks, phonemes, k)`` (:class:`tts_moe.synthesis.UtteranceInfo`)."""
    parts = ['<div class="routing">']
    shown = [u for u in utterances if getattr(u, "experts", None) is not None and np.size(u.experts)]
    if not shown:
        return '<div class="routing"><p>No routing to show (dense model, or nothing synthesised yet).</p></div>'
    for utterance in shown[:max_sentences]:
        experts, weights = np.asarray(utterance.experts), np.asarray(utterance.weights)
        blocks, count, _ = experts.shape
        count = min(count, max_phonemes)
        labels = _labels(utterance.phonemes, experts.shape[1])[:count]
        num_experts = int(max(experts.max() + 1, 1))
        parts.append(f"<p><b>{html.escape(utterance.text[:120])}</b></p>")
        for block in range(blocks):
            grid = np.zeros((num_experts, count))
            for slot in range(experts.shape[2]):
                ids = experts[block, :count, slot]
                valid = ids >= 0
                grid[ids[valid], np.flatnonzero(valid)] += weights[block, :count, slot][valid]
            parts.append(f'<table class="routing-block" data-block="{block}"><caption>MoE block {block + 1}: '
                         "gate weight per expert (rows) and phoneme (columns)</caption><tr><th></th>")
            parts += [f"<th>{html.escape(label)}</th>" for label in labels]
            parts.append("</tr>")
            for expert in range(num_experts):
                parts.append(f"<tr><th>E{expert}</th>")
                for column in range(count):
                    value = grid[expert, column]
                    r, g, b = colormap(np.array(value)) if value > 0 else (245, 245, 245)
                    parts.append(f'<td style="background:rgb({r},{g},{b})" title="{labels[column]} -> '
                                 f'E{expert}: {value:.2f}"></td>')
                parts.append("</tr>")
            parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)


ROUTING_CSS = """
.routing table { border-collapse: collapse; margin: 4px 0 12px 0; font-size: 11px; }
.routing td { width: 12px; height: 12px; border: 1px solid #fff; padding: 0; }
.routing th { padding: 0 2px; font-weight: normal; }
"""


def probability_svg(frame_probabilities: np.ndarray, frame_seconds: float,
                    segments: list[tuple[float, float]], threshold: float,
                    *, width: int = 720, height: int = 180) -> str:
    """An SVG plot of the detection probability over time: marked segments shaded, the
    threshold as a dashed line, time axis in seconds."""
    probs = np.asarray(frame_probabilities, dtype=np.float64)
    duration = max(len(probs) * frame_seconds, 1e-6)
    pad, plot_w, plot_h = 30, width - 40, height - 40

    def x(t: float) -> float:
        return pad + plot_w * t / duration

    def y(p: float) -> float:
        return 10 + plot_h * (1 - p)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="detection-plot">',
           f'<rect x="{pad}" y="10" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>']
    for start, end in segments:
        out.append(f'<rect class="marked" x="{x(start):.1f}" y="10" width="{max(x(end) - x(start), 1):.1f}" '
                   f'height="{plot_h}" fill="#ffd54f" opacity="0.45"/>')
    out.append(f'<line x1="{pad}" x2="{pad + plot_w}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
               'stroke="#c62828" stroke-dasharray="4 3"/>')
    if len(probs):
        step = max(1, len(probs) // plot_w)  # at most one point per pixel: mean of each run
        kept = probs[: max(len(probs) // step, 1) * step].reshape(-1, step).mean(1)
        points = " ".join(f"{x((i + 0.5) * frame_seconds * step):.1f},{y(p):.1f}" for i, p in enumerate(kept))
        out.append(f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{points}"/>')
    for tick in np.linspace(0, duration, 6):
        out.append(f'<text x="{x(tick):.1f}" y="{height - 12}" font-size="10" text-anchor="middle">{tick:.1f}s</text>')
    out += [f'<text x="4" y="{y(1) + 4:.1f}" font-size="10">1</text>',
            f'<text x="4" y="{y(0) + 4:.1f}" font-size="10">0</text>', "</svg>"]
    return "".join(out)


def record_markdown(record: dict[str, Any] | None, *, title: str = "Ledger record") -> str:
    """A ledger clip row (or verify's clip record) as short Markdown."""
    if not record:
        return f"**{title}:** none"
    keys = (("clip_id", "clip"), ("created_at", "time"), ("voice_id", "voice"), ("consent_id", "consent"),
            ("payload", "watermark payload"), ("audio_sha256", "audio SHA-256"), ("duration_s", "duration (s)"),
            ("style", "style"), ("model_versions", "models"))
    lines = [f"**{title}**", ""]
    for key, label in keys:
        if key in record and record[key] not in (None, ""):
            lines.append(f"- {label}: `{record[key]}`")
    return "\n".join(lines)
