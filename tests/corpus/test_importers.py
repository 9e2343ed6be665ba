"""``tts-moe corpus import``: LJ Speech and VCTK layouts -> a training corpus folder.

Tiny fake datasets of harmonic tones; the held-out text lists come from a fake shared folder
(``TTS_MOE_SHARED``) so no real data or network is needed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tts_moe.cli import main
from tts_moe.corpus.importers import import_corpus
from tts_moe.corpus.metadata import METADATA, load_metadata, require_training_corpus
from tts_moe.errors import InputError

PAD_S, TONE_S = 0.2, 1.0  # silence on each side of every fake clip, tone length

LJ_LINES = [
    "LJ001-0001|Printing, in the only sense with which we are at present concerned.|"
    "Printing, in the only sense with which we are at present concerned.",
    "LJ001-0002|in being comparatively modern.",  # no normalized field: the second is used
    "LJ001-0003|wood blocks, 1440.|wood blocks, fourteen forty.",
    "LJ001-0004|This clip's audio is corrupt.|This clip's audio is corrupt.",
    "LJ001-0005|This clip has no audio file.|This clip has no audio file.",
    "LJ001-0006|...|...",  # nothing to pronounce
    "LJ900-0001|Held out by its id.|Held out by its id.",
    "LJ001-0007|This sentence is held out, for validation!|This sentence is held out, for validation!",
]


def tone(rate: int, seconds: float = TONE_S, f0: float = 140.0, channels: int = 1) -> np.ndarray:
    """A harmonic tone with ``PAD_S`` of silence on each side: ``(time,)`` or ``(time, channels)``."""
    t = np.arange(int(seconds * rate)) / rate
    audio = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * 0.1
    audio = np.pad(audio, int(PAD_S * rate)).astype(np.float32)
    return np.stack([audio] * channels, axis=1) if channels > 1 else audio


@pytest.fixture(autouse=True)
def shared(tmp_path, monkeypatch) -> Path:
    """A shared folder whose held-out LJ lists catch LJ900-0001 (test, by id) and LJ001-0007 (val, by text)."""
    folder = tmp_path / "shared" / "data" / "ljspeech-text"
    folder.mkdir(parents=True)
    (folder / "test.txt").write_text("LJ900-0001|Other wording than in metadata.csv.\n", encoding="utf-8")
    (folder / "val.txt").write_text("LJ900-0002|this sentence is held out for validation.\n", encoding="utf-8")
    monkeypatch.setenv("TTS_MOE_SHARED", str(tmp_path / "shared"))
    return folder


@pytest.fixture()
def espeak():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (apt-get install espeak-ng)")


@pytest.fixture()
def ljspeech(tmp_path) -> Path:
    src = tmp_path / "LJSpeech-1.1"
    (src / "wavs").mkdir(parents=True)
    (src / "metadata.csv").write_text("\n".join(LJ_LINES) + "\n", encoding="utf-8")
    for line in LJ_LINES:
        clip_id = line.split("|")[0]
        if clip_id != "LJ001-0005":
            soundfile.write(src / "wavs" / f"{clip_id}.wav", tone(22_050), 22_050, subtype="PCM_16")
    (src / "wavs" / "LJ001-0004.wav").write_bytes(b"RIFF\x00\x01\x00\x00WAVEfmt garbage" * 10)
    soundfile.write(src / "wavs" / "LJ999-0001.wav", tone(22_050), 22_050)  # no metadata line
    return src


def make_vctk(src: Path, audio_folder: str, files: dict[str, dict]) -> Path:
    """``files``: speaker -> {text id: (sentence or None, [audio suffixes])}."""
    for speaker, clips in files.items():
        (src / "txt" / speaker).mkdir(parents=True, exist_ok=True)
        (src / audio_folder / speaker).mkdir(parents=True, exist_ok=True)
        for text_id, (sentence, suffixes) in clips.items():
            if sentence is not None:
                (src / "txt" / speaker / f"{text_id}.txt").write_text(sentence + "\n", encoding="utf-8")
            for suffix in suffixes:
                # mic2 is shorter than mic1, so the tests can tell which one was used
                seconds, channels = (0.5, 1) if "mic2" in suffix else (TONE_S, 2 if suffix == ".wav" else 1)
                soundfile.write(src / audio_folder / speaker / f"{text_id}{suffix}",
                                tone(48_000, seconds, channels=channels), 48_000)
    return src


@pytest.fixture()
def vctk(tmp_path) -> Path:
    both, mic1 = ["_mic1.flac", "_mic2.flac"], ["_mic1.flac"]
    return make_vctk(tmp_path / "VCTK-Corpus-0.92", "wav48_silence_trimmed", {
        "p225": {"p225_001": ("Please call Stella.", both), "p225_002": ("Ask her to bring these things.", mic1),
                 "p225_009": (None, mic1)},
        "p226": {"p226_001": ("Please call Stella.", mic1),
                 "p226_002": ("Six spoons of fresh snow peas.", ["_mic2.flac"]),
                 "p226_003": ("This text has no audio.", [])},
    })


def quiet(_message: str) -> None:
    pass


def lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / METADATA).read_text(encoding="utf-8").splitlines()]


def test_ljspeech_import_writes_a_corpus_like_the_builder(ljspeech, tmp_path, espeak):
    from tts_moe.text import Phonemizer, normalize_text

    out = tmp_path / "corpus"
    report = import_corpus("ljspeech", ljspeech, out, jobs=1, log=quiet)
    records = lines(out)
    assert [r["text_id"] for r in records] == ["LJ001-0001", "LJ001-0002", "LJ001-0003"]
    assert report.imported == 3 and report.already_present == 0 and report.speakers == ["ljspeech"]
    assert report.skipped == {"missing_audio": ["LJ001-0005"], "missing_text": ["LJ999-0001"],
                              "held_out_text": ["LJ001-0007", "LJ900-0001"],
                              "nothing_to_pronounce": ["LJ001-0006"], "unreadable_audio": ["LJ001-0004"]}
    by_id = {r["text_id"]: r for r in records}
    assert by_id["LJ001-0003"]["text"] == "wood blocks, fourteen forty."  # the normalized field
    assert by_id["LJ001-0002"]["text"] == "in being comparatively modern."
    expected = Phonemizer("en-us").phonemize([normalize_text("wood blocks, fourteen forty.")])[0]
    assert by_id["LJ001-0003"]["phonemes"] == expected and "fˈɔːɹ" in expected
    for record in records:
        assert record["id"] == f"ljspeech__neutral__{record['text_id']}"
        assert record["path"] == f"audio/ljspeech/neutral/{record['text_id']}.flac"
        assert (record["speaker"], record["style"], record["language"], record["split"], record["source"]) == (
            "ljspeech", "neutral", "en-us", "train", "ljspeech")
        assert record["phonemes"].strip() and record["native_rate"] == 22_050
        info = soundfile.info(out / record["path"])
        assert (info.samplerate, info.channels, info.format, info.subtype) == (16_000, 1, "FLAC", "PCM_16")
        audio, _ = soundfile.read(out / record["path"], dtype="float32")
        assert abs(audio.size / 16_000 - record["duration"]) < 1e-3
        assert TONE_S < record["duration"] < TONE_S + 0.1  # 0.2 s of padding trimmed to ~30 ms
        assert abs(record["trim_start"] - (PAD_S - 0.03)) < 0.02
        assert abs(20 * np.log10(np.sqrt(np.mean(audio**2))) - -23.0) < 1.5  # builder loudness
    assert not list(out.rglob("*.partial")) and not list(out.rglob(".*.tmp"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["kind"], manifest["texts"], manifest["reserved"], manifest["status"]) == (
        "training", "train", False, "incomplete")
    assert manifest["source"] == {"format": "ljspeech", "path": str(ljspeech.resolve())}
    assert [s["id"] for s in manifest["speakers"]] == ["ljspeech"] and manifest["clips"] == 3
    assert manifest["hours_built"] == pytest.approx(sum(r["duration"] for r in records) / 3600, abs=1e-4)
    assert set(load_metadata(out)) == {r["id"] for r in records}


def test_rerun_imports_nothing_new_and_repairs_a_lost_clip(ljspeech, tmp_path, espeak):
    out = tmp_path / "corpus"
    import_corpus("ljspeech", ljspeech, out, jobs=1, log=quiet)
    before = (out / METADATA).read_bytes()
    again = import_corpus("ljspeech", ljspeech, out, jobs=1, log=quiet)
    assert (again.imported, again.already_present) == (0, 3)
    assert (out / METADATA).read_bytes() == before
    (out / "audio/ljspeech/neutral/LJ001-0002.flac").unlink()  # a crash lost this clip's audio
    repaired = import_corpus("ljspeech", ljspeech, out, jobs=1, log=quiet)
    assert (repaired.imported, repaired.already_present) == (1, 2)
    assert sorted(r["text_id"] for r in lines(out)) == ["LJ001-0001", "LJ001-0002", "LJ001-0003"]


def test_phonemizes_in_batches(ljspeech, tmp_path, monkeypatch, espeak):
    from tts_moe.corpus import importers
    from tts_moe.text import TextFrontend

    batches: list[int] = []
    original = TextFrontend.phonemize
    monkeypatch.setattr(TextFrontend, "phonemize",
                        lambda self, texts: batches.append(len(texts)) or original(self, texts))
    import_corpus("ljspeech", ljspeech, tmp_path / "one-call", jobs=1, log=quiet)
    assert batches == [4]  # LJ001-0001..0004 (0006 has no words; the held-out ones never get here)
    batches.clear()
    monkeypatch.setattr(importers, "PHONEMIZE_BATCH", 3)
    import_corpus("ljspeech", ljspeech, tmp_path / "two-calls", jobs=1, log=quiet)
    assert batches == [3, 1]


def test_limit_takes_the_first_clips_by_id(ljspeech, tmp_path, espeak):
    out = tmp_path / "corpus"
    report = import_corpus("ljspeech", ljspeech, out, limit=2, jobs=1, log=quiet)
    assert report.imported == 2 and [r["text_id"] for r in lines(out)] == ["LJ001-0001", "LJ001-0002"]
    more = import_corpus("ljspeech", ljspeech, out, limit=3, jobs=1, log=quiet)
    assert (more.imported, more.already_present) == (1, 2)


def test_vctk_092_prefers_mic1_and_filters_speakers(vctk, tmp_path, espeak):
    out = tmp_path / "all"
    report = import_corpus("vctk", vctk, out, jobs=1, log=quiet)
    records = {r["text_id"]: r for r in lines(out)}
    assert sorted(records) == ["p225_001", "p225_002", "p226_001", "p226_002"]
    assert report.speakers == ["vctk-p225", "vctk-p226"]
    assert report.skipped == {"missing_text": ["p225_009"], "missing_audio": ["p226_003"]}
    assert records["p225_001"]["source_file"] == "wav48_silence_trimmed/p225/p225_001_mic1.flac"
    assert records["p225_001"]["duration"] > TONE_S  # the 1 s mic1 take, not the 0.5 s mic2 one
    assert records["p226_002"]["source_file"].endswith("_mic2.flac") and records["p226_002"]["duration"] < 0.6
    assert records["p226_001"]["path"] == "audio/vctk-p226/neutral/p226_001.flac"
    assert all(r["native_rate"] == 48_000 and r["phonemes"] for r in records.values())

    only = import_corpus("vctk", vctk, tmp_path / "one", speakers=["p226"], jobs=1, log=quiet)
    assert only.speakers == ["vctk-p226"] and {r["speaker"] for r in lines(tmp_path / "one")} == {"vctk-p226"}
    with pytest.raises(InputError, match=r"unknown VCTK speaker\(s\) p999: .* holds p225, p226"):
        import_corpus("vctk", vctk, tmp_path / "bad", speakers=["p225", "p999"], jobs=1, log=quiet)
    assert not (tmp_path / "bad").exists()


def test_vctk_080_wav48_layout_downmixes_stereo(tmp_path, espeak):
    src = make_vctk(tmp_path / "VCTK-Corpus", "wav48", {"p227": {"p227_001": ("Please call Stella.", [".wav"])}})
    out = tmp_path / "corpus"
    report = import_corpus("vctk", src, out, jobs=1, log=quiet)
    assert report.imported == 1
    (record,) = lines(out)
    assert record["source_file"] == "wav48/p227/p227_001.wav"
    assert soundfile.info(out / record["path"]).channels == 1


def test_layout_errors_name_what_is_missing(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        import_corpus("ljspeech", tmp_path / "nowhere", tmp_path / "out", log=quiet)
    (tmp_path / "lj" / "wavs").mkdir(parents=True)
    with pytest.raises(InputError, match=r"not in the LJ Speech layout: metadata\.csv .*not found"):
        import_corpus("ljspeech", tmp_path / "lj", tmp_path / "out", log=quiet)
    (tmp_path / "vctk" / "txt" / "p225").mkdir(parents=True)
    with pytest.raises(InputError, match=r"VCTK layout: wav48_silence_trimmed/ \(VCTK 0\.92\) or wav48/"):
        import_corpus("vctk", tmp_path / "vctk", tmp_path / "out", log=quiet)
    (tmp_path / "vctk" / "wav48" / "p225").mkdir(parents=True)
    with pytest.raises(InputError, match="nothing to import"):
        import_corpus("vctk", tmp_path / "vctk", tmp_path / "out", log=quiet)
    assert not (tmp_path / "out").exists()


def test_refuses_to_mix_corpora(ljspeech, vctk, tmp_path, espeak):
    out = tmp_path / "corpus"
    import_corpus("ljspeech", ljspeech, out, limit=1, jobs=1, log=quiet)
    with pytest.raises(InputError, match="refusing to mix vctk"):
        import_corpus("vctk", vctk, out, jobs=1, log=quiet)
    built = tmp_path / "built"
    built.mkdir()
    (built / "manifest.json").write_text(json.dumps({"kind": "reserved", "texts": "train"}))
    with pytest.raises(InputError, match="'reserved' corpus of `tts-moe corpus build`"):
        import_corpus("ljspeech", ljspeech, built, jobs=1, log=quiet)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not an empty folder"):
        import_corpus("ljspeech", ljspeech, tmp_path / "busy", jobs=1, log=quiet)
    assert len(lines(out)) == 1


def test_training_runs_on_an_imported_corpus(ljspeech, tmp_path, espeak):
    from tests.acoustic.conftest import TINY
    from tts_moe.acoustic.train import TrainOptions, train

    out = tmp_path / "corpus"
    report = import_corpus("ljspeech", ljspeech, out, jobs=1, log=quiet)
    assert require_training_corpus(out)["source"]["format"] == "ljspeech"
    assert report.training_refusal is None
    state = train(TrainOptions(corpus=str(out), run_dir=str(tmp_path / "run"), steps=2, config=dict(TINY),
                               max_frames=400, max_clips=4, curriculum_steps=1, binarize_after=1,
                               holdout_fraction=0.3, checkpoint_minutes=100, log_every=1, threads=1,
                               cache_dir=str(tmp_path / "cache")), log=quiet)
    assert state["step"] == 2 and state["validation"][-1]["val_mel"] > 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["acoustic"]["speakers"] == ["ljspeech"]


def test_cli_import_json_and_exit_codes(vctk, tmp_path, capsys, espeak):
    out = tmp_path / "corpus"
    assert main(["corpus", "import", "vctk", str(vctk), str(out), "--speakers", "p225,vctk-p226",
                 "--jobs", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["imported"] == 4 and data["speakers"] == ["vctk-p225", "vctk-p226"]
    assert data["skipped"]["missing_audio"] == {"count": 1, "first": ["p226_003"]}
    assert [r["text_id"] for r in lines(out)] == ["p225_001", "p225_002", "p226_001", "p226_002"]
    assert main(["corpus", "import", "vctk", str(vctk), str(out)]) == 0
    assert "0 clips imported" in capsys.readouterr().out
    assert main(["corpus", "import", "ljspeech", str(tmp_path / "missing"), str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["corpus", "import", "ljspeech", str(vctk), str(tmp_path / "o"), "--speakers", "p225"]) == 2
