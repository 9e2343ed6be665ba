"""Reserved voices: never in a training corpus, renderable only on their own."""

from __future__ import annotations

import json

import pytest

from tts_moe.corpus.build import BuildOptions, build_corpus
from tts_moe.corpus.metadata import require_training_corpus
from tts_moe.corpus.speakers import (RESERVED_SPEAKERS, TRAINING_SPEAKERS, get_speaker, is_reserved,
                                     select_speakers)
from tts_moe.errors import InputError


def test_training_and_reserved_sets():
    training = {s.id for s in TRAINING_SPEAKERS}
    assert len(training) == 11
    assert {"flite-slt", "flite-rms", "festival-kal", "hts-slt", "espeak-en-us+m3"} <= training
    reserved = {s.id for s in RESERVED_SPEAKERS}
    assert {"flite-awb", "festival-ked"} <= reserved
    assert not training & reserved
    assert all(s.reserved for s in RESERVED_SPEAKERS)
    assert get_speaker("flite-rms").styles == ("neutral", "fast", "slow")


def test_any_other_espeak_variant_is_reserved():
    assert is_reserved("espeak-en-us+m1")
    assert is_reserved("flite-awb") and is_reserved("festival-ked")
    assert not is_reserved("flite-slt")
    assert not is_reserved("ljspeech") and not is_reserved("vctk-p225")  # imported datasets, no teacher voice
    assert get_speaker("espeak-en-gb-x-rp+f4").reserved
    assert not get_speaker("espeak-en-us+f3").reserved
    with pytest.raises(InputError, match="unknown speaker"):
        get_speaker("espeak-klingon+m1")


def test_mixing_reserved_and_training_is_refused():
    with pytest.raises(InputError, match="refusing to mix"):
        select_speakers("flite-slt,flite-awb")
    with pytest.raises(InputError, match="refusing to mix"):
        select_speakers("espeak-en-us+m3,espeak-en-us+m1")
    speakers, reserved = select_speakers("reserved")
    assert reserved and all(s.reserved for s in speakers)
    speakers, reserved = select_speakers("festival-ked")
    assert reserved


def test_build_refuses_mix_before_writing(tmp_path):
    out = tmp_path / "mixed"
    with pytest.raises(InputError, match="refusing to mix"):
        build_corpus(BuildOptions(out, clips_per_cell=1, speakers="flite-slt,festival-ked"))
    assert not out.exists()


def test_reserved_folder_cannot_receive_a_training_build(tmp_path):
    out = tmp_path / "reserved"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": "reserved", "reserved": True,
                                                  "texts": "train", "seed": 0}))
    with pytest.raises(InputError, match="kind='reserved'"):
        build_corpus(BuildOptions(out, clips_per_cell=1, speakers="flite-slt"))


def test_training_code_refuses_reserved_and_test_corpora(tmp_path):
    def manifest(**fields):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        base = {"kind": "training", "reserved": False, "texts": "train",
                "speakers": [{"id": "flite-slt"}]}
        (folder / "manifest.json").write_text(json.dumps({**base, **fields}))
        return folder

    assert require_training_corpus(manifest())["kind"] == "training"
    with pytest.raises(InputError, match="reserved"):
        require_training_corpus(manifest(kind="reserved", reserved=True))
    with pytest.raises(InputError, match="reserved"):
        require_training_corpus(manifest(speakers=[{"id": "flite-awb"}]))
    with pytest.raises(InputError, match="'test'"):
        require_training_corpus(manifest(texts="test"))
