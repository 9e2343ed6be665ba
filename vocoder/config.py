"""``VocoderConfig``: everything needed to rebuild the generator, saved beside its weights.

The config carries the :class:`tts_moe.audio.MelConfig` it was trained for, so a loaded
vocoder can refuse mels made with different analysis settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError

HEADS = ("istft", "harmonic")
PHASE_FIELDS = ("phase_terms", "mel_phase_terms")  # the harmonic head's phase residual terms, by basis
CONFIG_VERSION = 4  # 2: the harmonic head (``head``); 3: its phase terms (``phase_terms``); 4: ``mel_phase_terms``


@dataclass(frozen=True)
class VocoderConfig:
    """Generator shape: a ConvNeXt backbone at frame rate plus an inverse-STFT head.

    ``dim``/``intermediate_dim``/``num_layers``/``kernel_size`` size the backbone; the head
    predicts ``n_fft // 2 + 1`` log-magnitudes and phases per frame and overlap-adds them with
    hop ``mel.hop_length`` (so one mel frame -> ``hop_length`` output samples). The harmonic
    head predicts filter gains and F0 instead, plus ``phase_terms`` (linear-frequency) and
    ``mel_phase_terms`` (mel-warped) coefficients of a phase residual on its minimum-phase
    filter (see :mod:`vocoder.harmonic`).
    """

    dim: int = 384
    intermediate_dim: int = 1152
    num_layers: int = 8
    kernel_size: int = 7
    n_fft: int = 1024
    max_log_magnitude: float = 6.9  # exp(6.9) ~ 1000: a clip on predicted magnitudes
    head: str = "istft"  # or "harmonic" (F0-driven source + filter, see vocoder.harmonic)
    phase_terms: int = 0  # harmonic head: sine terms of a per-frame phase residual on its filter
    mel_phase_terms: int = 0  # harmonic head: more such terms on a mel-warped frequency axis
    mel: dict = field(default_factory=lambda: MelConfig().to_dict())
    version: int = CONFIG_VERSION

    def __post_init__(self) -> None:
        problems = []
        if self.dim < 1 or self.intermediate_dim < 1 or self.num_layers < 1:
            problems.append("dim, intermediate_dim and num_layers must be positive")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            problems.append(f"kernel_size must be odd and positive, got {self.kernel_size}")
        hop = self.mel.get("hop_length", 0)
        if self.n_fft % 2 or hop <= 0 or self.n_fft < 2 * hop:
            problems.append(f"n_fft ({self.n_fft}) must be even and at least 2 x hop ({hop})")
        if self.head not in HEADS:
            problems.append(f"head must be one of {', '.join(HEADS)}, got {self.head!r}")
        for name in PHASE_FIELDS:
            terms = getattr(self, name)
            if terms < 0 or (terms and self.head != "harmonic"):
                problems.append(f"{name} must be >= 0 and needs the harmonic head, got {terms}")
        if problems:
            raise InputError("invalid vocoder config: " + "; ".join(problems))

    @property
    def mel_config(self) -> MelConfig:
        return MelConfig(**self.mel)

    @property
    def hop_length(self) -> int:
        return int(self.mel["hop_length"])

    @property
    def n_mels(self) -> int:
        return int(self.mel["n_mels"])

    @property
    def sample_rate(self) -> int:
        return int(self.mel["sample_rate"])

    @property
    def receptive_field_frames(self) -> int:
        """Frames on EACH side that can influence one output sample.

        The input conv and every ConvNeXt block see ``kernel_size // 2`` frames per side;
        the overlap-add of ``n_fft``-long frames adds ``ceil(n_fft / 2 / hop)`` more. The
        harmonic head also analyses its source with the same frames (as much again) and
        interpolates F0 between neighbouring frames (one more).
        """
        conv = (self.num_layers + 1) * (self.kernel_size // 2)
        istft = -(-(self.n_fft // 2) // self.hop_length)
        if self.head == "harmonic":
            return conv + 2 * istft + 1
        return conv + istft

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "VocoderConfig":
        """Rebuild from :meth:`to_dict` output; unknown keys or a newer version are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"vocoder config has unknown keys {unknown}: written by a newer version?")
        version = data.get("version", CONFIG_VERSION)
        if version > CONFIG_VERSION:
            raise InputError(
                f"vocoder config version {version} is newer than this code ({CONFIG_VERSION}): "
                "update tts-moe"
            )
        mel = {**MelConfig().to_dict(), **data.get("mel", {})}
        return cls(**{**data, "mel": mel})


def mel_differences(expected: dict, found: dict) -> list[str]:
    """Human-readable differences between two MelConfig dicts (empty when equal)."""
    return [
        f"{key}: model {found.get(key)!r} vs expected {expected.get(key)!r}"
        for key in sorted(set(expected) | set(found))
        if expected.get(key) != found.get(key)
    ]


# Small presets, measured in bench/vocoder.py (see the model card of a trained vocoder).
PRESETS: dict[str, dict] = {
    "tiny": {"dim": 32, "intermediate_dim": 64, "num_layers": 2},  # tests only
    "small": {"dim": 256, "intermediate_dim": 768, "num_layers": 6},
    "base": {"dim": 384, "intermediate_dim": 1152, "num_layers": 8},
    "hn-tiny": {"dim": 32, "intermediate_dim": 64, "num_layers": 2, "head": "harmonic"},  # tests only
    "hn-small": {"dim": 256, "intermediate_dim": 768, "num_layers": 6, "head": "harmonic"},
    "hn-base": {"dim": 384, "intermediate_dim": 1152, "num_layers": 8, "head": "harmonic"},
}


def preset(name: str) -> VocoderConfig:
    if name not in PRESETS:
        raise InputError(f"unknown vocoder preset {name!r}: use one of {', '.join(PRESETS)}")
    return VocoderConfig(**PRESETS[name])
