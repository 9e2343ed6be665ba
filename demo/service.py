"""What the demo's buttons do, on the same Python API as the CLI (no second synthesis path).

Every clip is made by :class:`tts_moe.synthesis.Synthesizer` (watermarked, one ledger row),
verification is :func:`watermark.verify.verify_file`, voices come from :mod:`voices`.
Errors the CLI would reject (:class:`tts_moe.errors.TTSMoeError`) come back as
:class:`DemoError` with the same message, for the page to show.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from demo import render
from demo.limits import (
    MAX_TEXT_CHARS,
    MAX_UPLOAD_BYTES,
    LimitError,
    check_text,
    check_upload,
)
from tts_moe.errors import InputError, TTSMoeError

SAMPLE_SENTENCE = "The quick brown fox jumps over the lazy dog, and the provenance ledger keeps the record."
CONSENT_FIELDS = ("speaker_name", "consenting_person", "date", "purposes", "expiry", "evidence")


class DemoError(LimitError):
    """A message for the page (bad input, unknown voice, missing consent...)."""


@dataclass
class SynthesisView:
    audio_path: str
    spectrogram: np.ndarray
    routing_html: str
    record_markdown: str
    summary: str
    clip_id: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class VerifyView:
    verdict: str
    plot_svg: str
    record_markdown: str
    status: str


class DemoService:
    """Lazily loads the models once; calls are serialised by the app's queue (one at a time)."""

    def __init__(self, *, ledger_path: str | os.PathLike | None = None, output_dir: str | os.PathLike | None = None,
                 acoustic: str | None = None, vocoder: str | None = None, watermark: str | None = None) -> None:
        from watermark.ledger.paths import default_ledger_path

        self.ledger_path = Path(ledger_path) if ledger_path else default_ledger_path()
        self.output_dir = Path(output_dir or tempfile.mkdtemp(prefix="tts-moe-demo-"))
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self._weights = {"acoustic": acoustic, "vocoder": vocoder, "watermark": watermark}
        self._synth = None
        self._lock = threading.Lock()
        self._samples: dict[str, str] = {}
        self._counter = 0

    # ------------------------------------------------------------------ models
    @property
    def synth(self):
        with self._lock:
            if self._synth is None:
                from tts_moe.synthesis import Synthesizer

                self._synth = Synthesizer.from_pretrained(**self._weights, ledger_path=self.ledger_path)
            return self._synth

    def voices(self) -> list[str]:
        """Built-in voices, then the cloned ones (``voices.registry.list_voices``); loads the models."""
        names = list(self.synth.voices)
        try:
            from voices.registry import list_voices

            names += [v.name for v in list_voices(ledger_path=self.ledger_path) if v.name not in names]
        except TTSMoeError:
            pass  # a broken voice pack must not take the page down; synthesis names the problem
        return names

    def styles(self) -> list[str]:
        return list(self.synth.styles)

    def num_experts(self) -> int:
        config = self.synth.config
        return int(config.num_experts) if config.mixture else 0

    def _next_path(self, stem: str) -> Path:
        self._counter += 1
        return self.output_dir / f"{stem}-{os.getpid()}-{self._counter:04d}.wav"

    # ------------------------------------------------------------------ synthesise
    def synthesize(self, text: str, voice: str, style: str, *, rate: float = 1.0, pitch: float = 0.0,
                   pitch_range: float = 1.0, volume: float = 0.0, mix_style: str | None = None,
                   mix_weight: float = 0.0, expert: int | None = None, expert_bias: float = 0.0) -> SynthesisView:
        text = check_text(text)
        bias = {int(expert): float(expert_bias)} if expert is not None and expert_bias else None
        mix = (mix_style, float(mix_weight)) if mix_style and mix_weight > 0 else None
        out = self._next_path("clip")
        try:
            result = self.synth.synthesize(text, out, voice=voice or None, style=style or None, rate=float(rate),
                                           pitch=float(pitch), pitch_range=float(pitch_range), volume=float(volume),
                                           style_mix=mix, expert_bias=bias, progress=False)
        except TTSMoeError as error:
            raise DemoError(str(error)) from None
        from tts_moe.audio import load_audio
        from watermark.ledger import Ledger

        audio = load_audio(out)
        with Ledger(self.ledger_path) as ledger:
            row = ledger.clip(result.clip_id, with_chunks=False)
        summary = (f"{result.duration:.1f} s, {len(result.cues)} sentence(s), watermark payload {result.payload}, "
                   f"ledger clip `{result.clip_id[:12]}`")
        return SynthesisView(str(out), render.spectrogram_image(audio), render.routing_html(result.utterances),
                             render.record_markdown(row), summary, result.clip_id, list(result.warnings))

    def sample(self, voice: str) -> str:
        """A short watermarked sample of ``voice`` (made once, then reused)."""
        if voice not in self._samples or not Path(self._samples[voice]).is_file():
            self._samples[voice] = self.synthesize(SAMPLE_SENTENCE, voice, "neutral").audio_path
        return self._samples[voice]

    # ------------------------------------------------------------------ verify
    def verify(self, path: str | None) -> VerifyView:
        if not path:
            raise DemoError("upload or record a clip first")
        check_upload(path)
        from watermark.ledger import Ledger
        from watermark.verify import verify_file

        with Ledger(self.ledger_path) as ledger:
            report = verify_file(path, self.synth.watermarker, ledger)
        if report.status == "error":
            raise DemoError(f"cannot read this clip: {report.error}")
        found = report.detection
        words = {"verified": "Watermarked by tts-moe, and found in the provenance ledger.",
                 "unmatched": "Watermarked by tts-moe, but no ledger record matches it here.",
                 "unmarked": "No tts-moe watermark was found in this clip."}[report.status]
        lines = [f"### {report.status.upper()}: {words}", "",
                 f"- detection probability: **{found.probability:.3f}** (threshold {found.threshold:.3f})",
                 f"- marked fraction: {found.marked_fraction:.0%} of {report.duration_s:.1f} s",
                 "- marked segments: " + (", ".join(f"{a:.1f}-{b:.1f} s" for a, b in found.segments) or "none")]
        if found.payload is not None:
            bits = format(found.payload, "016b")
            confidence = np.mean(found.bit_confidence) if found.bit_confidence else 0.0
            from watermark.verify import payload_trusted

            trusted = payload_trusted(self.synth.watermarker)[0]
            lines.append(f"- decoded payload: {found.payload} (bits {bits}, mean bit confidence {confidence:.2f})"
                         + ("" if trusted else " -- **not reliable** with this watermark model, so it does not "
                                              "identify the clip; the ledger match below is by the file's SHA-256"))
        if report.ledger is not None and report.ledger.matched:
            lines.append(f"- ledger match: **{report.ledger.match}**"
                         + (" (byte-identical to the logged clip)" if report.ledger.match == "exact" else ""))
        lines += [f"- note: {w}" for w in report.warnings]
        record = report.ledger.records[0].to_dict() if report.ledger and report.ledger.records else None
        consent = ""
        if record and record.get("consents"):
            consent = "\n\n**Consent:** " + "; ".join(f"{c.get('consent_id')}: {c.get('status')}"
                                                     for c in record["consents"])
        elif record:
            consent = "\n\n**Consent:** built-in voice, no consent record needed"
        plot = render.probability_svg(found.frame_probabilities, found.frame_seconds, found.segments,
                                      found.threshold)
        return VerifyView("\n".join(lines), plot, render.record_markdown(record, title="Matching ledger record")
                          + consent, report.status)

    # ------------------------------------------------------------------ voices
    def voice_rows(self) -> list[list[str]]:
        from voices.registry import list_voices

        return [[v.name, v.kind, v.language, ", ".join(v.styles), (f"{v.consent_id} ({v.status})" if v.consent_id else ""),
                 v.description]
                for v in list_voices(ledger_path=self.ledger_path)]

    def enroll(self, name: str, form: dict[str, Any], audio_paths: list[str]) -> str:
        """Enroll a cloned voice; refused with every missing consent field named."""
        name = (name or "").strip()
        missing = [key.replace("_", " ") for key in CONSENT_FIELDS if not form.get(key)]
        if not name:
            missing.insert(0, "voice name")
        if missing:
            raise DemoError("enrollment refused: a complete consent record is required; missing: "
                            + ", ".join(missing))
        for key in ("date", "expiry"):
            try:
                date.fromisoformat(str(form[key]))
            except ValueError:
                raise DemoError(f"enrollment refused: consent {key} {form[key]!r} is not a date (YYYY-MM-DD)") from None
        if not audio_paths:
            raise DemoError("enrollment refused: upload 30 s to 5 min of reference audio of the speaker")
        for path in [*audio_paths, form["evidence"]]:
            check_upload(path)
        try:
            from voices.enroll import enroll_voice
        except ImportError:
            raise DemoError("voice cloning is not available in this build of tts-moe") from None
        consent = {"speaker_name": form["speaker_name"], "consenting_person": form["consenting_person"],
                   "date": str(form["date"]), "purposes": [p.strip() for p in str(form["purposes"]).split(",")
                                                           if p.strip()],
                   "expiry": str(form["expiry"]), "evidence": {"path": str(form["evidence"])}}
        try:
            extra = {"speaker": form["speaker_name"]} if "speaker" in inspect.signature(enroll_voice).parameters else {}
            if self._weights["acoustic"]:
                extra["acoustic"] = self._weights["acoustic"]
            voice = enroll_voice(name, list(audio_paths), consent, ledger_path=self.ledger_path, **extra)
        except TTSMoeError as error:
            raise DemoError(f"enrollment refused: {error}") from None
        message = f"enrolled voice **{voice.name}** (consent `{voice.consent_id}`)"
        automatic = _automatic_transcripts(voice.name)
        if automatic:
            message += (f"\n\n**Warning:** {len(automatic)} transcript(s) were made by automatic speech recognition "
                        "and may contain errors that weaken the clone; to correct one, enroll again under a new name "
                        "from the command line with the right text in FILE.txt beside the audio file:\n"
                        + "\n".join(f"- `{Path(str(e.get('file', '?'))).name}`: {e.get('text', '')}" for e in automatic))
        return message

    def revoke(self, name: str, reason: str = "") -> str:
        name = (name or "").strip()
        if not name:
            raise DemoError("give the name of the cloned voice to revoke")
        try:
            from voices.registry import revoke_voice
        except ImportError:
            raise DemoError("voice cloning (and so revocation) is not available in this build of tts-moe") from None
        try:
            revoke_voice(name, reason or None, ledger_path=self.ledger_path)
        except TTSMoeError as error:
            raise DemoError(str(error)) from None
        return f"voice **{name}** revoked: no further synthesis with it; the ledger keeps its history"


def _automatic_transcripts(name: str) -> list[dict]:
    """:func:`voices.pack.automatic_transcripts` ([] when cloning is not in this build or the
    pack's manifest is unreadable: the enrollment itself succeeded)."""
    try:
        from voices.pack import automatic_transcripts
    except ImportError:
        return []
    try:
        return automatic_transcripts(name)
    except TTSMoeError:
        return []


__all__ = [
    "MAX_TEXT_CHARS",
    "MAX_UPLOAD_BYTES",
    "DemoError",
    "DemoService",
    "InputError",
    "SynthesisView",
    "VerifyView",
]
