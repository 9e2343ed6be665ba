"""The acoustic model's configuration: a plain dataclass saved beside its weights."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError
from tts_moe.model.moe import MoEConfig
from tts_moe.text.symbols import VERSION as SYMBOLS_VERSION

CONFIG_VERSION = 1


@dataclass
class AcousticConfig:
    """Every setting that shapes the network or its inputs and outputs.

    ``moe_layers`` are the encoder blocks whose feed-forward is a per-phoneme mixture of
    experts (``mixture=True``) or, in the dense twin (``mixture=False``), a dense MLP of the
    same active width (``top_k * expert_hidden``).
    """

    speakers: list[str]
    styles: list[str]
    n_symbols: int
    symbols_version: str = SYMBOLS_VERSION
    speaker_languages: dict[str, str] = field(default_factory=dict)
    dim: int = 192
    heads: int = 2
    encoder_layers: int = 4
    decoder_layers: int = 4
    ffn_hidden: int = 768
    ffn_kernel: int = 3
    dropout: float = 0.1
    speaker_dim: int = 64
    style_dim: int = 32
    mixture: bool = True
    moe_layers: tuple[int, ...] = (2, 3)
    num_experts: int = 8
    top_k: int = 2
    expert_hidden: int = 384
    capacity_factor: float = 2.0
    balance_weight: float = 0.01
    z_weight: float = 0.001
    predictor_hidden: int = 192
    aligner_dim: int = 80
    mel: dict = field(default_factory=lambda: MelConfig().to_dict())
    # normalisation of the per-phoneme targets, measured on the training data
    pitch_mean: float = 5.0
    pitch_std: float = 0.3
    energy_mean: float = 0.0
    energy_std: float = 1.0
    version: int = CONFIG_VERSION

    def __post_init__(self) -> None:
        self.moe_layers = tuple(self.moe_layers)
        if any(not 0 <= i < self.encoder_layers for i in self.moe_layers):
            raise InputError(f"moe_layers {self.moe_layers} must index encoder blocks 0..{self.encoder_layers - 1}")
        if self.dim % self.heads:
            raise InputError(f"dim {self.dim} is not divisible by heads {self.heads}")
        if not self.speakers or not self.styles:
            raise InputError("an acoustic model needs at least one speaker and one style")

    @property
    def cond_dim(self) -> int:
        return self.speaker_dim + self.style_dim

    @property
    def n_mels(self) -> int:
        return int(self.mel["n_mels"])

    @property
    def hop_seconds(self) -> float:
        return self.mel["hop_length"] / self.mel["sample_rate"]

    def moe_config(self) -> MoEConfig:
        return MoEConfig(dim=self.dim, hidden=self.expert_hidden, num_experts=self.num_experts, top_k=self.top_k,
                         cond_dim=self.cond_dim, capacity_factor=self.capacity_factor,
                         balance_weight=self.balance_weight, z_weight=self.z_weight, dropout=0.0)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["moe_layers"] = list(self.moe_layers)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "AcousticConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"acoustic config has unknown fields {unknown}: written by a newer toolkit?")
        if data.get("version", CONFIG_VERSION) != CONFIG_VERSION:
            raise InputError(f"acoustic config version {data.get('version')} is not {CONFIG_VERSION}")
        return cls(**data)

    def describe_mismatch(self, other: "AcousticConfig") -> list[str]:
        """Human-readable differences that make weights of ``other`` unusable here."""
        out = []
        for name in ("symbols_version", "n_symbols", "mel", "speakers", "styles"):
            if getattr(self, name) != getattr(other, name):
                out.append(f"{name}: {getattr(other, name)!r} vs {getattr(self, name)!r}")
        return out
