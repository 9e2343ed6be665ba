"""The shipped weights, end to end: one sentence through the default Synthesizer, then the
file is verified (watermark detected, clip found in the ledger). Skips when a model does
not ship in this checkout."""

import pytest

from tts_moe.acoustic.loader import WEIGHTS_DIR as ACOUSTIC_DIR, WEIGHTS_NAME as ACOUSTIC_NAME
from vocoder.loader import DEFAULT_WEIGHTS as VOCODER_DIR, WEIGHTS_NAME as VOCODER_NAME
from watermark.weights import WEIGHTS_DIR as WATERMARK_DIR, WEIGHTS_NAME as WATERMARK_NAME

SHIPPED = all(p.is_file() for p in (ACOUSTIC_DIR / ACOUSTIC_NAME, VOCODER_DIR / VOCODER_NAME,
                                     WATERMARK_DIR / WATERMARK_NAME))


@pytest.mark.skipif(not SHIPPED, reason="the acoustic, vocoder or watermark weights do not ship in this checkout")
def test_default_synthesizer_output_is_detected_and_logged(tmp_path):
    from tts_moe import Synthesizer
    from watermark.ledger import Ledger
    from watermark.verify import verify_file
    from watermark.watermarker import Watermarker

    synth = Synthesizer.from_pretrained(ledger_path=tmp_path / "ledger.db")
    result = synth.synthesize("The keeper lit the lamp at dusk. The sea was calm.", tmp_path / "out.wav",
                              progress=False)
    assert 1.5 < result.duration < 12 and len(result.cues) == 2
    assert result.utterances[0].experts.shape[-1] == synth.config.top_k
    with Ledger(tmp_path / "ledger.db", read_only=True) as ledger:
        report = verify_file(tmp_path / "out.wav", Watermarker.from_pretrained(), ledger)
    # the pause between the sentences is silent, so unmarked: 0.79 of the frames at the shipped
    # 37 dB mark level (measured 2026-11-22)
    assert report.detection.detected and report.detection.marked_fraction > 0.7
    assert report.detection.payload == result.payload
    assert report.status == "verified" and report.ledger.records[0].clip_id == result.clip_id


SYNTHESIS_VOCODER = VOCODER_DIR.parent / "synthesis_weights"


@pytest.mark.skipif(not (SHIPPED and (SYNTHESIS_VOCODER / VOCODER_NAME).is_file()),
                    reason="no synthesis-path vocoder ships in this checkout")
def test_shipped_synthesis_vocoder_is_tuned_for_the_shipped_acoustic_model():
    """Retraining the acoustic model without re-tuning the synthesis vocoder would silently
    drop back to the general vocoder: this fails instead, so the pair ships together."""
    from tts_moe.acoustic.loader import fingerprint, load_model
    from vocoder.loader import tuned_for, weights_for_acoustic

    model = load_model()
    assert tuned_for(SYNTHESIS_VOCODER) == fingerprint(model)
    assert weights_for_acoustic(model) == SYNTHESIS_VOCODER


@pytest.mark.skipif(not SHIPPED, reason="the acoustic, vocoder or watermark weights do not ship in this checkout")
def test_from_pretrained_passes_the_vocoder_precision(tmp_path):
    from tts_moe import Synthesizer

    synth = Synthesizer.from_pretrained(ledger_path=tmp_path / "ledger.db", vocoder_precision="bf16")
    assert synth.engine.vocoder.precision == "bf16"
    assert synth.model_versions()["vocoder"].endswith("; bf16 backbone")
