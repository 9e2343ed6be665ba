"""Ground-truth-aligned (GTA) mels: the acoustic model's teacher-forced predictions for every
clip of a corpus, for fine-tuning the vocoder on what it will really be fed.

Each clip goes through the training forward pass: durations from the aligner + monotonic
alignment search over the clip's own audio, pitch and energy from the clip, so the predicted
log-mel ``(n_mels, frames)`` lines up frame for frame with the real audio (``frames =
samples // hop + 1``, the vocoder's convention). Written as ``OUT/CLIP_ID.npy`` (float16),
the layout ``tts-moe train vocoder --mel-dir OUT`` reads, plus ``OUT/source.json`` naming the
acoustic weights (their :func:`~tts_moe.acoustic.loader.fingerprint`) so that a vocoder tuned on
the folder records which acoustic model it suits. Clips are batched by length; no per-clip
Python work beyond slicing the batch output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from tts_moe.acoustic.dataset import collate, usable
from tts_moe.acoustic.features import build_features
from tts_moe.acoustic.loader import fingerprint, load_model
from tts_moe.acoustic.mel_source import claim_folder
from tts_moe.batching import length_batches
from tts_moe.errors import InputError, OutputError

@torch.inference_mode()
def predict_corpus_mels(corpus: str | os.PathLike, out_dir: str | os.PathLike, *,
                        weights: str | os.PathLike | None = None, max_frames: int = 6000,
                        cache_dir: str | os.PathLike | None = None, limit: int | None = None,
                        overwrite: bool = False, adopt: bool = False,
                        log: Callable[[str], None] = print) -> dict:
    """Write ``out_dir/ID.npy`` for every usable clip of ``corpus`` (the first ``limit``);
    clips whose file exists are skipped unless ``overwrite``. Returns counts and the mean
    L1 distance between predicted and real log-mels.

    The folder is claimed for these weights (``source.json``, see
    :func:`tts_moe.acoustic.mel_source.claim_folder`): mels of another model or of unknown
    origin there are refused unless ``overwrite`` (predicted again) or ``adopt``."""
    model = load_model(weights)
    config = model.config
    if config.mel["hop_length"] != 256 or config.n_mels != 80:
        raise InputError("predicted mels must match the vocoder's analysis (80 mels, hop 256)")
    features = build_features(corpus, cache_dir, log=log)
    speakers = {s: i for i, s in enumerate(config.speakers)}
    styles = {s: i for i, s in enumerate(config.styles)}
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {out}: {error}") from None
    clips = [i for i in range(len(features)) if usable(features, i)
             and features.records[i]["speaker"] in speakers and features.records[i]["style"] in styles]
    skipped_unknown = sum(usable(features, i) for i in range(len(features))) - len(clips)
    if not clips:
        raise InputError(f"no usable clip of {corpus} has a speaker and style the acoustic model knows")
    source = {"acoustic_fingerprint": fingerprint(model),
              "acoustic_weights": str(Path(weights).resolve()) if weights else "shipped (tts_moe/acoustic/weights)",
              "corpus": str(Path(corpus).resolve()), "kind": "teacher-forced (ground-truth-aligned)"}
    stale = claim_folder(out, source, [record["id"] for record in features.records],
                         overwrite=overwrite, adopt=adopt)
    if stale:
        log(f"removed {stale} mels of other or unknown acoustic weights from {out}")
    if limit is not None:
        clips = clips[:limit]
    if not overwrite:
        clips = [i for i in clips if not (out / f"{features.records[i]['id']}.npy").is_file()]
    written, l1_sum, frame_sum = 0, 0.0, 0
    for batch_positions in length_batches([features.frames(i) for i in clips], max_frames):
        batch = collate(features, [clips[p] for p in batch_positions], speakers, styles)
        result = model(**batch.model_inputs())
        mask = batch.mel_mask[..., None]
        l1_sum += float(((result.mel - batch.mel).abs() * mask).sum()) / config.n_mels
        frame_sum += int(batch.mel_mask.sum())
        frames = batch.mel_mask.sum(1).tolist()
        for row, clip in enumerate(batch.clips):
            mel = result.mel[row, : frames[row]].T.numpy().astype(np.float16)
            _save(out / f"{features.records[clip]['id']}.npy", mel)
        written += len(batch.clips)
        log(f"predicted {written}/{len(clips)} clips")
    return {"written": written, "skipped_unknown_speaker_or_style": skipped_unknown, "out": str(out),
            "mean_l1": l1_sum / frame_sum if frame_sum else math.nan}


def _save(path: Path, mel: np.ndarray) -> None:
    """Atomic ``np.save`` (temp file + rename): an interrupted run leaves no torn file."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            np.save(handle, mel, allow_pickle=False)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error}") from None
