"""The spread-spectrum payload channel (watermark/payload.py) and its use by Watermarker."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_moe.errors import InputError
from watermark.localise import summarise
from watermark.model import PRESETS, build_networks, message_bits
from watermark.payload import (
    SYNC_CENTRE,
    PayloadConfig,
    PayloadFold,
    patterns,
    payload_mark,
    repeated_pattern,
)
from watermark.watermarker import Watermarker, payload_from_card

CONFIG = PayloadConfig()


def bits_of(payload: int) -> torch.Tensor:
    return message_bits(torch.tensor([payload]))


def decode(audio: np.ndarray | torch.Tensor, config: PayloadConfig = CONFIG):
    fold = PayloadFold(config, batch=1)
    fold.add(torch.as_tensor(audio).reshape(1, -1), start=0)
    return fold.decode()


def payload_of(reading) -> int:
    bits = reading.bits()[0]
    return int((bits * (2 ** torch.arange(15, -1, -1))).sum())


def test_patterns_are_orthogonal_unit_rms_and_fixed_by_the_key():
    first = patterns(CONFIG)
    assert first.shape == (16, CONFIG.period)
    gram = first @ first.T / CONFIG.period
    assert torch.allclose(gram, torch.eye(16), atol=1e-5)
    assert torch.equal(first, patterns(PayloadConfig()))
    other = patterns(PayloadConfig(key=7))
    assert (other @ first.T / CONFIG.period).abs().max() < 0.2


def test_repeated_pattern_continues_across_an_offset():
    bits = bits_of(0xBEEF)
    whole = repeated_pattern(bits, 5000, CONFIG)
    tail = repeated_pattern(bits, 5000 - 1234, CONFIG, offset=1234)
    assert torch.equal(whole[:, 1234:], tail)


def test_mark_sits_snr_db_below_the_audio(speech):
    audio = torch.from_numpy(speech(2.0))[None]
    mark = payload_mark(audio, bits_of(1234), CONFIG)
    ratio_db = 10 * torch.log10(audio.pow(2).mean() / mark.pow(2).mean())
    assert abs(float(ratio_db) - CONFIG.snr_db) < 1.5
    silence = payload_mark(torch.zeros(1, 8000), bits_of(1234), CONFIG)
    assert float(silence.abs().max()) == 0.0  # silence stays unmarked


@pytest.mark.parametrize("payload", [0, 1, 0xA5C3, 65535])
def test_payload_round_trip_from_three_seconds(speech, payload):
    audio = torch.from_numpy(speech(3.0, seed=payload % 7))[None]
    marked = audio + payload_mark(audio, bits_of(payload), CONFIG)
    reading = decode(marked)
    assert payload_of(reading) == payload
    assert float(reading.sync_ratio[0]) > 2 * SYNC_CENTRE
    assert float(reading.scores()[0]) > 0.99
    assert (reading.probabilities()[0] - 0.5).abs().min() > 0.4  # every bit confident


def test_any_crop_keeps_the_payload(speech):
    audio = torch.from_numpy(speech(4.0, seed=3))[None]
    marked = audio + payload_mark(audio, bits_of(0x1357), CONFIG)
    for start in (1, 777, 1601, 20_011):
        assert payload_of(decode(marked[:, start:start + 32_000])) == 0x1357


def test_unmarked_audio_has_a_low_sync_score(speech):
    rng = np.random.default_rng(0)
    for seed in range(4):
        unmarked = speech(3.0, seed=seed) + 0.01 * rng.standard_normal(48_000).astype(np.float32)
        reading = decode(unmarked)
        assert float(reading.sync_ratio[0]) < SYNC_CENTRE
        assert float(reading.scores()[0]) < 0.5


def test_a_different_key_reads_nothing(speech):
    audio = torch.from_numpy(speech(3.0))[None]
    marked = audio + payload_mark(audio, bits_of(42), CONFIG)
    assert float(decode(marked, PayloadConfig(key=99)).sync_ratio[0]) < SYNC_CENTRE


def test_config_checks():
    assert PayloadConfig.from_dict(CONFIG.to_dict()) == CONFIG
    with pytest.raises(InputError, match="unknown payload config keys"):
        PayloadConfig.from_dict({"bogus": 1})
    with pytest.raises(InputError, match="inconsistent"):
        PayloadConfig.from_dict({"period": 8})


# ----------------------------------------------------------------------------- Watermarker
@pytest.fixture(scope="module")
def marker() -> Watermarker:
    torch.manual_seed(0)
    return Watermarker(build_networks(PRESETS["tiny"]), chunk_seconds=1.0, overlap_seconds=0.25)


def test_watermarker_decodes_the_payload_whatever_its_detector(marker, speech):
    """Random (untrained) SEANet networks: the clip is still detected and its payload read,
    through the payload channel, over chunk borders."""
    audio = speech(3.5, seed=5)
    found = marker.detect(marker.embed(audio, 40_000))
    assert found.detected and found.payload == 40_000
    assert len(found.bit_probabilities) == 16
    plain = marker.detect(audio)
    assert not plain.detected or plain.payload != 40_000


def test_windows_marked_with_offsets_read_as_one_file(marker, speech):
    audio = speech(4.0, seed=6)
    cut = 27_777  # not a multiple of the period
    joined = np.concatenate([marker.embed(audio[:cut], 777), marker.embed(audio[cut:], 777, offset=cut)])
    assert payload_of(decode(joined)) == 777
    with pytest.raises(InputError, match="offset"):
        marker.embed(audio, 1, offset=-5)


def test_without_the_channel_the_detector_bits_are_used(speech):
    torch.manual_seed(0)
    plain = Watermarker(build_networks(PRESETS["tiny"]), payload=None)
    found = plain.detect(plain.embed(speech(1.0), 5))
    assert found.probability < 1.0 or found.payload is not None  # runs the old path without error
    marked = speech(2.0) + payload_mark(torch.from_numpy(speech(2.0))[None], bits_of(9), CONFIG)[0].numpy()
    assert plain.analyse(marked)[2] is None


def test_card_round_trip_keeps_the_channel(marker, tmp_path):
    marker.save_pretrained(tmp_path / "w")
    card = json.loads((tmp_path / "w" / "watermark.json").read_text())
    assert card["payload"] == CONFIG.to_dict()
    assert Watermarker.from_pretrained(tmp_path / "w").payload_channel == CONFIG
    assert payload_from_card({"config": {}}) is None  # cards from before the channel
    with pytest.raises(InputError, match="payload"):
        payload_from_card({"payload": 5})


def test_summarise_uses_the_payload_score_when_no_frame_is_marked():
    probs = np.full(100, 0.1, np.float32)
    bits = np.zeros((16, 100), np.float32)
    p_one = np.array([0.99] * 8 + [0.01] * 8)
    found = summarise(probs, bits, threshold=0.5, duration=2.0, bit_probabilities=p_one, payload_score=0.98)
    assert found.detected and found.payload == 0xFF00 and found.segments == []
    quiet = summarise(probs, bits, threshold=0.5, duration=2.0, bit_probabilities=p_one, payload_score=0.02)
    assert not quiet.detected and quiet.payload is None


def unvoiced(seconds: float, seed: int) -> torch.Tensor:
    """Noise-excited, speech-shaped audio ``(1, time)`` with a random syllable envelope: no
    strong periodicity of its own (the harmonic ``speech`` fixture's pitch wobble dominates
    the autocorrelation the speed search starts from; real speech does not, see
    watermark/payload_speed.py)."""
    generator = torch.Generator().manual_seed(seed)
    length = int(seconds * 16_000)
    brown = torch.randn(length, generator=generator).cumsum(0)
    noise = brown - torch.nn.functional.avg_pool1d(brown[None, None], 33, 1, 16)[0, 0][:length]
    envelope = torch.nn.functional.interpolate(torch.rand(1, 1, int(seconds * 6) + 2, generator=generator),
                                               size=length, mode="linear")[0, 0]
    return (0.1 * noise / noise.std() * envelope).float()[None]


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_a_sped_up_or_slowed_copy_is_found_by_the_speed_search(factor):
    from watermark.augment.timing import speed

    audio = unvoiced(6.0, seed=8)
    marked = audio + payload_mark(audio, bits_of(0x2468), CONFIG)
    changed, _ = speed(marked, torch.ones_like(marked), None, factor=factor)
    plain = PayloadFold(CONFIG, batch=1, speed_search=False)
    plain.add(changed, start=0)
    assert float(plain.decode().scores()[0]) < 0.5  # the ordinary fold loses the pattern
    reading = decode(changed)
    assert payload_of(reading) == 0x2468 and float(reading.scores()[0]) > 0.9
    assert float(reading.speed[0]) == pytest.approx(factor, abs=0.002)
    unmarked, _ = speed(audio, torch.ones_like(audio), None, factor=factor)
    assert float(decode(unmarked).scores()[0]) < 0.5


def test_watermarker_reports_the_speed_of_a_changed_copy():
    from watermark.augment.timing import speed
    from watermark.verify import detection_lines

    torch.manual_seed(0)
    marker = Watermarker(build_networks(PRESETS["tiny"]))
    marked = torch.from_numpy(marker.embed(unvoiced(6.0, seed=2)[0].numpy(), 321))[None]
    faster, _ = speed(marked, torch.ones_like(marked), None, factor=1.1)
    found = marker.detect(faster[0].numpy())
    assert found.detected and found.payload == 321 and found.speed == pytest.approx(1.1, abs=0.002)
    assert found.to_dict()["speed"] == found.speed
    assert any("1.100x the original speed" in line for line in detection_lines(found))
    off = Watermarker(build_networks(PRESETS["tiny"]), speed_search=False).detect(faster[0].numpy())
    assert off.speed == 1.0 and off.payload != 321
