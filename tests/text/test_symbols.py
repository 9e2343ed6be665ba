"""SymbolTable: encoding, round trip, persistence, compatibility errors."""

from __future__ import annotations

import json

import pytest

from tts_moe.errors import TextError
from tts_moe.text import SymbolTable
from tts_moe.text.symbols import DEFAULT_SYMBOLS, PAD, VERSION


def test_default_table_layout() -> None:
    table = SymbolTable()
    assert table.version == VERSION == "en-ipa-1"
    assert table.pad_id == 0 and table.symbols[0] == PAD
    assert table.space_id == table.symbols.index(" ")
    for sym in "ˈˌː,.!?;:—" + "ɪəɛæɑɔʊʌθðʃʒŋɹɾɚᵻɐɒɜʉʍʲ̩̪":
        assert sym in table, sym


@pytest.mark.parametrize("phonemes", ["həlˈoʊ, wˈɜːld!", "ðə kˈæt", "tʃˈɜːtʃ dʒˈʌdʒ", "", "a — b"])
def test_round_trip(phonemes: str) -> None:
    table = SymbolTable()
    ids = table.encode(phonemes)
    assert len(ids) == len(phonemes)
    assert table.decode(ids) == phonemes


def test_bos_eos() -> None:
    table = SymbolTable()
    ids = table.encode("ab", add_bos_eos=True)
    assert ids[0] == table.bos_id and ids[-1] == table.eos_id
    assert table.decode(ids) == "ab"


@pytest.mark.parametrize(("phonemes", "symbol", "position"), [("abXc", "X", 2), ("😀", "😀", 0), ("ab\u4e00", "\u4e00", 2)])
def test_unknown_symbol_error_names_symbol_and_position(phonemes: str, symbol: str, position: int) -> None:
    with pytest.raises(TextError) as info:
        SymbolTable().encode(phonemes)
    assert repr(symbol) in str(info.value)
    assert f"position {position}" in str(info.value)


def test_json_round_trip() -> None:
    table = SymbolTable()
    data = json.loads(json.dumps(table.to_dict()))
    again = SymbolTable.from_dict(data)
    assert again == table
    again.check_compatible(table)
    assert SymbolTable.from_json(table.to_json()) == table


def test_mismatch_error_lists_differences() -> None:
    table = SymbolTable()
    other = SymbolTable([s for s in DEFAULT_SYMBOLS if s != "ʍ"] + ["ʘ"], "en-ipa-test")
    with pytest.raises(TextError) as info:
        table.check_compatible(other)
    message = str(info.value)
    assert "'en-ipa-1'" in message and "'en-ipa-test'" in message
    assert "'ʍ'" in message and "'ʘ'" in message
    assert "different ids" in message


def test_version_only_mismatch() -> None:
    with pytest.raises(TextError, match="different version"):
        SymbolTable().check_compatible(SymbolTable(DEFAULT_SYMBOLS, "en-ipa-0"))


@pytest.mark.parametrize("bad", [{}, {"version": "x"}, {"version": "x", "symbols": "abc"}, {"version": "x", "symbols": ["a", "a"]}, {"version": "x", "symbols": ["ab"]}])
def test_from_dict_rejects_malformed(bad: dict) -> None:
    with pytest.raises(TextError):
        SymbolTable.from_dict(bad)


def test_decode_rejects_out_of_range() -> None:
    with pytest.raises(TextError, match="outside"):
        SymbolTable().decode([10_000])
