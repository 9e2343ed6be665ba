"""Voice packs of cloned voices: a folder per voice with fp16 weights and a JSON manifest.

    VOICES_DIR/NAME/speaker.safetensors   "speaker": (speaker_dim,) float16
    VOICES_DIR/NAME/adapter.safetensors   the voice's decoder adapter, float16, when it has one
                                          (:class:`voices.adapter.VoiceAdapter`)
    VOICES_DIR/NAME/voice.json            name, kind "cloned", description, consent id,
                                          acoustic model identity, reference seconds,
                                          enrolment figures, automatic transcripts
                                          (``auto_transcripts``), sha256 of every pack file

``VOICES_DIR`` is ``$TTS_MOE_VOICES``, else ``$XDG_DATA_HOME/tts-moe/voices`` (default
``~/.local/share/tts-moe/voices``). Packs are written to a temporary folder and renamed into
place, so a failed enrolment leaves nothing behind; loading checks every file's hash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from tts_moe.errors import InputError, OutputError
from watermark.ledger.records import sha256_file

ENV_VAR = "TTS_MOE_VOICES"
MANIFEST, WEIGHTS, ADAPTER = "voice.json", "speaker.safetensors", "adapter.safetensors"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def voices_dir(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else Path.home() / ".local" / "share"
    return base / "tts-moe" / "voices"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise InputError(f"voice name {name!r} must be 1-63 lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    return name


def write_pack(name: str, speaker: torch.Tensor, manifest: dict[str, Any], *, folder: str | os.PathLike | None = None,
               adapter=None, extra_files: dict[str, Path] | None = None) -> Path:
    """Write the pack atomically (temp folder + rename); refuses to replace an existing voice."""
    from safetensors.torch import save_file

    root = voices_dir(folder)
    target = root / check_name(name)
    if target.exists():
        raise InputError(f"voice {name!r} already exists in {root}; revoke or choose another name")
    try:
        root.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    except OSError as error:
        raise OutputError(f"cannot create the voice folder {root}: {error}") from None
    try:
        save_file({"speaker": speaker.detach().to(torch.float16).contiguous()}, str(temp / WEIGHTS),
                  metadata={"format": "pt", "dtype": "float16"})
        if adapter is not None:
            save_file(adapter.tensors(), str(temp / ADAPTER), metadata={"format": "pt", "dtype": "float16"})
        for file_name, source in (extra_files or {}).items():
            shutil.copyfile(source, temp / file_name)
        files = {p.name: sha256_file(p) for p in sorted(temp.iterdir())}
        (temp / MANIFEST).write_text(json.dumps({**manifest, "name": name, "files": files}, indent=2,
                                                ensure_ascii=False) + "\n", encoding="utf-8")
        os.rename(temp, target)
    except BaseException as error:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write voice pack {target}: {error}") from None
        raise
    return target


def read_manifest(name: str, folder: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The manifest of voice ``name``, or None when there is no such pack."""
    path = voices_dir(folder) / name / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"voice pack {path.parent} has an unreadable manifest: {error}") from None


def automatic_transcripts(name: str, folder: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The manifest's ``auto_transcripts`` of voice ``name``: ``[{"file", "text"}]`` for the
    transcripts pocketsphinx wrote during enrollment ([] when none or no such pack)."""
    entries = (read_manifest(name, folder) or {}).get("auto_transcripts") or []
    return [entry for entry in entries if isinstance(entry, dict)]


def load_pack(name: str, folder: str | os.PathLike | None = None
              ) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None, dict[str, Any]]:
    """The speaker vector ``(speaker_dim,)`` fp32, the adapter tensors (fp16 as stored; None
    when the voice has no adapter) and the manifest. Each file is read once and its hash
    checked on the bytes that are then parsed."""
    import hashlib

    from safetensors import SafetensorError
    from safetensors.torch import load as load_bytes

    manifest = read_manifest(name, folder)
    if manifest is None:
        raise InputError(f"no cloned voice {name!r} in {voices_dir(folder)}")
    pack = voices_dir(folder) / name
    contents = {}
    for file_name, digest in manifest.get("files", {}).items():
        try:
            data = (pack / file_name).read_bytes()
        except FileNotFoundError:
            raise InputError(f"voice pack {pack} is damaged: {file_name} is missing") from None
        except OSError as error:
            raise InputError(f"voice pack {pack}: cannot read {file_name}: {error}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise InputError(f"voice pack {pack} is damaged: {file_name} does not match its recorded sha256")
        contents[file_name] = data
    if WEIGHTS not in contents:
        raise InputError(f"voice pack {pack} is damaged: {WEIGHTS} is not listed in {MANIFEST}")
    try:
        speaker = load_bytes(contents[WEIGHTS])["speaker"].float()
        adapter = load_bytes(contents[ADAPTER]) if ADAPTER in contents else None
    except (SafetensorError, KeyError) as error:
        raise InputError(f"voice pack {pack} is damaged: {error}") from None
    return speaker, adapter, manifest


def list_packs(folder: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    root = voices_dir(folder)
    if not root.is_dir():
        return []
    out = []
    for pack in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            manifest = read_manifest(pack.name, folder)
        except InputError:
            manifest = {"name": pack.name, "damaged": True}
        if manifest is not None:
            out.append(manifest)
    return out
