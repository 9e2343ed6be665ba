"""Teacher synthesizers: one module per engine, each turning texts into audio + timings.

:func:`get_engine` returns the engine object for a speaker's ``engine`` name. Every engine
has ``settings(speaker, style) -> dict`` (the exact command-line/scheme settings, stored in
the metadata) and ``render(speaker, style, texts, workdir) -> list[Rendered | Exception]``.
"""

from __future__ import annotations

from tts_moe.corpus.engines.base import Engine, Rendered, TeacherFailure


def get_engine(name: str, data_root: str | None = None) -> Engine:
    """The engine called ``name`` (``espeak``, ``flite``, ``festival`` or ``hts``)."""
    if name == "espeak":
        from tts_moe.corpus.engines.espeak import EspeakEngine

        return EspeakEngine(data_root)
    if name == "flite":
        from tts_moe.corpus.engines.flite import FliteEngine

        return FliteEngine()
    if name == "festival":
        from tts_moe.corpus.engines.festival import FestivalDiphoneEngine

        return FestivalDiphoneEngine()
    if name == "hts":
        from tts_moe.corpus.engines.hts import HtsEngine

        return HtsEngine()
    raise ValueError(f"unknown teacher engine {name!r}")


__all__ = ["Engine", "Rendered", "TeacherFailure", "get_engine"]
