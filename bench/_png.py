"""A tiny PNG writer and labelled heatmaps, with numpy and zlib only (matplotlib is not a
dependency of the toolkit). Text is drawn in a built-in 5x7 capital-letter bitmap font.

    image = heatmap_panels([Panel("BLOCK 2: STYLE", values, rows, columns), ...])
    write_png("heatmap.png", image)      # image: uint8 (height, width, 3)
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# 5x7 glyphs, one 5-bit row per string, top to bottom ("1" = ink).
_GLYPHS = {
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11110 00001 00001 01110 00001 00001 11110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    " ": "00000 00000 00000 00000 00000 00000 00000", "-": "00000 00000 00000 11111 00000 00000 00000",
    "_": "00000 00000 00000 00000 00000 00000 11111", "+": "00000 00100 00100 11111 00100 00100 00000",
    "%": "11000 11001 00010 00100 01000 10011 00011", "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000", ".": "00000 00000 00000 00000 00000 01100 01100",
    ",": "00000 00000 00000 00000 01100 00100 01000", ":": "00000 01100 01100 00000 01100 01100 00000",
    "/": "00000 00001 00010 00100 01000 10000 00000", "=": "00000 00000 11111 00000 11111 00000 00000",
    "|": "00100 00100 00100 00100 00100 00100 00100", "?": "01110 10001 00001 00010 00100 00000 00100",
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows.split()], dtype=bool) for ch, rows in _GLYPHS.items()}
GLYPH_W, GLYPH_H, ADVANCE = 5, 7, 6
WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def text_width(text: str) -> int:
    return len(text) * ADVANCE - 1 if text else 0


def draw_text(image: np.ndarray, x: int, y: int, text: str, color=BLACK) -> None:
    """Draw ``text`` (upper-cased; unknown characters as ``?``) with its top-left at (x, y),
    clipped to the image ``(height, width, 3)``."""
    height, width = image.shape[:2]
    for index, char in enumerate(text.upper()):
        glyph = FONT.get(char, FONT["?"])
        gx = x + index * ADVANCE
        ys, xs = np.nonzero(glyph)
        ys, xs = ys + y, xs + gx
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        image[ys[inside], xs[inside]] = color


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write an 8-bit RGB image ``(height, width, 3)`` as PNG (atomically); returns the path."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"write_png needs a non-empty (height, width, 3) image, got {image.shape}")
    height, width = image.shape[:2]
    raw = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    payload = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) \
        + chunk(b"IEND", b"")
    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(payload)
    os.replace(temp, path)
    return path


def read_png_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) from a PNG header (for checks)."""
    data = Path(path).read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", data[16:24])


@dataclass
class Panel:
    """One heatmap: ``values`` ``(rows, columns)`` in 0..1 (shaded white -> dark blue and
    printed as whole percent in each cell), with row and column names and a title."""

    title: str
    values: np.ndarray
    row_names: list[str]
    column_names: list[str]


def _shade(value: float) -> tuple[int, int, int]:
    v = float(np.clip(value, 0.0, 1.0))
    low, high = np.array(WHITE, float), np.array((8, 48, 107), float)
    return tuple(int(c) for c in np.round(low + (high - low) * v))


def render_panel(panel: Panel, *, scale: float | None = None) -> np.ndarray:
    """One panel as an RGB image; shading is ``value / scale`` (default: the panel's max)."""
    values = np.asarray(panel.values, dtype=np.float64)
    scale = scale or (float(values.max()) if values.size and values.max() > 0 else 1.0)
    names = [c[:11] for c in panel.column_names]
    cell_w = max(26, max((text_width(c) for c in names), default=0) + 6)
    cell_h = 16
    left = max((text_width(r) for r in panel.row_names), default=0) + 8
    top = 2 * GLYPH_H + 14
    width = max(left + cell_w * values.shape[1] + 4, text_width(panel.title) + 8)
    height = top + cell_h * values.shape[0] + 4
    image = np.full((height, width, 3), 255, np.uint8)
    draw_text(image, 4, 3, panel.title)
    for j, name in enumerate(names):
        draw_text(image, left + j * cell_w + (cell_w - text_width(name)) // 2, GLYPH_H + 9, name)
    for i, name in enumerate(panel.row_names):
        y = top + i * cell_h
        draw_text(image, 4, y + (cell_h - GLYPH_H) // 2, name)
        for j in range(values.shape[1]):
            x = left + j * cell_w
            shade = values[i, j] / scale
            image[y:y + cell_h - 1, x:x + cell_w - 1] = _shade(shade)
            label = f"{100 * values[i, j]:.0f}"
            draw_text(image, x + (cell_w - text_width(label)) // 2, y + (cell_h - GLYPH_H) // 2, label,
                      WHITE if shade > 0.55 else BLACK)
    return image


def stack(images: list[np.ndarray], *, horizontal: bool, gap: int = 10) -> np.ndarray:
    """Join images side by side (or top to bottom) on a white background."""
    if horizontal:
        height = max(i.shape[0] for i in images)
        width = sum(i.shape[1] for i in images) + gap * (len(images) - 1)
    else:
        height = sum(i.shape[0] for i in images) + gap * (len(images) - 1)
        width = max(i.shape[1] for i in images)
    out = np.full((height, width, 3), 255, np.uint8)
    offset = 0
    for image in images:
        h, w = image.shape[:2]
        if horizontal:
            out[:h, offset:offset + w] = image
            offset += w + gap
        else:
            out[offset:offset + h, :w] = image
            offset += h + gap
    return out


def heatmap_grid(rows: list[list[Panel]], caption: str = "") -> np.ndarray:
    """Panels arranged in rows (each inner list side by side), with an optional caption."""
    body = stack([stack([render_panel(p) for p in row], horizontal=True) for row in rows], horizontal=False)
    if not caption:
        return body
    band = np.full((GLYPH_H + 8, max(body.shape[1], text_width(caption) + 8), 3), 255, np.uint8)
    draw_text(band, 4, 4, caption)
    return stack([band, body], horizontal=False, gap=2)
