"""TextFrontend end to end, robustness (hypothesis) and the shared corpora."""

from __future__ import annotations

import itertools
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_moe.errors import TextError
from tts_moe.text import SymbolTable, TextFrontend, TextWarning, Utterance, normalize_text, split_sentences


def test_prepare_pipeline(frontend: TextFrontend) -> None:
    utts = frontend.prepare("Dr. Smith paid $3.50 on 5 March 2024. Mr. and Mrs. Smith left at 3:30 pm!")
    assert [u.text for u in utts] == ["Dr. Smith paid $3.50 on 5 March 2024.", "Mr. and Mrs. Smith left at 3:30 pm!"]
    assert utts[0].normalized.startswith("doctor Smith paid three dollars fifty cents")
    assert isinstance(utts[0], Utterance)
    for u in utts:
        assert u.ids == frontend.symbols.encode(u.phonemes)
        assert frontend.symbols.decode(u.ids) == u.phonemes


def test_methods(frontend: TextFrontend) -> None:
    assert frontend.normalize("No. 3") == "number three"
    assert frontend.split("One. Two.") == ["One.", "Two."]
    ph = frontend.phonemize(["one", "two"])
    assert ph == ["wˈʌn", "tˈuː"]
    assert frontend.encode(ph[0]) == SymbolTable().encode("wˈʌn")


def test_max_phonemes_respected() -> None:
    fe = TextFrontend(max_phonemes=60)
    text = ("The committee examined the records of the agency in great detail, found several "
            "problems with procedures and rules, and recommended many changes; the agency "
            "answered slowly, which caused delays") * 2
    utts = fe.prepare(text)
    assert len(utts) > 2
    assert all(len(u.phonemes) <= 60 for u in utts)


def test_prepare_skips_unspeakable_sentences(frontend: TextFrontend) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextWarning)
        utts = frontend.prepare("Hello there. 😀. Goodbye.")
    assert [u.normalized for u in utts] == ["Hello there.", "Goodbye."]


@pytest.mark.parametrize("text", ["", "   ", "...", "?!?", "😀", "🎉🎉 😀"])
def test_prepare_nothing_raises(frontend: TextFrontend, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextWarning)
        with pytest.raises(TextError):
            frontend.prepare(text)


def test_bad_max_phonemes() -> None:
    with pytest.raises(TextError, match="max_phonemes"):
        TextFrontend(max_phonemes=3)


def test_lexicon_through_frontend() -> None:
    fe = TextFrontend(lexicon={"Smith": "smˈaɪθ"})
    (u,) = fe.prepare("Dr. Smith.")
    assert u.phonemes == "dˈɑːktɚ smˈaɪθ."


# ---- robustness: arbitrary unicode never raises anything but TextError ---------------------
_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=80,
) | st.lists(
    st.sampled_from(["Dr.", "St.", "$3.50", "1,000", "3.5", "-", "—", "😀", "\x00", "12th", "1990s",
                     "'90s", "FBI", "II", "www.x.com", "a@b.co", "%", "&", "°C", "3:30", "pm", "No.",
                     ".", ",", "?", "é", "ß", "\u0301", "\u200b", "\ufeff", "Ω", "你", "ﬁ", "½", "²", "e.g."]),
    max_size=12,
).map(" ".join)


@settings(max_examples=int(__import__("os").environ.get("TEXT_HYPOTHESIS_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_texts)
def test_arbitrary_text_only_raises_text_error(frontend: TextFrontend, text: str) -> None:
    table = frontend.symbols
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextWarning)
        try:
            normalized = normalize_text(text)
        except TextError:
            normalized = None
        else:
            assert isinstance(normalized, str) and normalized.strip()
        try:
            sentences = split_sentences(text)
        except TextError:
            sentences = []
        assert all(isinstance(s, str) and s for s in sentences)
        if normalized is not None:
            try:
                (phonemes,) = frontend.phonemize([normalized])
            except TextError:
                return
            assert isinstance(phonemes, str)
            table.encode(phonemes)
        try:
            for u in frontend.prepare(text):
                table.encode(u.phonemes)
        except TextError:
            pass


# ---- the shared corpora --------------------------------------------------------------------
def _corpus_lines(data, n: int) -> list[str]:
    lj = data / "ljspeech-text" / "train.txt"
    web = data / "web-sentences" / "sentences.txt"
    if not lj.exists() or not web.exists():
        pytest.skip(f"shared text data not found under {data} (set TTS_MOE_SHARED)")
    lines = []
    with lj.open(encoding="utf-8") as handle:
        lines += [line.split("|", 1)[-1].strip() for line in itertools.islice(handle, n)]
    with web.open(encoding="utf-8") as handle:
        lines += [line.strip() for line in itertools.islice(handle, n)]
    return [line for line in lines if line]


def test_shared_corpora_prepare_without_errors(frontend: TextFrontend, shared_data) -> None:
    lines = _corpus_lines(shared_data, 300)
    assert len(lines) >= 500
    normalized = [normalize_text(line) for line in lines]
    phonemes = frontend.phonemize(normalized)
    assert len(phonemes) == len(lines)
    for ph in phonemes:
        frontend.symbols.encode(ph)
    for line in lines[::10]:
        for u in frontend.prepare(line):
            frontend.symbols.encode(u.phonemes)


def test_lexicon_acronym_not_spelled() -> None:
    fe = TextFrontend(lexicon={"FBI": "fˈɪbi"})
    (u,) = fe.prepare("The FBI came.")
    assert u.normalized == "The FBI came."
    assert u.phonemes == "ðə fˈɪbi kˈeɪm."
    assert TextFrontend().normalize("The FBI came.") == "The F B I came."


def test_threads_share_backend() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fe = TextFrontend()
    texts = [f"sentence number {i}." for i in range(40)]
    expected = [fe.prepare(normalize_text(t))[0].phonemes for t in texts]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: fe.prepare(t)[0].phonemes, texts))
    assert got == expected
