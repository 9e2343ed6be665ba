"""Voice packs (voices/pack.py): atomic, checksummed, named safely."""

from __future__ import annotations

import pytest
import torch

from tts_moe.errors import InputError
from voices.pack import list_packs, load_pack, read_manifest, write_pack


def test_round_trip_and_listing(tmp_path):
    vector = torch.linspace(-1, 1, 16)
    write_pack("ada", vector, {"kind": "cloned", "consent_id": "c1"}, folder=tmp_path)
    loaded, adapter, manifest = load_pack("ada", tmp_path)
    assert adapter is None
    torch.testing.assert_close(loaded, vector.half().float())
    assert manifest["consent_id"] == "c1" and "speaker.safetensors" in manifest["files"]
    assert [m["name"] for m in list_packs(tmp_path)] == ["ada"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_existing_bad_names_and_damage_are_refused(tmp_path):
    write_pack("ada", torch.zeros(4), {"kind": "cloned"}, folder=tmp_path)
    with pytest.raises(InputError, match="already exists"):
        write_pack("ada", torch.zeros(4), {}, folder=tmp_path)
    with pytest.raises(InputError, match="lower-case"):
        write_pack("Ada Example!", torch.zeros(4), {}, folder=tmp_path)
    weights = tmp_path / "ada" / "speaker.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\1")
    with pytest.raises(InputError, match="damaged: speaker.safetensors does not match"):
        load_pack("ada", tmp_path)
    assert read_manifest("nobody", tmp_path) is None
    with pytest.raises(InputError, match="no cloned voice 'nobody'"):
        load_pack("nobody", tmp_path)
