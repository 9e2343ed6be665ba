"""The voice registry: the built-in voices of the shipped acoustic model.

A built-in voice is one speaker of the teacher corpus the model was trained on; its model
card lists each voice's language and the styles it was trained in. (Cloned voices, with
their consent records, join this registry with issue #6.)
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from tts_moe.errors import InputError

ENGINES = {"espeak": "espeak-ng formant synthesis", "flite": "flite diphone/cluster unit synthesis",
           "festival": "festival diphone synthesis", "hts": "HTS statistical parametric synthesis"}


@dataclass
class Voice:
    name: str
    kind: str
    language: str
    styles: list[str]
    description: str
    consent_id: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def describe(name: str) -> str:
    engine = name.split("-", 1)[0]
    return f"built-in, learned from the {ENGINES.get(engine, engine)} teacher voice {name!r}"


def builtin_voices(card: dict) -> list[Voice]:
    """Voices listed by an acoustic model card (``tts_moe.acoustic.loader.read_card``)."""
    config = card["config"]
    listed = card.get("voices") or {}
    out = []
    for name in config["speakers"]:
        info = listed.get(name, {})
        out.append(Voice(name=name, kind="builtin",
                         language=info.get("language") or config.get("speaker_languages", {}).get(name, "en-us"),
                         styles=list(info.get("styles") or config["styles"]), description=describe(name)))
    return out


def list_voices(weights: str | os.PathLike | None = None) -> list[Voice]:
    """Every voice the shipped (or given) acoustic model can speak."""
    from tts_moe.acoustic.loader import read_card

    return builtin_voices(read_card(weights))


def get_voice(name: str, weights: str | os.PathLike | None = None) -> Voice:
    voices = list_voices(weights)
    for voice in voices:
        if voice.name == name:
            return voice
    raise InputError(f"unknown voice {name!r}; voices: {', '.join(v.name for v in voices)}")
