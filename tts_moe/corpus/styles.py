"""Speaking styles of the teacher corpus and how each one is verified.

A style is verified for a speaker by rendering a few probe sentences in that style and in
``neutral`` and checking that one measurement moves in the expected direction by a clear
margin (see :data:`STYLE_CHECKS`). Styles that fail are dropped for that speaker.
"""

from __future__ import annotations

from dataclasses import dataclass

STYLES: tuple[str, ...] = ("neutral", "fast", "slow", "high", "low", "wide", "monotone", "whisper")


@dataclass(frozen=True)
class StyleCheck:
    """Expected effect of a style relative to the speaker's neutral style.

    ``metric`` is one of the cell measurements (``sec_per_phone``, ``f0_median_st``,
    ``f0_spread_st``, ``voiced_fraction``); ``kind`` is ``ratio`` (style / neutral) or
    ``diff`` (style - neutral); the check passes when the value is ``<= limit`` (for
    ``direction == "down"``) or ``>= limit`` (``"up"``).
    """

    metric: str
    kind: str
    direction: str
    limit: float

    def passes(self, style_value: float, neutral_value: float) -> tuple[bool, float]:
        """Whether the style moved far enough, and the change (ratio or difference)."""
        if self.kind == "ratio":
            change = style_value / neutral_value if neutral_value > 0 else float("nan")
        else:
            change = style_value - neutral_value
        if change != change:  # NaN
            return False, change
        ok = change <= self.limit if self.direction == "down" else change >= self.limit
        return ok, change

    def describe(self) -> str:
        sign = "<=" if self.direction == "down" else ">="
        unit = "x neutral" if self.kind == "ratio" else "semitones vs neutral"
        return f"{self.metric} {sign} {self.limit:g} {unit}"


# Margins: rate must change by at least 13 %, pitch by 1.5 semitones, pitch spread by 30 %,
# and a whisper must halve the fraction of voiced frames.
STYLE_CHECKS: dict[str, StyleCheck] = {
    "fast": StyleCheck("sec_per_phone", "ratio", "down", 0.87),
    "slow": StyleCheck("sec_per_phone", "ratio", "up", 1.15),
    "high": StyleCheck("f0_median_st", "diff", "up", 1.5),
    "low": StyleCheck("f0_median_st", "diff", "down", -1.5),
    "wide": StyleCheck("f0_spread_st", "ratio", "up", 1.3),
    "monotone": StyleCheck("f0_spread_st", "ratio", "down", 0.7),
    "whisper": StyleCheck("voiced_fraction", "ratio", "down", 0.5),
}

# Nominal duration change of a style, used only to size the plan before measurements exist.
NOMINAL_RATE_FACTOR: dict[str, float] = {"fast": 0.75, "slow": 1.4}


def parse_styles(spec: str | None) -> tuple[str, ...]:
    """``"neutral,fast"`` -> ``("neutral", "fast")`` in canonical order; ``None``/"all" -> all."""
    from tts_moe.errors import InputError

    if spec is None or spec.strip() in ("", "all"):
        return STYLES
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in STYLES]
    if unknown:
        raise InputError(
            f"unknown style(s) {', '.join(unknown)}: choose from {', '.join(STYLES)}"
        )
    return tuple(style for style in STYLES if style in names)
