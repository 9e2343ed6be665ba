import hashlib

import pytest
import soundfile as sf

from tts_moe.errors import InputError, OutputError, TextError
from tts_moe.synthesis import Synthesizer
from tts_moe.synthesis.subtitles import render
from watermark.ledger import Ledger


def ledger_clips(path):
    with Ledger(path, read_only=True) as ledger:
        return ledger._all("SELECT * FROM clips", ())


def test_one_file_one_row_with_matching_hash_and_chunks(synth, tmp_path):
    out = tmp_path / "a.wav"
    result = synth.synthesize("Hello there. This is a test of the tiny model.", out, progress=False)
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 16_000 and len(audio) == round(result.duration * rate)
    rows = ledger_clips(tmp_path / "ledger.db")
    assert len(rows) == 1 and rows[0]["clip_id"] == result.clip_id and rows[0]["payload"] == result.payload
    assert rows[0]["audio_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    with Ledger(tmp_path / "ledger.db", read_only=True) as ledger:
        assert len(ledger.clip(result.clip_id)["chunks"]) == len(result.cues) == 2
    assert result.cues[0].start == 0.0 and result.cues[1].start >= result.cues[0].end + 0.29
    assert result.utterances[0].experts.shape[0] == 1  # one MoE block in the tiny config
    assert {k for k in result.stage_seconds} >= {"acoustic", "vocoder", "watermark", "front_end", "total"}


def test_dialogue_tags_switch_voice_and_style(synth, tmp_path):
    script = "[voice=espeak-en-gb-x-rp+m1 style=fast] Good morning.\n[voice=flite-slt] And to you."
    result = synth.synthesize(script, tmp_path / "d.wav", progress=False)
    assert [(u.voice, u.style) for u in result.utterances] == [("espeak-en-gb-x-rp+m1", "fast"), ("flite-slt", "neutral")]


@pytest.mark.parametrize("script, error, message", [
    ("[voice=nobody] Hello.", InputError, "line 1, column"),
    ("[style=shouting] Hello.", InputError, "unknown style"),
    ("", TextError, "empty|nothing to speak"),
    ("!!! ... \U0001F600", TextError, "nothing to speak"),
    ("<speak><prosody rate='fast'>Hi</speak>", TextError, "line 1"),
])
def test_bad_scripts_leave_no_file_and_no_row(synth, tmp_path, script, error, message):
    out = tmp_path / "bad.wav"
    with pytest.raises(error, match=message):
        synth.synthesize(script, out, progress=False)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".bad", "bad"))] == []
    if (tmp_path / "ledger.db").exists():
        assert ledger_clips(tmp_path / "ledger.db") == []


def test_unknown_voice_option_and_bad_controls(synth, tmp_path):
    with pytest.raises(InputError, match="unknown voice 'x'"):
        synth.synthesize("Hi.", tmp_path / "x.wav", voice="x")
    with pytest.raises(InputError, match="rate"):
        synth.synthesize("Hi.", tmp_path / "x.wav", rate=0)
    with pytest.raises(InputError, match="expert 9"):
        synth.synthesize("Hi.", tmp_path / "x.wav", expert_bias={9: 1.0})
    assert not (tmp_path / "x.wav").exists()


def test_disk_full_during_write_leaves_nothing(synth, tmp_path, monkeypatch):
    import tts_moe.audio as audio_module

    real_write = audio_module.AtomicAudioWriter.write

    def full(self, chunk):
        real_write(self, chunk)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audio_module.AtomicAudioWriter, "write", full)
    out = tmp_path / "full.wav"
    with pytest.raises((OSError, OutputError)):
        synth.synthesize("Hello there. Again.", out, progress=False)
    assert not out.exists() and not any(p.name.startswith(".full") for p in tmp_path.iterdir())
    assert ledger_clips(tmp_path / "ledger.db") == []


def test_rate_control_shortens_audio_and_style_mix_runs(synth, tmp_path):
    slow = synth.synthesize("One two three four five.", tmp_path / "s.wav", progress=False)
    fast = synth.synthesize("One two three four five.", tmp_path / "f.wav", rate=2.0, style_mix=("whisper", 0.5),
                            progress=False)
    assert fast.duration < 0.7 * slow.duration
    assert len(ledger_clips(tmp_path / "ledger.db")) == 2


def test_subtitles_render_word_and_sentence_cues(synth, tmp_path):
    result = synth.synthesize("Hello there. Good day.", tmp_path / "w.wav", progress=False)
    srt = render(result.cues, "srt")
    assert srt.startswith("1\n00:00:00,000 --> ") and "Good day." in srt
    vtt = render(result.word_cues, "vtt")
    assert vtt.startswith("WEBVTT") and "Hello" in vtt and "day." in vtt
    starts = [c.start for c in result.word_cues]
    assert starts == sorted(starts) and len(result.word_cues) == 4


@pytest.mark.parametrize("suffix", ["wav", "flac", "ogg"])
def test_markdown_chapters_are_reported_and_written_into_the_file(synth, tmp_path, suffix):
    import mutagen

    from tts_moe.synthesis.chapters import read_wav_cues, timestamp
    from watermark.ledger import Ledger, sha256_file

    out = tmp_path / f"m.{suffix}"
    result = synth.synthesize("# Part one\n\nSome text.\n\n# Part two é\n\nMore text.", out,
                              script_format="markdown", progress=False)
    assert [title for _, title in result.chapters] == ["Part one", "Part two é"]
    if suffix == "wav":
        assert [(round(t, 3), title) for t, title in read_wav_cues(out)] == \
            [(round(t, 3), title) for t, title in result.chapters]
    else:  # read back by mutagen from the FLAC / Ogg Vorbis comments
        tags = [(key, value) for key, value in mutagen.File(out).tags if key.startswith("CHAPTER")]
        assert tags == [("CHAPTER001", timestamp(result.chapters[0][0])), ("CHAPTER001NAME", "Part one"),
                        ("CHAPTER002", timestamp(result.chapters[1][0])), ("CHAPTER002NAME", "Part two é")]
    with Ledger(synth.ledger_path) as ledger:  # the ledger pins the file as written, metadata included
        assert ledger.clip(result.clip_id)["audio_sha256"] == sha256_file(out)


def test_public_import():
    from tts_moe import Synthesizer as Public
    from tts_moe.synthesis import Synthesizer

    assert Public is Synthesizer


def test_resume_continues_an_interrupted_run_without_redoing_windows(synth, tmp_path, monkeypatch):
    import soundfile as sf

    import tts_moe.synthesis.synthesizer as module

    monkeypatch.setattr(module, "WINDOW_SECONDS_HINT", 2)
    script = "One. Two. Three. Four. Five. Six."
    real_render, calls = synth.engine.render, []

    def interrupted(jobs, **kwargs):
        calls.append(len(jobs))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_render(jobs, **kwargs)

    monkeypatch.setattr(synth.engine, "render", interrupted)
    out = tmp_path / "long.wav"
    with pytest.raises(KeyboardInterrupt):
        synth.synthesize(script, out, resume=True, progress=False)
    parts = tmp_path / ".long.wav.parts"
    assert not out.exists() and (parts / "manifest.json").is_file()
    assert ledger_clips(tmp_path / "ledger.db") == []
    monkeypatch.setattr(synth.engine, "render", lambda jobs, **kw: (calls.append(len(jobs)), real_render(jobs, **kw))[1])
    calls.clear()
    result = synth.synthesize(script, out, resume=True, progress=False)
    assert calls == [2, 2]  # the first window came from the parts
    assert not parts.exists()
    (row,) = ledger_clips(tmp_path / "ledger.db")
    assert row["payload"] == result.payload and len(result.cues) == 6
    fresh = synth.synthesize(script, tmp_path / "fresh.wav", progress=False)
    assert len(sf.read(out)[0]) == len(sf.read(tmp_path / "fresh.wav")[0])
    assert [round(c.start, 3) for c in result.cues] == [round(c.start, 3) for c in fresh.cues]


def test_resume_ignores_parts_of_another_script(synth, tmp_path, monkeypatch):
    parts = tmp_path / ".x.wav.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"key": "other", "payload": 5, "windows": []}')
    synth.synthesize("Hello there.", tmp_path / "x.wav", resume=True, progress=False)
    assert not parts.exists() and (tmp_path / "x.wav").is_file()


def test_a_style_the_voice_was_not_trained_in_is_a_warning(parts, tmp_path):
    acoustic, vocoder, watermarker = parts
    synth = Synthesizer(acoustic, vocoder, watermarker, ledger_path=tmp_path / "l.db",
                        voice_styles={"flite-slt": ["neutral", "fast"]})
    result = synth.synthesize("Hello.\n[style=whisper] Quiet now.", tmp_path / "w.wav", progress=False)
    assert len(result.warnings) == 1 and "'flite-slt' was not trained in style 'whisper'" in result.warnings[0]
    assert result.to_dict()["warnings"] == result.warnings
    plain = synth.synthesize("Hello.", tmp_path / "p.wav", style="fast", progress=False)
    assert plain.warnings == []


def test_vocoder_version_names_the_acoustic_model_a_tuned_vocoder_suits():
    from tts_moe.synthesis.synthesizer import vocoder_version

    assert vocoder_version({"model": "hn"}) == "hn"
    assert vocoder_version({"model": "hn", "training": {"tuned_for_acoustic": None}}) == "hn"
    assert vocoder_version({"model": "hn", "training": {"tuned_for_acoustic": "ab12"}}) == "hn; tuned for acoustic ab12"
    assert vocoder_version({"model": "hn"}, "bf16") == "hn; bf16 backbone"


def test_the_synthesizer_and_the_cli_default_to_the_documented_vocoder_precision():
    import argparse
    import inspect

    from tts_moe.synth_cli import register
    from tts_moe.synthesis import Synthesizer
    from vocoder.precision import SYNTHESIS_PRECISION

    default = inspect.signature(Synthesizer.from_pretrained).parameters["vocoder_precision"].default
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert default == SYNTHESIS_PRECISION
    assert parser.parse_args(["synth", "x.txt", "-o", "x.wav"]).vocoder_precision == SYNTHESIS_PRECISION
