"""Pretrained judges that ship their own models: pocketsphinx ASR, DNSMOS, resemblyzer.

The recogniser itself is the toolkit's :mod:`tts_moe.asr` (enrollment uses it too).

Each is an optional dependency (the ``bench`` extra); a missing one raises
:class:`~tts_moe.errors.MissingDependencyError` with the pip command. The models are
loaded once per process and reused (not thread-safe: one judge per process or thread).
Inputs are mono float clips ``(time,)`` at any rate; they are resampled to 16 kHz.
The judges' mel features come from :mod:`bench._melspec` (numpy, equal to librosa's to
float precision), so librosa and its numba kernels are never loaded.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from bench._melspec import power_melspectrogram, power_to_db
from tts_moe.asr import transcribe
from tts_moe.errors import AudioError, InputError, MissingDependencyError

SAMPLE_RATE = 16_000


def clip_16k(audio: np.ndarray, sample_rate: int, source: str = "audio") -> np.ndarray:
    """Validate a mono float clip ``(time,)`` (AudioError if empty, NaN, silent, not 1-D) and
    resample it to 16 kHz float32."""
    from tts_moe.audio import check_audio, resample  # torch import only when needed

    return resample(check_audio(audio, sample_rate, source=source), sample_rate, SAMPLE_RATE)


def _missing(package: str, purpose: str) -> MissingDependencyError:
    return MissingDependencyError(
        f"{purpose} needs the Python package {package!r}, which is not installed: "
        f"run `pip install {package}` (or `pip install -e '.[bench]'`)"
    )


# ------------------------------------------------------------------------- pocketsphinx
def recognize(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> str:
    """Transcribe a clip with pocketsphinx's bundled US English model
    (:func:`tts_moe.asr.transcribe`); lower-case words, ``""`` when nothing is recognised."""
    return transcribe(clip_16k(audio, sample_rate, "recognize()"))


# ------------------------------------------------------------------------------- DNSMOS
@lru_cache(maxsize=2)
def _dnsmos_model(threads: int):
    try:
        import onnxruntime
        from speechmos import dnsmos as speechmos_dnsmos
    except ImportError:
        raise _missing("speechmos onnxruntime", "DNSMOS") from None
    models = Path(speechmos_dnsmos.__file__).resolve().parent / "dnsmos_models"
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1

    def session(name: str):
        return onnxruntime.InferenceSession(
            str(models / name), options, providers=["CPUExecutionProvider"]
        )

    # speechmos.dnsmos.DNSMOS builds its sessions with default (all-core) threading; build
    # the same object around sessions limited to `threads`.
    model = speechmos_dnsmos.DNSMOS.__new__(speechmos_dnsmos.DNSMOS)
    model.primary_model_path = str(models / "sig_bak_ovr.onnx")
    model.onnx_sess = session("sig_bak_ovr.onnx")
    model.p808_onnx_sess = session("model_v8.onnx")
    model.audio_melspec = _dnsmos_features
    return model


def _dnsmos_features(audio: np.ndarray, n_mels: int = 120, frame_size: int = 320,
                     hop_length: int = 160, sr: int = SAMPLE_RATE, to_db: bool = True) -> np.ndarray:
    """The P.808 model's input ``(frames, n_mels)``: what speechmos computes with librosa
    (``n_fft = frame_size + 1``, dB re the clip maximum, 80 dB range, mapped by (dB + 40) / 40)."""
    mel = power_melspectrogram(audio, sr, frame_size + 1, hop_length, n_mels)
    if to_db:
        mel = (power_to_db(mel) + 40.0) / 40.0
    return mel.T


def dnsmos(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, *, threads: int = 1) -> dict:
    """DNSMOS P.835 (non-personalised) and P.808 scores of a clip, each on a 1-5 scale:
    ``{"ovrl", "sig", "bak", "p808"}``. Clips shorter than 9 s are looped to 9 s (as the
    model requires); longer ones are scored in 9 s windows every second and averaged."""
    model = _dnsmos_model(int(threads))
    clip = np.clip(clip_16k(audio, sample_rate, "dnsmos()"), -1.0, 1.0).astype(np.float32)
    scores = model(clip, SAMPLE_RATE, False)
    return {
        "ovrl": float(scores["ovrl_mos"]), "sig": float(scores["sig_mos"]),
        "bak": float(scores["bak_mos"]), "p808": float(scores["p808_mos"]),
    }


# --------------------------------------------------------------------------- resemblyzer
@lru_cache(maxsize=1)
def _voice_encoder():
    try:
        from resemblyzer import VoiceEncoder
    except ImportError:
        raise _missing("resemblyzer", "speaker similarity") from None
    return VoiceEncoder(device="cpu", verbose=False)  # weights: pretrained.pt in the wheel


def speaker_embedding(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resemblyzer (GE2E) utterance embedding ``(256,)``, float32, unit length.

    As ``VoiceEncoder.embed_utterance``: resemblyzer's preprocessing (volume to -30 dBFS,
    long silences cut with webrtcvad), 1.6 s partial windows at 1.3 per second over a
    40-band log-free mel spectrogram (25 ms / 10 ms), the mean of the partial embeddings,
    L2-normalised. Raises AudioError when the VAD finds under 0.3 s of speech.
    """
    encoder = _voice_encoder()  # first: MissingDependencyError when resemblyzer is absent
    import torch
    from resemblyzer import preprocess_wav

    wav = preprocess_wav(clip_16k(audio, sample_rate, "speaker_embedding()"))
    if wav.size < 0.3 * SAMPLE_RATE:
        raise AudioError(
            f"speaker_embedding(): only {wav.size / SAMPLE_RATE:.2f} s of speech found by the "
            "voice activity detector; give a clip with at least a few words"
        )
    wav_slices, mel_slices = encoder.compute_partial_slices(wav.size, 1.3, 0.75)
    if wav_slices[-1].stop >= wav.size:
        wav = np.pad(wav, (0, wav_slices[-1].stop - wav.size))
    mel = power_melspectrogram(wav, SAMPLE_RATE, 400, 160, 40).T  # (frames, 40)
    partials = np.stack([mel[s] for s in mel_slices])  # (partials, 160, 40)
    with torch.inference_mode():
        embeddings = encoder(torch.from_numpy(partials).float()).numpy()
    mean = embeddings.mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two embeddings ``(dim,)`` (1 = same direction)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise InputError(f"cosine similarity needs two equal-length vectors, got {a.shape}, {b.shape}")
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def speaker_similarity(
    reference: np.ndarray, synthesized: np.ndarray, sample_rate: int = SAMPLE_RATE
) -> float:
    """Cosine similarity of the resemblyzer embeddings of two clips (same rate)."""
    return cosine_similarity(
        speaker_embedding(reference, sample_rate), speaker_embedding(synthesized, sample_rate)
    )
