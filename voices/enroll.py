"""Consent-gated voice cloning: adapt a speaker vector of the frozen acoustic model to a voice.

``enroll_voice(name, audio, consent)``:

1. validates the consent record (:mod:`voices.consent`): complete, evidence present and
   hashed, not expired, and for this speaker;
2. checks the reference audio: 30 s to 10 min in total, no file over 30 s, each file speech
   (not silent, not clipped, not a steady tone or music: voicing and syllable-rate energy
   modulation), with a transcript per file (``transcripts``, else ``FILE.txt`` beside it,
   else, unless ``auto_transcribe=False``, pocketsphinx's: :mod:`voices.transcripts`; the
   manifest's ``auto_transcripts`` lists those, as they may contain errors);
3. fits the voice with every shipped weight frozen (:mod:`voices.adaptation`): one speaker
   vector ``(speaker_dim,)``, then (unless ``adapter=None``) a small decoder adapter
   (:mod:`voices.adapter`, low-rank changes of ~67k values) together with the vector;
4. writes the voice pack atomically (:mod:`voices.pack`), records the voice and its consent
   in the ledger, and makes the pack's sample clip through the watermarking Synthesizer.

On any error the temporary pack is removed; if the ledger rows were already written, the
consent is revoked with the reason, so the ledger's history stays true and the voice unusable.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from tts_moe.errors import AudioError, InputError, TTSMoeError
from voices import pack
from voices.adaptation import adapt_speaker, train_adapter
from voices.adapter import AdapterConfig, VoiceAdapter
from voices.consent import ConsentRecord, check_for_voice, load_consent
from voices.transcripts import auto_transcript, read_transcripts

MIN_TOTAL_SECONDS, MAX_TOTAL_SECONDS, MAX_FILE_SECONDS = 30.0, 600.0, 30.0
CLIPPED_FRACTION = 0.01  # share of samples at full scale that marks a clipped recording
SAMPLE_TEXT = "This is my cloned voice, made with my consent and marked as synthetic."


def _slug(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


# ------------------------------------------------------------------------- audio checks
def speech_checks(audio: np.ndarray, sample_rate: int, where: str) -> None:
    """Refuse clipped audio and audio that is not speech (a tone, a chord, music, noise)."""
    from tts_moe.acoustic.features import frame_pitch

    peak = np.abs(audio)
    if float((peak >= 0.999 * peak.max()).mean()) > CLIPPED_FRACTION and peak.max() >= 0.98:
        raise AudioError(f"{where}: the recording is clipped ({(peak >= 0.999 * peak.max()).mean():.1%} of samples "
                         "at full scale); record again at a lower level")
    hop = 160
    frames = len(audio) // hop
    energy = np.sqrt(np.mean(audio[: frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    _, voiced = frame_pitch(audio, frames, hop, sample_rate)
    voiced_share = float(voiced.mean()) if frames else 0.0
    # speech turns its loudness up and down at syllable rate (2-8 Hz); steady music does not
    # (festival ked diphone speech measured 0.14 of envelope power there, so the floor is 0.08)
    envelope = np.log(energy) - np.log(energy).mean()
    spectrum = np.abs(np.fft.rfft(envelope)) ** 2
    freqs = np.fft.rfftfreq(len(envelope), d=hop / sample_rate)
    band = spectrum[(freqs >= 2) & (freqs <= 8)].sum() / max(spectrum[freqs > 0.5].sum(), 1e-12)
    modulation = float(np.std(envelope))
    if voiced_share < 0.1 or voiced_share > 0.97 or modulation < 0.5 or band < 0.08:
        raise AudioError(f"{where}: this does not sound like speech (voiced {voiced_share:.0%} of the time, "
                         f"loudness modulation {modulation:.2f}, syllable-rate share {band:.2f}); "
                         "give recordings of the speaker talking")


def load_references(files: Sequence[Path], transcripts: Sequence[str] | None, language: str, *,
                    auto_transcribe: bool = True) -> tuple[list[dict], float]:
    """Features of every reference clip (see :func:`tts_moe.acoustic.features.clip_features`,
    plus ``file``, ``transcript`` and ``auto_transcript``: True where pocketsphinx wrote it)
    and the total seconds; every check above, file by file."""
    from tts_moe.acoustic.features import clip_features
    from tts_moe.audio import SAMPLE_RATE, MelConfig, load_audio
    from tts_moe.text import TextFrontend
    from tts_moe.text.symbols import SymbolTable

    if not files:
        raise InputError("no reference audio given: 30 s to 5 min of the speaker's own speech is needed")
    texts = read_transcripts(files, transcripts, allow_missing=auto_transcribe)
    frontend, symbols = TextFrontend(language=language), SymbolTable()
    clips, total = [], 0.0
    for file, text in zip(files, texts):
        audio = load_audio(file, SAMPLE_RATE)  # corrupt, empty and silent files raise AudioError here
        seconds = len(audio) / SAMPLE_RATE
        if seconds > MAX_FILE_SECONDS:
            raise AudioError(f"{file}: {seconds:.0f} s; split reference audio into files of at most "
                             f"{MAX_FILE_SECONDS:.0f} s (a sentence or two each) with a transcript each")
        speech_checks(audio, SAMPLE_RATE, str(file))
        automatic = text is None
        if automatic:
            text = auto_transcript(audio, file)
        phonemes = " ".join(u.phonemes for u in frontend.prepare(text))
        features = clip_features(str(file), phonemes, MelConfig(), symbols)
        if not 0 < len(features["ids"]) <= len(features["mel"]):
            raise InputError(f"{file}: the transcript is longer than the audio can hold; is it the right text?")
        features.update(file=str(file), transcript=text, auto_transcript=automatic)
        clips.append(features)
        total += seconds
    if total < MIN_TOTAL_SECONDS:
        raise AudioError(f"{total:.1f} s of reference audio is too short: give at least {MIN_TOTAL_SECONDS:.0f} s "
                         "(one to five minutes works best)")
    if total > MAX_TOTAL_SECONDS:
        raise AudioError(f"{total / 60:.1f} min of reference audio is more than the {MAX_TOTAL_SECONDS / 60:.0f} "
                         "min enrollment takes")
    return clips, total


def enroll_voice(name: str, audio: Sequence[str | os.PathLike], consent: str | os.PathLike | dict, *,
                 transcripts: Sequence[str] | None = None, speaker: str | None = None,
                 voices_dir: str | os.PathLike | None = None, ledger_path: str | os.PathLike | None = None,
                 acoustic: str | os.PathLike | None = None, steps: int = 150,
                 adapter: AdapterConfig | None = AdapterConfig(),
                 progress: Callable[[int, float], None] | None = None, auto_transcribe: bool = True):
    """Enroll a cloned voice (see the module docstring); returns its :class:`voices.registry.Voice`.

    ``speaker`` is the speaker's name as in the consent record; without it the voice name
    must spell the record's speaker name (ignoring case, spaces and punctuation).
    ``auto_transcribe``: transcribe files that have no transcript with pocketsphinx (the
    pack manifest's ``auto_transcripts`` lists them as ``{"file", "text"}``); False refuses them.
    ``steps``: speaker-vector steps; ``adapter``: how to make the decoder adapter that follows
    (None: the speaker vector alone). ``progress(step, mel_l1)`` counts both stages' steps."""
    from tts_moe.acoustic.loader import fingerprint, load_model, read_card
    from voices.registry import Voice
    from watermark.ledger import Ledger

    pack.check_name(name)
    started = time.perf_counter()
    card = read_card(acoustic)
    if name in card["config"]["speakers"]:
        raise InputError(f"{name!r} is a built-in voice; choose another name for the cloned voice")
    if pack.read_manifest(name, voices_dir) is not None:
        raise InputError(f"a cloned voice {name!r} already exists in {pack.voices_dir(voices_dir)}")
    record: ConsentRecord = load_consent(consent)
    if speaker is None and _slug(name) != _slug(record.speaker_name):
        raise InputError(f"the consent record is for {record.speaker_name!r}, not for a voice named {name!r}: "
                         "name the voice after the speaker or pass the speaker's name (--speaker)")
    check_for_voice(record, speaker)
    files = [Path(f) for f in audio]
    clips, seconds = load_references(files, transcripts, "en-us", auto_transcribe=auto_transcribe)
    model = load_model(acoustic)
    vector, mel_loss = adapt_speaker(model, clips, steps=steps, progress=progress)
    enrollment = {"steps": steps, "speaker_mel_l1": round(mel_loss, 4)}
    voice_adapter = None
    if adapter is not None:
        stage_two = None if progress is None else (lambda step, loss: progress(steps + step, loss))
        voice_adapter, vector, mel_loss = train_adapter(model, clips, vector, adapter, progress=stage_two)
        enrollment["adapter"] = {**adapter.to_dict(), "values": voice_adapter.size()}
    manifest = {"kind": "cloned", "language": "en-us", "speaker_name": record.speaker_name,
                "description": f"cloned from {seconds:.0f} s of reference audio of {record.speaker_name} "
                               f"({'speaker vector and decoder adapter' if voice_adapter else 'speaker vector'})",
                "acoustic_model": {"fingerprint": fingerprint(model),
                                   "symbols_version": card["config"].get("symbols_version"),
                                   "steps": card.get("training", {}).get("steps"),
                                   "speaker_dim": int(vector.numel())},
                "reference_seconds": round(seconds, 2), "reference_files": len(files),
                "auto_transcripts": [{"file": Path(c["file"]).name, "text": c["transcript"]}
                                     for c in clips if c["auto_transcript"]],
                "enrollment": {**enrollment, "final_mel_l1": round(mel_loss, 4), "wall_seconds": None},
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with Ledger(ledger_path) as ledger:
        ledger.add_voice(name, "cloned", name=record.speaker_name,
                         details={"reference_seconds": round(seconds, 2)})
        row = ledger.add_consent(name, record.consenting_person, granted_at=f"{record.date}T00:00:00Z",
                                 expires_at=f"{record.expiry}T23:59:59Z", scope=", ".join(record.purposes),
                                 evidence_sha256=record.evidence_sha256,
                                 details={"speaker_name": record.speaker_name, "evidence": record.evidence_path})
    consent_id = row["consent_id"]
    manifest["consent_id"] = consent_id
    try:
        sample = _make_sample(name, vector, voice_adapter, consent_id, ledger_path, acoustic)
        manifest["sample"] = "sample.wav"
        manifest["enrollment"]["wall_seconds"] = round(time.perf_counter() - started, 1)
        pack.write_pack(name, vector, manifest, folder=voices_dir, adapter=voice_adapter,
                        extra_files={"sample.wav": sample})
    except BaseException as error:
        with Ledger(ledger_path) as ledger:
            ledger.revoke_consent(consent_id, f"enrollment failed: {type(error).__name__}: {error}"[:300])
        raise
    finally:
        if "sample" in locals():
            shutil.rmtree(Path(sample).parent, ignore_errors=True)
    return Voice(name=name, kind="cloned", language="en-us", styles=list(card["config"]["styles"]),
                 description=manifest["description"], consent_id=consent_id)


def _make_sample(name: str, vector: torch.Tensor, voice_adapter: VoiceAdapter | None, consent_id: str,
                 ledger_path, acoustic) -> Path:
    """The pack's sample clip, made (watermarked, logged) by the Synthesizer."""
    import tempfile

    from tts_moe.synthesis import Synthesizer

    synth = Synthesizer.from_pretrained(acoustic, ledger_path=ledger_path)
    synth.add_cloned_voice(name, vector, consent_id, adapter=voice_adapter)
    out = Path(tempfile.mkdtemp(prefix="tts-moe-sample-")) / "sample.wav"
    try:
        synth.synthesize(SAMPLE_TEXT, out, voice=name, progress=False)
    except TTSMoeError:
        shutil.rmtree(out.parent, ignore_errors=True)
        raise
    return out
