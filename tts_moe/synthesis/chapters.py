"""Chapter markers in the output file's own metadata, where the format has a place for them.

- WAV: a ``cue `` chunk (one cue point per chapter, at its first sample) and a ``LIST``/``adtl``
  chunk with a ``labl`` (the title) per cue, appended after the audio; readers that do not
  know them skip them.
- FLAC: Vorbis-comment chapter tags (``CHAPTER001=00:01:02.500``, ``CHAPTER001NAME=Title``)
  in the file's VORBIS_COMMENT block.
- OGG (Vorbis): the same chapter tags in the stream's comment header, written with the
  ``mutagen`` package (ffmpeg drops chapter tags when it remuxes Ogg); the audio packets are
  copied unchanged, only the header pages are rewritten.
- MP3: ID3v2 ``CHAP``/``CTOC`` frames, written by ffmpeg with stream copy.

Only metadata changes: the audio samples, and so the watermark, are untouched. The caller
runs this on the staged file before its SHA-256 goes into the ledger.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from tts_moe.errors import MissingDependencyError, OutputError

Chapters = list[tuple[float, str]]  # (start seconds, title)


def embed_chapters(path: str | Path, audio_format: str, chapters: Chapters, *, duration: float,
                   sample_rate: int) -> bool:
    """Write ``chapters`` into ``path`` (in place); True when the format holds them."""
    if not chapters:
        return False
    path = Path(path)
    writer = {"wav": _wav, "flac": _flac, "ogg": _ogg, "mp3": _mp3}.get(audio_format)
    if writer is None:
        return False
    try:
        writer(path, chapters, duration, sample_rate)
    except (OSError, ValueError, struct.error) as error:
        raise OutputError(f"cannot write chapter markers into {path}: {error}") from None
    return True


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (the Vorbis chapter tag format)."""
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


# ----------------------------------------------------------------------------------- WAV
def _chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _wav(path: Path, chapters: Chapters, duration: float, sample_rate: int) -> None:
    with open(path, "r+b") as handle:
        header = handle.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise ValueError("not a RIFF/WAVE file (e.g. RF64 for very long audio): chapters skipped")
        handle.seek(0, 2)
        if handle.tell() % 2:
            handle.write(b"\0")
        cues = b"".join(struct.pack("<II4sIII", i + 1, int(round(start * sample_rate)), b"data", 0, 0,
                                    int(round(start * sample_rate)))
                        for i, (start, _) in enumerate(chapters))
        labels = b"".join(_chunk(b"labl", struct.pack("<I", i + 1) + title.encode("utf-8") + b"\0")
                          for i, (_, title) in enumerate(chapters))
        handle.write(_chunk(b"cue ", struct.pack("<I", len(chapters)) + cues))
        handle.write(_chunk(b"LIST", b"adtl" + labels))
        size = handle.tell() - 8
        if size >= 2**32:
            raise ValueError("file too large for RIFF chapter chunks")
        handle.seek(4)
        handle.write(struct.pack("<I", size))


def read_wav_cues(path: str | Path) -> Chapters:
    """The (start seconds, title) cue labels of a WAV file (for checks and tests)."""
    data = Path(path).read_bytes()
    rate = None
    offsets, titles, position = {}, {}, 12
    while position + 8 <= len(data):
        kind, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        body = data[position + 8:position + 8 + size]
        if kind == b"fmt ":
            rate = struct.unpack("<I", body[4:8])[0]
        elif kind == b"cue ":
            for i in range(struct.unpack("<I", body[:4])[0]):
                cue_id, _, _, _, _, sample = struct.unpack("<II4sIII", body[4 + 24 * i: 28 + 24 * i])
                offsets[cue_id] = sample
        elif kind == b"LIST" and body[:4] == b"adtl":
            inner = 4
            while inner + 8 <= len(body):
                sub, sub_size = body[inner:inner + 4], struct.unpack("<I", body[inner + 4:inner + 8])[0]
                if sub == b"labl":
                    cue_id = struct.unpack("<I", body[inner + 8:inner + 12])[0]
                    titles[cue_id] = body[inner + 12:inner + 8 + sub_size].rstrip(b"\0").decode("utf-8")
                inner += 8 + sub_size + sub_size % 2
        position += 8 + size + size % 2
    return [(offsets[i] / rate, titles.get(i, "")) for i in sorted(offsets)] if rate else []


# ---------------------------------------------------------------- FLAC and OGG: the tags
def vorbis_chapter_comments(chapters: Chapters) -> list[tuple[str, str]]:
    """The Vorbis-comment chapter tags, as ``(key, value)`` pairs in order:
    ``("CHAPTER001", "00:00:00.000"), ("CHAPTER001NAME", "Title"), ...`` (FLAC and OGG)."""
    comments = []
    for index, (start, title) in enumerate(chapters, 1):
        comments += [(f"CHAPTER{index:03d}", timestamp(start)), (f"CHAPTER{index:03d}NAME", title)]
    return comments


# ----------------------------------------------------------------------------------- FLAC
def _flac(path: Path, chapters: Chapters, duration: float, sample_rate: int) -> None:
    data = path.read_bytes()
    if data[:4] != b"fLaC":
        raise ValueError("not a FLAC file")
    blocks, position, last = [], 4, False
    while not last:
        header = data[position]
        last, kind = bool(header & 0x80), header & 0x7F
        size = int.from_bytes(data[position + 1:position + 4], "big")
        blocks.append((kind, data[position + 4:position + 4 + size]))
        position += 4 + size
    vendor, comments = b"tts-moe", []
    for kind, body in blocks:
        if kind == 4:  # VORBIS_COMMENT: keep what is there, add the chapters
            vendor_size = struct.unpack("<I", body[:4])[0]
            vendor, cursor = body[4:4 + vendor_size], 8 + vendor_size
            for _ in range(struct.unpack("<I", body[4 + vendor_size:8 + vendor_size])[0]):
                size = struct.unpack("<I", body[cursor:cursor + 4])[0]
                comments.append(body[cursor + 4:cursor + 4 + size])
                cursor += 4 + size
    comments += [f"{key}={value}".encode() for key, value in vorbis_chapter_comments(chapters)]
    comment = (struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
               + b"".join(struct.pack("<I", len(c)) + c for c in comments))
    kept = [(k, b) for k, b in blocks if k != 4]
    kept.insert(1, (4, comment))  # STREAMINFO must stay first
    out = bytearray(b"fLaC")
    for index, (kind, body) in enumerate(kept):
        out.append(kind | (0x80 if index == len(kept) - 1 else 0))
        out += len(body).to_bytes(3, "big") + body
    _replace(path, bytes(out) + data[position:])


def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.chapters")


def _replace(path: Path, content: bytes) -> None:
    temp = _temp_for(path)
    temp.write_bytes(content)
    temp.replace(path)


# ----------------------------------------------------------------------------------- OGG
def _ogg(path: Path, chapters: Chapters, duration: float, sample_rate: int) -> None:
    """Add the chapter tags to an Ogg Vorbis comment header (kept: vendor and other tags)."""
    try:
        from mutagen import MutagenError
        from mutagen.oggvorbis import OggVorbis
    except ImportError:
        raise MissingDependencyError(
            f"cannot write chapter markers into {path}: OGG chapters need the Python package "
            "mutagen; install it with `pip install mutagen` (or write wav, flac or mp3)") from None
    temp = _temp_for(path)
    try:  # edit a copy, then swap it in: the file is never half-written
        shutil.copyfile(path, temp)
        ogg = OggVorbis(temp)
        ogg.tags.extend(vorbis_chapter_comments(chapters))
        ogg.save()
        temp.replace(path)
    except MutagenError as error:
        raise ValueError(f"not a readable Ogg Vorbis file ({error})") from None
    finally:
        temp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------- MP3
def _mp3(path: Path, chapters: Chapters, duration: float, sample_rate: int) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ValueError("ffmpeg is needed for MP3 chapter frames (Debian package ffmpeg)")
    ends = [start for start, _ in chapters[1:]] + [duration]
    lines = [";FFMETADATA1"]
    for (start, title), end in zip(chapters, ends):
        safe = "".join("\\" + c if c in "=;#\\\n" else c for c in title)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(start * 1000)}", f"END={int(end * 1000)}",
                  f"title={safe}"]
    with tempfile.TemporaryDirectory() as folder:
        meta, out = Path(folder) / "chapters.txt", Path(folder) / "out.mp3"
        meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(path), "-f", "ffmetadata", "-i", str(meta),
                                 "-map", "0:a", "-map_metadata", "0", "-map_chapters", "1", "-c", "copy",
                                 "-id3v2_version", "3", str(out)], capture_output=True, text=True)
        if result.returncode != 0:
            raise ValueError(f"ffmpeg failed: {result.stderr.strip()[-300:]}")
        _replace(path, out.read_bytes())
