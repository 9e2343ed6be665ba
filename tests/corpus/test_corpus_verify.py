"""Style verification: a style is kept only when its measurement moves the expected way."""

from __future__ import annotations

import pytest

from tts_moe.corpus.plan import ClipJob
from tts_moe.corpus.render import render_unit
from tts_moe.corpus.styles import STYLE_CHECKS, parse_styles
from tts_moe.corpus.verify import PROBE_TEXTS, compare_to_neutral, group_cells
from tts_moe.errors import InputError

NEUTRAL = {"sec_per_phone": 0.08, "f0_median_st": 9.0, "f0_spread_st": 2.0, "voiced_fraction": 0.7}


def test_checks_pass_and_fail_on_the_margin():
    styles = {
        "neutral": NEUTRAL,
        "fast": {**NEUTRAL, "sec_per_phone": 0.06},          # 0.75x: passes
        "slow": {**NEUTRAL, "sec_per_phone": 0.085},         # 1.06x: too little
        "high": {**NEUTRAL, "f0_median_st": 13.0},           # +4 st
        "low": {**NEUTRAL, "f0_median_st": 10.0},            # wrong direction
        "wide": {**NEUTRAL, "f0_spread_st": 3.0},            # 1.5x
        "monotone": {**NEUTRAL, "f0_spread_st": 1.9},        # 0.95x: too little
        "whisper": {**NEUTRAL, "voiced_fraction": 0.05},
    }
    verdicts = compare_to_neutral(styles)
    assert {s for s, v in verdicts.items() if v["verified"]} == {"fast", "high", "wide", "whisper"}
    assert verdicts["low"]["change"] == pytest.approx(1.0)
    assert not compare_to_neutral({"high": styles["high"]})["high"]["verified"]  # no neutral
    assert set(STYLE_CHECKS) == {"fast", "slow", "high", "low", "wide", "monotone", "whisper"}


def test_parse_styles():
    assert parse_styles("whisper,neutral") == ("neutral", "whisper")
    assert len(parse_styles("all")) == 8
    with pytest.raises(InputError, match="unknown style"):
        parse_styles("neutral,angry")


@pytest.mark.needs_teachers
def test_flite_rms_pitch_styles_are_rejected_by_measurement(require_engine):
    """flite rms ignores F0 settings: forcing 'high' on it must fail verification."""
    require_engine("flite")
    jobs = [ClipJob(f"rms-{style}", "flite-rms", style, "p0", PROBE_TEXTS[0], "probe", "probe")
            for style in ("neutral", "high", "fast")]
    records = [r for job in jobs for r in render_unit([job], None, None).records]
    verdicts = compare_to_neutral(group_cells(records)["flite-rms"])
    assert not verdicts["high"]["verified"]
    assert verdicts["fast"]["verified"]
