import json

import pytest

from tts_moe.cli import main
from tts_moe.errors import InputError
from voices.registry import builtin_voices, get_voice, list_voices


def card(tmp_path, voices=None):
    from tests.acoustic.conftest import TINY
    from tts_moe.acoustic.config import AcousticConfig
    from tts_moe.acoustic.loader import save_pretrained
    from tts_moe.acoustic.model import AcousticModel
    from tts_moe.text.symbols import SymbolTable

    config = AcousticConfig(speakers=["flite-slt", "espeak-en-gb-x-rp+m1"], styles=["neutral", "fast", "whisper"],
                            n_symbols=len(SymbolTable()), speaker_languages={"espeak-en-gb-x-rp+m1": "en-gb"}, **TINY)
    save_pretrained(AcousticModel(config), tmp_path / "w", {"voices": voices or {}})
    return tmp_path / "w"


def test_voices_come_from_the_model_card(tmp_path):
    weights = card(tmp_path, {"flite-slt": {"language": "en-us", "styles": ["neutral", "fast"]}})
    voices = {v.name: v for v in list_voices(weights)}
    assert voices["flite-slt"].styles == ["neutral", "fast"]
    assert voices["espeak-en-gb-x-rp+m1"].language == "en-gb"
    assert voices["espeak-en-gb-x-rp+m1"].styles == ["neutral", "fast", "whisper"]  # not listed: every style
    assert all(v.kind == "builtin" and "teacher voice" in v.description for v in voices.values())
    with pytest.raises(InputError, match="unknown voice 'nobody'"):
        get_voice("nobody", weights)


def test_cli_list_and_show(tmp_path, capsys):
    weights = card(tmp_path)
    assert main(["voices", "list", "--weights", str(weights), "--json"]) == 0
    names = [v["name"] for v in json.loads(capsys.readouterr().out)]
    assert names == ["flite-slt", "espeak-en-gb-x-rp+m1"]
    assert main(["voices", "show", "flite-slt", "--weights", str(weights)]) == 0
    assert "kind: builtin" in capsys.readouterr().out
    assert main(["voices", "show", "x", "--weights", str(weights)]) == 2
    assert main(["voices", "list", "--weights", str(tmp_path / "none")]) == 4


def test_builtin_voices_without_a_voices_section():
    voices = builtin_voices({"config": {"speakers": ["a"], "styles": ["neutral"], "speaker_languages": {}}})
    assert voices[0].name == "a" and voices[0].styles == ["neutral"] and voices[0].language == "en-us"
