"""The one public way to make speech: script in, watermarked + ledger-logged file out.

>>> from tts_moe import Synthesizer
>>> synth = Synthesizer.from_pretrained()                  # shipped acoustic, vocoder, watermark
>>> result = synth.synthesize("Hello there.", "hello.wav", voice="flite-slt", style="neutral")
>>> result.clip_id, result.payload, result.duration, result.routing[0].experts.shape

Every call writes exactly one audio file and one ledger row, together or not at all
(:class:`watermark.ledger.pending.PendingClip`); the audio is watermarked with the payload
the ledger allocated before a single sample is written. Long scripts stream: the script is
rendered window by window (sorted into length batches inside each window), so memory stays
flat however long it is.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tts_moe import __version__
from tts_moe.errors import InputError
from tts_moe.memory import limit_heap_growth, release_free_memory
from tts_moe.script import parse_script
from tts_moe.script.model import Script
from tts_moe.synthesis.chapters import embed_chapters
from tts_moe.synthesis.engine import Rendered, SpeechEngine, StageTimes
from tts_moe.synthesis.plan import Job, Planner
from tts_moe.synthesis.resume import ResumeParts, job_key
from tts_moe.synthesis.subtitles import Cue, word_cues

WINDOW_SECONDS_HINT = 24  # jobs per window (~2-4 minutes of speech)
SAMPLE_RATE = 16_000


@dataclass
class UtteranceInfo:
    """Where one sentence ended up: times (s) in the file, its text, voice, style, the
    phoneme string, per-phoneme durations (frames) and routing ``(moe_blocks, phonemes, k)``."""

    start: float
    end: float
    text: str
    voice: str
    style: str
    phonemes: str
    durations: np.ndarray
    experts: np.ndarray
    weights: np.ndarray
    chapter: str | None = None


@dataclass
class SynthesisResult:
    path: Path
    clip_id: str
    payload: int
    duration: float
    sample_rate: int
    utterances: list[UtteranceInfo]
    cues: list[Cue]
    word_cues: list[Cue]
    chapters: list[tuple[float, str]]
    stage_seconds: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. a style the voice was never trained in

    def to_dict(self) -> dict:
        return {"path": str(self.path), "clip_id": self.clip_id, "payload": self.payload,
                "duration_s": round(self.duration, 3), "sample_rate": self.sample_rate,
                "sentences": len(self.cues), "chapters": [{"start_s": round(t, 3), "title": c} for t, c in self.chapters],
                "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
                "warnings": list(self.warnings)}


def vocoder_version(card: dict, precision: str = "fp32") -> str:
    """The vocoder's model name, plus the acoustic fingerprint it was fine-tuned for and a
    non-float32 backbone if any (recorded in the ledger; part of the resume key)."""
    name = str(card.get("model", "vocos-style"))
    tuned = (card.get("training") or {}).get("tuned_for_acoustic")
    name = f"{name}; tuned for acoustic {tuned}" if tuned else name
    return name if precision == "fp32" else f"{name}; {precision} backbone"


class Synthesizer:
    """Acoustic model + vocoder + watermark + ledger."""

    def __init__(self, acoustic, vocoder, watermarker, *, ledger_path: str | os.PathLike | None = None,
                 default_voice: str | None = None, default_style: str = "neutral", keep_routing: bool = True,
                 voice_styles: dict[str, list[str]] | None = None,
                 voices_dir: str | os.PathLike | None = None) -> None:
        limit_heap_growth()  # bounded memory over long scripts (tts_moe/memory.py)
        self.engine = SpeechEngine(acoustic, vocoder)
        self.config = acoustic.config
        self.watermarker = watermarker
        self.ledger_path = ledger_path
        self.voices = list(self.config.speakers)
        self.styles = list(self.config.styles)
        self.keep_routing = keep_routing
        self.voice_styles = dict(voice_styles or {})  # styles each voice was trained in (model card)
        self.voices_dir = voices_dir  # cloned voice packs (voices.pack.voices_dir)
        self.cloned: dict[str, tuple] = self.engine.cloned  # name -> (speaker vector, consent id)
        self._fingerprint: str | None = None  # of the acoustic weights, computed when a pack needs it
        self.default_voice = default_voice or self._preferred_voice()
        self.default_style = default_style
        self.check_voice(self.default_voice, "default voice")
        self.check_style(default_style, "default style")

    @classmethod
    def from_pretrained(cls, acoustic: str | os.PathLike | None = None, vocoder: str | os.PathLike | None = None,
                        watermark: str | os.PathLike | None = None, *, vocoder_precision: str = "auto",
                        **kwargs) -> "Synthesizer":
        """Load shipped (default) or given weights. Raises ModelNotAvailableError (exit 4)
        when a model is missing: there is no unwatermarked fallback.

        Without ``vocoder``, the shipped vocoder tuned on these acoustic weights' predicted
        mels is used when there is one (:func:`vocoder.loader.weights_for_acoustic`), else the
        general one. ``vocoder_precision``: fp32, bf16 or auto (the default: a bf16 backbone on
        CPUs with bf16 units, see :mod:`vocoder.precision`)."""
        from tts_moe.acoustic.loader import load_model, read_card
        from vocoder.loader import Vocoder, weights_for_acoustic
        from watermark.watermarker import Watermarker

        voices = read_card(acoustic).get("voices") or {}
        kwargs.setdefault("voice_styles", {name: info["styles"] for name, info in voices.items() if info.get("styles")})
        model = load_model(acoustic)
        vocoder = Vocoder.from_pretrained(vocoder or weights_for_acoustic(model), precision=vocoder_precision)
        return cls(model, vocoder, Watermarker.from_pretrained(watermark), **kwargs)

    # ------------------------------------------------------------------ names
    def _preferred_voice(self) -> str:
        for name in ("flite-slt", "flite-rms", "hts-slt"):
            if name in self.voices:
                return name
        return self.voices[0]

    def check_voice(self, voice: str, where: str = "") -> None:
        """Refuse an unknown voice, and a cloned voice whose consent is revoked or expired."""
        if voice in self.voices:
            return
        from voices.pack import load_pack, read_manifest

        manifest = read_manifest(voice, self.voices_dir) if voice not in self.cloned else None
        if voice not in self.cloned and manifest is None:
            raise InputError(f"{where + ': ' if where else ''}unknown voice {voice!r}; voices: {', '.join(self.voices)}"
                             " (and the cloned voices of `tts-moe voices list`)")
        if voice not in self.cloned:
            vector, adapter, manifest = load_pack(voice, self.voices_dir)
            self._check_fitted_model(voice, manifest, where)
            if not manifest.get("consent_id"):
                raise InputError(f"{where + ': ' if where else ''}cloned voice {voice!r} has no consent record; "
                                 "it cannot be used")
            self._check_consent(voice, where, manifest["consent_id"])  # before building its adapted model
            self.add_cloned_voice(voice, vector, manifest["consent_id"], adapter=adapter)
            return
        self._check_consent(voice, where)

    def _check_fitted_model(self, voice: str, manifest: dict, where: str = "") -> None:
        """Refuse a pack fitted to other acoustic weights (its vector and adapter mean nothing
        to this model); packs from before fingerprints were recorded pass."""
        from tts_moe.acoustic.loader import fingerprint

        recorded = (manifest.get("acoustic_model") or {}).get("fingerprint")
        if recorded is None:
            return
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.engine.acoustic)
        if recorded != self._fingerprint:
            raise InputError(f"{where + ': ' if where else ''}cloned voice {voice!r} was fitted to other "
                             f"acoustic-model weights (fingerprint "
                             f"{recorded}, these weights {self._fingerprint}); enroll it again from its reference "
                             "audio with these weights")

    def add_cloned_voice(self, name: str, vector, consent_id: str | None, *, adapter=None) -> None:
        """Make a cloned voice's speaker vector ``(speaker_dim,)`` and, when it has one, its
        decoder adapter (a :class:`voices.adapter.VoiceAdapter` or its stored tensors) usable
        (its consent is checked against the ledger before each synthesis)."""
        if int(vector.numel()) != self.config.speaker_dim:
            raise InputError(f"cloned voice {name!r} was adapted for another acoustic model "
                             f"(speaker vector {vector.numel()}, model {self.config.speaker_dim}); enroll it again")
        if not consent_id:
            raise InputError(f"cloned voice {name!r} has no consent record; it cannot be used")
        if adapter is not None:
            from voices.adapter import VoiceAdapter

            if isinstance(adapter, dict):
                adapter = VoiceAdapter.from_tensors(adapter, self.engine.acoustic, f"cloned voice {name!r}: adapter")
            self.engine.adapted[name] = adapter.apply(self.engine.acoustic)
        else:
            self.engine.adapted.pop(name, None)
        self.cloned[name] = (vector.float().reshape(-1), consent_id)

    def _check_consent(self, voice: str, where: str, consent_id: str | None = None) -> None:
        from watermark.ledger import Ledger

        consent_id = consent_id or self.cloned[voice][1]
        with Ledger(self.ledger_path) as ledger:
            if ledger.consent(consent_id) is None:
                raise InputError(f"{where + ': ' if where else ''}cloned voice {voice!r}: its consent {consent_id} is "
                                 f"not in the ledger {ledger.path} (it was enrolled with another ledger)")
            status = ledger.consent_status(consent_id)
        if not status["valid"]:
            raise InputError(f"{where + ': ' if where else ''}cloned voice {voice!r} cannot be used: its consent "
                             f"is {status['invalid_reason']}; the ledger keeps its history")

    def consent_for(self, voice: str) -> str | None:
        return self.cloned[voice][1] if voice in self.cloned else None

    def check_style(self, style: str, where: str = "") -> None:
        if style not in self.styles:
            raise InputError(f"{where + ': ' if where else ''}unknown style {style!r}; styles: {', '.join(self.styles)}")

    def untrained_combinations(self, pairs: set[tuple[str, str]]) -> list[str]:
        """A warning for each (voice, style) the model never heard that voice speak in: the
        style is then carried over from other voices through the style embedding."""
        out = []
        for voice, style in sorted(pairs):
            trained = self.voice_styles.get(voice)
            if trained and style not in trained:
                out.append(f"voice {voice!r} was not trained in style {style!r} (trained: {', '.join(trained)}); "
                           "the style is carried over from other voices and may sound less like it")
        return out

    def model_versions(self) -> dict[str, str]:
        return {"toolkit": __version__, "acoustic": f"{'moe' if self.config.mixture else 'dense'}-{self.config.symbols_version}",
                "watermark": str(self.watermarker.card.get("version", "trained-here")),
                "vocoder": vocoder_version(getattr(self.engine.vocoder, "card", {}),
                                           getattr(self.engine.vocoder, "precision", "fp32"))}

    # ------------------------------------------------------------------ synthesis
    def synthesize(self, script: str | Script, output: str | os.PathLike, *, voice: str | None = None,
                   style: str | None = None, script_format: str = "auto", rate: float = 1.0, pitch: float = 0.0,
                   pitch_range: float = 1.0, volume: float = 0.0, style_mix: tuple[str, float] | None = None,
                   expert_bias: dict[int, float] | None = None, dense: bool = False, audio_format: str | None = None,
                   store_text: bool = False, progress: bool | None = None, text: str | None = None,
                   resume: bool = False) -> SynthesisResult:
        """Render ``script`` (text, Markdown or SSML, or a parsed :class:`Script`) into
        ``output`` (watermarked) with one ledger row; see the module docstring. ``text`` is
        the script as written (for the ledger's text hash) when ``script`` is already parsed.
        ``resume=True`` keeps finished windows beside the output so that a run interrupted
        by a crash or Ctrl-C continues where it stopped (:mod:`tts_moe.synthesis.resume`)."""
        from watermark.ledger import Ledger
        from watermark.ledger.records import ClipChunk

        voice = voice or self.default_voice
        style = style or self.default_style
        self.check_voice(voice, "--voice")
        self.check_style(style, "--style")
        for name, value, low, high in (("rate", rate, 0.25, 4.0), ("pitch", pitch, -24, 24),
                                       ("pitch range", pitch_range, 0.0, 3.0), ("volume", volume, -40, 12)):
            if not low <= value <= high:
                raise InputError(f"{name} {value} is outside {low}..{high}")
        parsed = script if isinstance(script, Script) else parse_script(script, script_format)
        if text is None:
            text = script if isinstance(script, str) else "\n".join(s.text for s in parsed.segments)
        planner = Planner(voice, style, dict(self.config.speaker_languages))
        for segment in parsed.segments:  # names first: an unknown voice fails before any audio
            where = f"line {segment.line}, column {segment.column}"
            self.check_voice(segment.voice or voice, where)
            self.check_style(segment.style or style, where)
        warnings = self.untrained_combinations({(s.voice or voice, s.style or style) for s in parsed.segments})
        mix = self._style_mix(style_mix)
        bias = self._expert_bias(expert_bias)
        parts = None
        if resume:
            parts = ResumeParts(output, job_key(
                text=text, parsed=[vars(seg) for seg in parsed.segments], voice=voice, style=style, rate=rate,
                pitch=pitch, pitch_range=pitch_range, volume=volume, style_mix=style_mix, expert_bias=expert_bias,
                dense=dense, models=self.model_versions(), window=WINDOW_SECONDS_HINT, format=audio_format))
        saved = parts.load() if parts else None
        timer = {"front_end": 0.0, "watermark": 0.0, "io": 0.0}
        self.engine.times = StageTimes()  # per call
        started = time.perf_counter()
        with Ledger(self.ledger_path) as ledger:
            for name in {voice, *(s.voice for s in parsed.segments if s.voice)} - set(self.cloned):
                ledger.ensure_voice(name, "builtin", name=name)
            with ledger.record_clip(output, text=text, voice_id=voice, consent_id=self.consent_for(voice), style=style,
                                    store_text=store_text,
                                    model_versions=self.model_versions(), format=audio_format,
                                    payload=saved["payload"] if saved else None) as pending:
                utterances, position = [], 0
                jobs = planner.jobs(parsed)
                bar = _progress_bar(progress)
                if parts is not None and saved is None:
                    parts.start(pending.payload)
                for index, window_info in enumerate(saved["windows"] if saved else []):
                    skipped = _take(jobs, WINDOW_SECONDS_HINT)  # the same windows as before: skip their jobs
                    audio = parts.window_audio(index)
                    pending.write(audio)
                    for item in window_info["utterances"]:
                        info = UtteranceInfo(position / SAMPLE_RATE + item["start"], position / SAMPLE_RATE + item["end"],
                                             item["text"], item["voice"], item["style"], item["phonemes"],
                                             np.zeros(0), np.zeros(0), np.zeros(0), item["chapter"])
                        pending.add_chunk(ClipChunk.from_text(info.start, info.end, info.text, info.voice,
                                                              self.consent_for(info.voice), style=info.style))
                        utterances.append(info)
                    position += len(audio)
                    if bar is not None:
                        bar.update(len(skipped))
                while True:
                    t0 = time.perf_counter()
                    window = _take(jobs, WINDOW_SECONDS_HINT)
                    timer["front_end"] += time.perf_counter() - t0
                    if not window:
                        break
                    for job in window:
                        job.rate *= rate
                        job.pitch += pitch
                        job.volume += volume
                    rendered = self.engine.render(window, style_mix=mix, expert_bias=bias, dense=dense,
                                                  pitch_range=pitch_range)
                    audio, infos = self._join(rendered, position)
                    t0 = time.perf_counter()
                    marked = self.watermarker.embed(audio, pending.payload, offset=position)
                    timer["watermark"] += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    pending.write(marked)
                    timer["io"] += time.perf_counter() - t0
                    for info in infos:
                        pending.add_chunk(ClipChunk.from_text(info.start, info.end, info.text, info.voice,
                                                              self.consent_for(info.voice), style=info.style))
                    if parts is not None:
                        base = position / SAMPLE_RATE
                        parts.add(marked, [{"start": i.start - base, "end": i.end - base, "text": i.text, "voice": i.voice,
                                            "style": i.style, "phonemes": i.phonemes, "chapter": i.chapter}
                                           for i in infos])
                    utterances.extend(infos if self.keep_routing else [_light(i) for i in infos])
                    position += len(audio)
                    del rendered, audio, marked
                    release_free_memory()  # the next window's shapes differ: give the old pages back
                    if bar is not None:
                        bar.update(len(window))
                tail = int(round(parsed.trailing_pause * SAMPLE_RATE))
                if tail:
                    pending.write(np.zeros(tail, np.float32))
                    position += tail
                if bar is not None:
                    bar.close()
                chapters = [(u.start, u.chapter) for u in utterances if u.chapter]
                duration, audio_format = position / SAMPLE_RATE, pending.audio_format
                pending.finalizers.append(lambda staged: embed_chapters(
                    staged, audio_format, chapters, duration=duration, sample_rate=SAMPLE_RATE))
            clip_id, payload = pending.row["clip_id"], pending.payload
        if parts is not None:
            parts.clear()
        times = self.engine.times
        stage = {**timer, "acoustic": times.acoustic, "vocoder": times.vocoder, "post": times.post,
                 "total": time.perf_counter() - started}
        cues = [Cue(u.start, u.end, u.text) for u in utterances]
        words = [c for u in utterances for c in word_cues(u, self.config.hop_seconds)]
        return SynthesisResult(Path(output), clip_id, payload, position / SAMPLE_RATE, SAMPLE_RATE, utterances,
                               cues, words, chapters, stage, warnings)

    def _join(self, rendered: list[Rendered], offset: int) -> tuple[np.ndarray, list[UtteranceInfo]]:
        """Concatenate utterances with their pauses; times relative to the file start."""
        pieces, infos, cursor = [], [], offset
        for item in rendered:
            gap = int(round(item.job.pause_before * SAMPLE_RATE)) if (cursor > 0 or item.job.index > 0) else 0
            if gap:
                pieces.append(np.zeros(gap, np.float32))
                cursor += gap
            pieces.append(item.audio)
            infos.append(UtteranceInfo(cursor / SAMPLE_RATE, (cursor + len(item.audio)) / SAMPLE_RATE, item.job.text,
                                       item.job.voice, item.job.style, item.job.phonemes, item.durations,
                                       item.experts, item.weights, item.job.chapter))
            cursor += len(item.audio)
        return np.concatenate(pieces), infos

    def _style_mix(self, style_mix):
        if style_mix is None:
            return None
        import torch

        other, weight = style_mix
        self.check_style(other, "style mix")
        if not 0.0 <= weight <= 1.0:
            raise InputError(f"style mix weight must be in 0..1, got {weight}")
        return torch.tensor([self.styles.index(other)]), torch.tensor([weight])

    def _expert_bias(self, expert_bias):
        if not expert_bias:
            return None
        import torch

        if not self.config.mixture:
            raise InputError("expert bias needs a mixture-of-experts model; this one is dense")
        bias = torch.zeros(self.config.num_experts)
        for expert, value in expert_bias.items():
            if not 0 <= int(expert) < self.config.num_experts:
                raise InputError(f"expert {expert} does not exist (the model has {self.config.num_experts})")
            bias[int(expert)] = float(value)
        return bias


def _take(iterator, n: int) -> list[Job]:
    out = []
    for job in iterator:
        out.append(job)
        if len(out) >= n:
            break
    return out


def _light(info: UtteranceInfo) -> UtteranceInfo:
    empty = np.zeros((0,))
    return UtteranceInfo(info.start, info.end, info.text, info.voice, info.style, info.phonemes, info.durations,
                         empty, empty, info.chapter)


def _progress_bar(enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit="sentence", file=sys.stderr, dynamic_ncols=True)
