"""The watermark networks, built with the ``audioseal`` package's own model builders.

Both networks are AudioSeal's SEANet: the generator is an encoder/decoder that turns audio
``(batch, 1, time)`` plus a 16-bit message into an additive watermark ``(batch, 1, time)``;
the detector is an encoder plus a transposed convolution back to the sample rate, giving
``(batch, 2 + nbits, time)`` logits per sample (channel 1 - channel 0: "marked" logit;
channels 2..: one logit per payload bit).

``WatermarkConfig`` holds the size knobs we vary for CPU speed and the mark level
(``target_snr_db``); ``official_config()`` is the published full size (the package's
``audioseal_wm_16bits`` card, ``norm: none``, its raw generator output unscaled), used to load
official checkpoints from disk.

The mark level: :func:`watermark_signal` rescales the generator's raw output so that, in every
20 ms neighbourhood, it sits ``target_snr_db`` below the audio (:func:`fit_to_envelope`). The
level is then a design constant rather than something training can trade away (a generator
under imperceptibility losses otherwise learns to go quiet before the detector has found
anything); the imperceptibility losses only shape the mark's spectrum and fine structure.
Training and ``Watermarker.embed`` both call :func:`watermark_signal`, so they agree exactly.
"""

from __future__ import annotations

import os
import types
import warnings
from dataclasses import asdict, dataclass, field, fields

import torch.nn.functional as F

# The package compiles its SEANet blocks lazily unless this is set (minutes on first call).
os.environ.setdefault("NO_TORCH_COMPILE", "1")

import torch

from tts_moe.errors import InputError, MissingDependencyError

SAMPLE_RATE = 16_000
NBITS = 16
ENVELOPE_SECONDS = 0.02  # window of the local level the mark follows


@dataclass(frozen=True)
class WatermarkConfig:
    """Size of the generator and detector (both share it). ``hop = prod(ratios)``.

    The default ("compact") was chosen for CPU speed, see watermark/README.md: 8 filters
    (official 32), dimension 32 (128), 1 LSTM layer (2), and the strides reversed (2, 4, 5, 8)
    so that the encoder drops to 2 kHz after its first block and the decoder stays at
    low rates until its last block (official 8, 5, 4, 2: the first block at 8 kHz).

    ``target_snr_db``: the mark's level below the audio's local (20 ms) level, in dB; the
    signal-to-watermark ratio of marked vs clean audio is this by construction. ``None`` uses
    the generator's raw output unscaled (official AudioSeal checkpoints)."""

    n_filters: int = 8
    dimension: int = 32
    lstm: int = 1
    ratios: tuple[int, ...] = (2, 4, 5, 8)
    n_residual_layers: int = 1
    kernel_size: int = 7
    nbits: int = NBITS
    sample_rate: int = SAMPLE_RATE
    target_snr_db: float | None = 28.0
    # std of the generator's message embeddings at initialisation (None: torch's N(0, 1)).
    # With N(0, 1) the sum of 16 embeddings is ~70x the encoder latent and the generator
    # learns to ignore the message (measured, see watermark/README.md); a small start keeps
    # the message on the latent's scale. Initialisation only: no effect on loading weights.
    message_init_std: float | None = 0.02

    @property
    def hop(self) -> int:
        product = 1
        for ratio in self.ratios:
            product *= ratio
        return product

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ratios"] = list(self.ratios)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> WatermarkConfig:
        check_card_keys(cls, data, "watermark")
        data = dict(data)
        if "ratios" in data:
            data["ratios"] = tuple(int(r) for r in data["ratios"])
        if data.get("target_snr_db") is not None:
            data["target_snr_db"] = float(data["target_snr_db"])
        return cls(**data)


def check_card_keys(config_class: type, data: dict, what: str) -> None:
    """Raise InputError when ``data`` has keys that are not fields of the dataclass ``config_class``."""
    unknown = sorted(set(data) - {f.name for f in fields(config_class)})
    if unknown:
        raise InputError(f"unknown {what} config keys {unknown}: is the model card from a newer version?")


# Candidate sizes measured by bench/watermark.py --configs (see watermark/README.md).
PRESETS: dict[str, WatermarkConfig] = {
    "tiny": WatermarkConfig(n_filters=4, dimension=16, lstm=0, ratios=(4, 4), n_residual_layers=1),
    "compact": WatermarkConfig(),
    "base": WatermarkConfig(n_filters=16, dimension=64, lstm=1, ratios=(2, 4, 5, 8)),  # more capacity, RTF 0.013
    "official": WatermarkConfig(n_filters=32, dimension=128, lstm=2, ratios=(8, 5, 4, 2), target_snr_db=None),
}


def preset(name: str) -> WatermarkConfig:
    if name not in PRESETS:
        raise InputError(f"unknown watermark preset {name!r}: use one of {', '.join(PRESETS)}")
    return PRESETS[name]


def official_config() -> WatermarkConfig:
    """The published AudioSeal 16-bit size (32 filters, dimension 128, 2 LSTM layers)."""
    return PRESETS["official"]


def _audioseal():
    try:
        with warnings.catch_warnings():  # the package's torch.jit.script use warns on import
            warnings.simplefilter("ignore", DeprecationWarning)
            from audioseal import builder
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"the watermark needs the 'audioseal' package ({error}): pip install audioseal==0.2.0"
        ) from None
    return builder


def _seanet(builder, config: WatermarkConfig):
    return builder.SEANetConfig(
        channels=1, dimension=config.dimension, n_filters=config.n_filters,
        n_residual_layers=config.n_residual_layers, ratios=list(config.ratios),
        activation="ELU", activation_params={"alpha": 1.0}, norm="none", norm_params={},
        kernel_size=config.kernel_size, last_kernel_size=config.kernel_size,
        residual_kernel_size=3, dilation_base=2, causal=False, pad_mode="constant",
        true_skip=True, compress=2, lstm=config.lstm, disable_norm_outer_blocks=0,
    )


def build_generator(config: WatermarkConfig) -> torch.nn.Module:
    """AudioSeal's generator (``audioseal.builder.create_generator``) for ``config``; it
    carries ``config.target_snr_db`` as the attribute ``target_snr_db`` (see
    :func:`watermark_signal`)."""
    builder = _audioseal()
    cfg = builder.AudioSealWMConfig(
        nbits=config.nbits, seanet=_seanet(builder, config),
        decoder=builder.DecoderConfig(final_activation=None, final_activation_params=None,
                                      trim_right_ratio=1.0),
    )
    generator = builder.create_generator(cfg)
    if config.message_init_std is not None:
        torch.nn.init.normal_(generator.msg_processor.msg_processor.weight, std=config.message_init_std)
    generator.target_snr_db = config.target_snr_db  # read by watermark_signal; not in the state dict
    fast_transposed_convolutions(generator)
    return generator


def _transposed_by_matmul(self: torch.nn.ConvTranspose1d, x: torch.Tensor, output_size=None) -> torch.Tensor:
    """``ConvTranspose1d.forward`` for kernel = m x stride (no padding, groups or dilation):
    one matrix product per input frame ``(batch * frames, in) @ (in, out * kernel)``, then the
    m stride-long pieces of each frame are added at their offsets. Same function as torch's
    (max difference 6e-7 on the shipped generator), whose CPU kernel is slower here
    (generator RTF 0.0117 -> 0.0092, 10 s, 2 threads, 2026-11-22)."""
    weight, stride = self.weight, self.stride[0]
    batch, channels_in, frames = x.shape
    channels_out, kernel = weight.shape[1], weight.shape[2]
    pieces = kernel // stride
    product = (x.transpose(1, 2).reshape(batch * frames, channels_in) @ weight.reshape(channels_in, -1))
    product = product.reshape(batch, frames, channels_out, pieces, stride)
    out = x.new_zeros(batch, channels_out, frames + pieces - 1, stride)
    for piece in range(pieces):
        out[:, :, piece:piece + frames] += product[:, :, :, piece].permute(0, 2, 1, 3)
    out = out.reshape(batch, channels_out, (frames + pieces - 1) * stride)
    return out if self.bias is None else out + self.bias[None, :, None]


def fast_transposed_convolutions(module: torch.nn.Module) -> int:
    """Route every plain ``ConvTranspose1d`` in ``module`` (kernel a multiple of the stride, no
    padding, groups or dilation) through :func:`_transposed_by_matmul`; returns how many.
    Weights and state dict are untouched."""
    count = 0
    for layer in module.modules():
        if (isinstance(layer, torch.nn.ConvTranspose1d) and layer.kernel_size[0] % layer.stride[0] == 0
                and layer.padding[0] == 0 and layer.output_padding[0] == 0 and layer.groups == 1
                and layer.dilation[0] == 1):
            layer.forward = types.MethodType(_transposed_by_matmul, layer)
            count += 1
    return count


def build_detector(config: WatermarkConfig) -> torch.nn.Module:
    """AudioSeal's detector (``audioseal.builder.create_detector``) for ``config``."""
    builder = _audioseal()
    cfg = builder.AudioSealDetectorConfig(nbits=config.nbits, seanet=_seanet(builder, config))
    return builder.create_detector(cfg)


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def message_bits(payload: torch.Tensor, nbits: int = NBITS) -> torch.Tensor:
    """Integer payloads ``(batch,)`` -> bits ``(batch, nbits)`` (most significant first)."""
    shifts = torch.arange(nbits - 1, -1, -1, device=payload.device)
    return (payload.long().unsqueeze(-1) >> shifts) & 1


def bits_to_payload(bits: torch.Tensor) -> torch.Tensor:
    """Bits ``(..., nbits)`` (0/1, most significant first) -> integers ``(...)``."""
    nbits = bits.shape[-1]
    weights = 2 ** torch.arange(nbits - 1, -1, -1, device=bits.device)
    return (bits.long() * weights).sum(-1)


def local_rms(audio: torch.Tensor, window: int) -> torch.Tensor:
    """Smooth level ``(batch, time)`` of audio ``(batch, time)``: RMS over ``window``-sample
    frames every ``window // 2`` samples, linearly interpolated back to every sample."""
    hop = max(1, window // 2)
    power = F.avg_pool1d(audio.unsqueeze(1).pow(2), kernel_size=2 * hop, stride=hop, padding=hop,
                         count_include_pad=False)  # (batch, 1, time // hop + 1), centres 0, hop, ...
    power = F.interpolate(power, size=audio.shape[-1], mode="linear", align_corners=True)[:, 0]
    return power.clamp_min(0.0).sqrt()


def fit_to_envelope(raw: torch.Tensor, audio: torch.Tensor, snr_db: float,
                    sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Rescale a raw mark ``(batch, time)`` to sit ``snr_db`` below audio ``(batch, time)``.

    The raw mark is divided by its own local (20 ms) level and multiplied by the audio's, so
    its level follows the speech envelope ``snr_db`` lower (silence stays unmarked); then one
    gain per item makes ``power(audio) / power(mark)`` exactly ``10 ** (snr_db / 10)``.
    Computed in float32; differentiable with respect to ``raw``."""
    raw, audio = raw.float(), audio.float()
    window = max(2, int(round(ENVELOPE_SECONDS * sample_rate)))
    raw_level = local_rms(raw, window)
    floor = 1e-4 * raw.pow(2).mean(-1, keepdim=True).sqrt() + 1e-12
    shaped = raw * (local_rms(audio, window) / (raw_level + floor))
    audio_power = audio.pow(2).mean(-1, keepdim=True)
    mark_power = shaped.pow(2).mean(-1, keepdim=True)
    gain = torch.sqrt(audio_power * 10 ** (-snr_db / 10) / (mark_power + 1e-20))
    return shaped * gain


def watermark_signal(generator: torch.nn.Module, audio: torch.Tensor, bits: torch.Tensor, *,
                     with_raw: bool = False):
    """The additive watermark ``(batch, time)`` for audio ``(batch, time)`` and bits ``(batch, nbits)``:
    the generator's output, rescaled by :func:`fit_to_envelope` to the generator's
    ``target_snr_db`` (set by :func:`build_generator` from the config; ``None``: unscaled).
    ``with_raw=True`` also returns the unscaled output (training keeps its level near 1:
    the rescaling makes the loss blind to it, and unchecked it drifts until it overflows)."""
    raw = generator.get_watermark(audio.unsqueeze(1), message=bits.long())[:, 0, : audio.shape[-1]]
    target = getattr(generator, "target_snr_db", None)
    if target is None:
        mark = raw
    else:
        with torch.autocast(device_type=audio.device.type, enabled=False):
            mark = fit_to_envelope(raw, audio, float(target))
    return (mark, raw) if with_raw else mark


def detector_logits(detector: torch.nn.Module, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw detector outputs for audio ``(batch, time)``: marked logit ``(batch, time)`` and
    bit logits ``(batch, nbits, time)`` (positive = bit 1).

    Same weights and the same function as ``detector.detector`` (SEANet encoder, transposed
    convolution back to samples, 1x1 output convolution), computed faster: the transposed
    convolution has kernel = stride, so it and the 1x1 convolution fold into one matrix
    product per encoder frame (torch's CPU kernel for such a transposed convolution is slow).
    """
    out = _fused_detector(detector, audio.unsqueeze(1))[..., : audio.shape[-1]]
    return out[:, 1] - out[:, 0], out[:, 2:]


def _fused_detector(detector: torch.nn.Module, audio: torch.Tensor) -> torch.Tensor:
    """``detector.detector(audio)`` for audio ``(batch, 1, time)`` -> ``(batch, 2 + nbits, frames * hop)``."""
    encoder, last = detector.detector[0], detector.detector[1]
    up = encoder.reverse_convolution
    plain = (up.kernel_size[0] == up.stride[0] and up.padding[0] == 0 and up.output_padding[0] == 0
             and up.groups == 1 and up.dilation[0] == 1 and last.kernel_size[0] == 1)
    if not plain:  # pragma: no cover - every AudioSeal detector is plain
        return detector.detector(audio)
    hidden = encoder.model(audio)  # (batch, dim, frames)
    mix = last.weight[:, :, 0]  # (channels, up_channels)
    weight = torch.einsum("iok,co->ick", up.weight, mix)  # (dim, channels, hop)
    bias = mix @ up.bias + last.bias  # (channels,)
    batch, dim, frames = hidden.shape
    channels, hop = weight.shape[1], weight.shape[2]
    out = hidden.transpose(1, 2).reshape(-1, dim) @ weight.reshape(dim, -1)  # (batch * frames, channels * hop)
    out = out.reshape(batch, frames, channels, hop).permute(0, 2, 1, 3).reshape(batch, channels, frames * hop)
    return out + bias[None, :, None]


@dataclass
class Networks:
    """A generator/detector pair and the config that built them."""

    config: WatermarkConfig
    generator: torch.nn.Module = field(repr=False)
    detector: torch.nn.Module = field(repr=False)


def build_networks(config: WatermarkConfig) -> Networks:
    return Networks(config, build_generator(config), build_detector(config))
