"""A tiny but complete synthesizer: random tiny acoustic model, vocoder and watermark."""

from __future__ import annotations

import pytest
import torch

from tests.acoustic.conftest import TINY
from tts_moe.acoustic.config import AcousticConfig
from tts_moe.acoustic.model import AcousticModel
from tts_moe.synthesis import Synthesizer
from tts_moe.text.symbols import SymbolTable
from vocoder.config import VocoderConfig
from vocoder.loader import Vocoder
from vocoder.model import Generator
from watermark.model import build_networks, preset
from watermark.watermarker import Watermarker


@pytest.fixture(scope="session")
def parts():
    torch.manual_seed(0)
    config = AcousticConfig(speakers=["flite-slt", "espeak-en-gb-x-rp+m1"], styles=["neutral", "fast", "whisper"],
                            n_symbols=len(SymbolTable()), speaker_languages={"espeak-en-gb-x-rp+m1": "en-gb"},
                            **TINY)
    acoustic = AcousticModel(config).eval()
    with torch.no_grad():
        acoustic.duration_predictor.proj.bias.fill_(1.5)  # a few frames per phoneme
    vocoder = Vocoder(Generator(VocoderConfig(dim=16, intermediate_dim=32, num_layers=2)))
    watermarker = Watermarker(build_networks(preset("tiny")))
    return acoustic, vocoder, watermarker


@pytest.fixture()
def synth(parts, tmp_path):
    acoustic, vocoder, watermarker = parts
    return Synthesizer(acoustic, vocoder, watermarker, ledger_path=tmp_path / "ledger.db")
