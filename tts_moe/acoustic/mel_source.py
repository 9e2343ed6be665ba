"""Which acoustic weights predicted the mels of a folder (``FOLDER/source.json``).

``tts-moe acoustic predict-mels`` claims its output folder for one model (its
:func:`~tts_moe.acoustic.loader.fingerprint`); a vocoder fine-tuned on the folder copies the
fingerprint into its card, which is how :func:`vocoder.loader.weights_for_acoustic` knows the
acoustic model it suits. Kept free of torch so the vocoder can read it cheaply.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from tts_moe.errors import InputError, OutputError

SOURCE_NAME = "source.json"
MEL_SUFFIXES = (".npy", ".safetensors")  # the per-clip files `train vocoder --mel-dir` reads


def read_mel_source(mel_dir: str | os.PathLike) -> dict:
    """``mel_dir/source.json`` (``{"acoustic_fingerprint", "acoustic_weights", ...}``), or
    ``{}`` for a folder written before sources were recorded (or by other tools)."""
    path = Path(mel_dir) / SOURCE_NAME
    if not path.is_file():
        return {}
    try:
        source = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    if not isinstance(source, dict):
        raise InputError(f"{path} is not a JSON object")
    return source


def claim_folder(out: Path, source: dict, clip_ids: list[str], *, overwrite: bool = False,
                 adopt: bool = False) -> int:
    """Record ``source`` as the model behind ``out``'s mels, so the folder never mixes two models.

    The mels already there for ``clip_ids`` (``ID.npy`` / ``ID.safetensors``; other files are
    never touched) must come from the same model. If they come from another model, or from an
    unknown one (no ``source.json``), the call is refused, unless ``overwrite`` (those mels are
    deleted, to be predicted again) or ``adopt`` (they are declared this model's, for folders
    written before sources were recorded). Returns how many files were deleted."""
    recorded = read_mel_source(out)
    theirs, ours = recorded.get("acoustic_fingerprint"), source["acoustic_fingerprint"]
    if theirs == ours:
        return 0
    existing = [out / f"{clip_id}{suffix}" for clip_id in clip_ids for suffix in MEL_SUFFIXES
                if (out / f"{clip_id}{suffix}").is_file()]
    stale: list[Path] = []
    if not adopt and (recorded or existing):
        if not overwrite:
            origin = f"other acoustic weights (fingerprint {theirs}, these {ours})" if recorded else \
                f"unknown origin ({len(existing)} mels, no {SOURCE_NAME})"
            raise InputError(f"{out} holds mels of {origin}: use another folder, --overwrite to predict them "
                             "again" + ("" if recorded else ", or --adopt if these weights made them"))
        stale = existing
    for path in stale:
        path.unlink()
    record = {**source, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if adopt and existing:
        record["adopted_files"] = len(existing)
    temp = out / f".{SOURCE_NAME}.tmp"
    try:
        temp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(temp, out / SOURCE_NAME)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {out / SOURCE_NAME}: {error}") from None
    return len(stale)
