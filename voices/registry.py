"""The voice registry: the built-in voices of the shipped acoustic model.

A built-in voice is one speaker of the teacher corpus the model was trained on; its model
card lists each voice's language and the styles it was trained in. (Cloned voices, with
their consent records, live in voice packs: :mod:`voices.pack`, :mod:`voices.enroll`.)
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from tts_moe.errors import InputError, TTSMoeError

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
    status: str = "active"  # cloned voices: active, revoked, expired (from the ledger), or damaged

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


def cloned_voices(voices_dir: str | os.PathLike | None = None, ledger_path: str | os.PathLike | None = None,
                  styles: list[str] | None = None) -> list[Voice]:
    """The cloned voices in ``voices_dir``, each with its consent status from the ledger."""
    from voices.pack import list_packs
    from watermark.ledger import Ledger

    packs = list_packs(voices_dir)
    out = []
    ledger = None
    try:
        for manifest in packs:
            status = "damaged" if manifest.get("damaged") else "active"
            consent_id = manifest.get("consent_id")
            if status == "active" and consent_id:
                if ledger is None:
                    ledger = Ledger(ledger_path, read_only=True)
                found = ledger.consent(consent_id) is not None
                state = ledger.consent_status(consent_id) if found else None
                status = ("unknown consent" if state is None else "active" if state["valid"]
                          else state["invalid_reason"] or "invalid")
            out.append(Voice(name=manifest["name"], kind="cloned", language=manifest.get("language", "en-us"),
                             styles=list(styles or []), description=manifest.get("description", ""),
                             consent_id=consent_id, status=status))
    except TTSMoeError:
        for manifest in packs[len(out):]:
            out.append(Voice(name=manifest["name"], kind="cloned", language=manifest.get("language", "en-us"),
                             styles=list(styles or []), description=manifest.get("description", ""),
                             consent_id=manifest.get("consent_id"), status="no ledger"))
    finally:
        if ledger is not None:
            ledger.close()
    return out


def revoke_voice(name: str, reason: str | None = None, *, ledger_path: str | os.PathLike | None = None,
                 voices_dir: str | os.PathLike | None = None) -> dict:
    """Revoke a cloned voice's consent in the ledger: no further synthesis with it. The pack
    and the ledger history stay. Returns the consent status after revocation."""
    from voices.pack import read_manifest
    from watermark.ledger import Ledger

    manifest = read_manifest(name, voices_dir)
    if manifest is None:
        raise InputError(f"no cloned voice {name!r} (built-in voices cannot be revoked)")
    with Ledger(ledger_path) as ledger:
        status = ledger.consent_status(manifest["consent_id"])
        if status["revoked_at"]:
            raise InputError(f"voice {name!r} was already revoked at {status['revoked_at']}")
        ledger.revoke_consent(manifest["consent_id"], reason or "revoked by the user")
        return ledger.consent_status(manifest["consent_id"])


def list_voices(weights: str | os.PathLike | None = None, *, voices_dir: str | os.PathLike | None = None,
                ledger_path: str | os.PathLike | None = None) -> list[Voice]:
    """Every voice: the shipped (or given) acoustic model's built-in speakers, then the
    cloned voices with their consent status."""
    from tts_moe.acoustic.loader import read_card

    card = read_card(weights)
    return builtin_voices(card) + cloned_voices(voices_dir, ledger_path, list(card["config"]["styles"]))


def get_voice(name: str, weights: str | os.PathLike | None = None, *, voices_dir: str | os.PathLike | None = None,
              ledger_path: str | os.PathLike | None = None) -> Voice:
    """One voice by name (built-in or cloned, see :func:`list_voices`); InputError if unknown."""
    voices = list_voices(weights, voices_dir=voices_dir, ledger_path=ledger_path)
    for voice in voices:
        if voice.name == name:
            return voice
    raise InputError(f"unknown voice {name!r}; voices: {', '.join(v.name for v in voices)}")
