"""SSML subset: elements, nesting, say-as/phoneme/sub, every error path, DOCTYPE defence."""

from __future__ import annotations

import pytest

from tts_moe.script import parse_script
from tts_moe.script.pauses import BREAK_STRENGTHS, PARAGRAPH_PAUSE, SENTENCE_PAUSE

from .conftest import error_at

DOC = """<?xml version="1.0"?>
<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">
  <p>Hello <prosody rate="fast" pitch="+2st">quick <prosody rate="150%" volume="-3dB">nested</prosody></prosody> world.</p>
  <p><s>Call <say-as interpret-as="characters">IBM</say-as> on <say-as interpret-as="date" format="dmy">5/3/2024</say-as>.</s>
  <s>The <say-as interpret-as="ordinal">3</say-as> of <say-as interpret-as="cardinal">12,345</say-as>.</s></p>
  <break time="1500ms"/>
  <voice name="flite-slt" style="whisper">Say <phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme> and <sub alias="World Wide Web">WWW</sub>.</voice>
  <emphasis level="strong">Loud</emphasis> <![CDATA[a < b]]> <!-- ignored -->
  <break strength="x-strong"/>
</speak>
"""


def test_document() -> None:
    script = parse_script(DOC)
    assert script.format == "ssml" and script.trailing_pause == BREAK_STRENGTHS["x-strong"]
    got = [(s.text, s.phonemes, s.voice, s.style, s.rate, s.pitch, s.volume, s.pause_before) for s in script.segments]
    assert got == [
        ("Hello", None, None, None, None, None, None, 0.0),
        ("quick", None, None, None, 1.25, 2.0, None, 0.0),
        ("nested", None, None, None, 1.875, 2.0, -3.0, 0.0),
        ("world.", None, None, None, None, None, None, 0.0),
        ("Call I B M on the fifth of March, twenty twenty-four.", None, None, None, None, None, None, PARAGRAPH_PAUSE),
        ("The third of twelve thousand three hundred forty-five.", None, None, None, None, None, None, SENTENCE_PAUSE),
        ("Say", None, "flite-slt", "whisper", None, None, None, 1.5),
        ("tomato", "təˈmɑːtoʊ", "flite-slt", "whisper", None, None, None, 0.0),
        ("and World Wide Web.", None, "flite-slt", "whisper", None, None, None, 0.0),
        ("Loud", None, None, None, None, None, 4.0, 0.0),
        ("a < b", None, None, None, None, None, None, 0.0),
    ]
    positions = [(s.line, s.column) for s in script.segments]
    assert positions[:5] == [(3, 6), (3, 46), (3, 87), (3, 114), (4, 9)]
    assert positions[7] == (7, 47)


def test_whitespace_between_elements_and_strength_none() -> None:
    segs = parse_script("<speak><p>\n   one\n   two <break strength='none'/>three</p></speak>").segments
    assert [(s.text, s.line, s.column) for s in segs] == [("one two three", 2, 4)]


def test_break_time_wins_over_strength_and_default_is_medium() -> None:
    segs = parse_script("<speak>a<break time='2s' strength='weak'/>b<break/>c</speak>").segments
    assert [s.pause_before for s in segs] == [0.0, 2.0, BREAK_STRENGTHS["medium"]]


def test_voice_nesting_and_prosody_default_reset() -> None:
    ssml = "<speak><voice name='a'><prosody rate='2'>x <voice name='b'>y <prosody rate='default'>z</prosody></voice></prosody></voice></speak>"
    segs = parse_script(ssml).segments
    assert [(s.text, s.voice, s.rate) for s in segs] == [("x", "a", 2.0), ("y", "b", 2.0), ("z", "b", None)]


def test_standard_entities_and_character_references() -> None:
    assert [s.text for s in parse_script("<speak>Tom &amp; Jerry&#160;&lt;3&#x21;</speak>").segments] == ["Tom & Jerry <3!"]


@pytest.mark.parametrize(("ssml", "line", "column", "words"), [
    ("<speak>\n  <p>Hi <prosody rate='fast'>there</p>\n</speak>", 2, 35, "</p> does not close <prosody> (opened at line 2, column 9)"),
    ("<speak>\n  <p>\n  <prosody rate='fast'>there\n", 3, 3, "<prosody> has no closing tag"),
    ("<speak><foo>x</foo></speak>", 1, 8, "<foo> is not supported"),
    ("<speak><audio src='x.wav'/></speak>", 1, 8, "<audio> is not supported"),
    ("<speak><prosody speed='1'>x</prosody></speak>", 1, 8, "no attribute 'speed'"),
    ("<speak><prosody rate='zoom'>x</prosody></speak>", 1, 8, "rate 'zoom'"),
    ("<speak><prosody pitch='+20Hz'>x</prosody></speak>", 1, 8, "Hz are not supported"),
    ("<speak><prosody volume='+6'>x</prosody></speak>", 1, 8, "volume '+6'"),
    ("<speak>a &nbsp; b</speak>", 1, 10, "unknown entity &nbsp;"),
    ("<speak>a</speak> trailing", 1, 18, "after </speak>"),
    ("hello <speak>", 1, 1, "must start with <speak>"),
    ("<p>x</p>", 1, 1, "must start with <speak>, not <p>"),
    ("<speak><speak>x</speak></speak>", 1, 8, "outermost"),
    ("<speak>a < b</speak>", 1, 11, "malformed SSML"),
    ("<speak><p a='1' a='2'>x</p></speak>", 1, 17, "malformed SSML: duplicate attribute"),
    ("<speak>x</speak", 1, 9, "not finished"),
    ("<speak><break time='2min'/></speak>", 1, 8, "break time '2min'"),
    ("<speak><break time='90s'/></speak>", 1, 8, "limit"),
    ("<speak><break strength='huge'/></speak>", 1, 8, "strength 'huge'"),
    ("<speak>\n<break>x</break></speak>", 2, 8, "<break> must be empty"),
    ("<speak><break><p/></break></speak>", 1, 15, "may contain only text"),
    ("<speak><say-as interpret-as='cardinal'>abc</say-as></speak>", 1, 8, "not a number"),
    ("<speak><say-as interpret-as='telephone'>1</say-as></speak>", 1, 8, "not supported"),
    ("<speak><say-as>1</say-as></speak>", 1, 8, "needs interpret-as"),
    ("<speak><say-as interpret-as='date'>x<s/></say-as></speak>", 1, 37, "<say-as> may contain only text"),
    ("<speak>\n  <phoneme alphabet='ipa' ph='tə#mɑ'>x</phoneme></speak>", 2, 3, "'#' (U+0023 NUMBER SIGN) at position 3"),
    ("<speak><phoneme alphabet='x-sampa' ph='a'>x</phoneme></speak>", 1, 8, "x-sampa"),
    ("<speak><phoneme>x</phoneme></speak>", 1, 8, "needs ph"),
    ("<speak><phoneme ph=' '>x</phoneme></speak>", 1, 8, "empty ph"),
    ("<speak><sub>x</sub></speak>", 1, 8, "non-empty alias"),
    ("<speak><voice>x</voice></speak>", 1, 8, "needs name"),
    ("<speak><voice name=' '>x</voice></speak>", 1, 8, "is empty"),
    ("<speak><emphasis level='huge'>x</emphasis></speak>", 1, 8, "emphasis level"),
    ("<speak><p><p>x</p></p></speak>", 1, 11, "<p> cannot be inside"),
    ("<speak><s><s>x</s></s></speak>", 1, 11, "<s> cannot be inside"),
])
def test_errors_have_line_and_column(ssml: str, line: int, column: int, words: str) -> None:
    error = error_at(ssml, "ssml")
    assert (error.line, error.column) == (line, column), str(error)
    assert words in str(error) and str(error).startswith(f"line {line}, column {column}: ")


def test_nothing_inside_speak() -> None:
    error = error_at("<speak><break time='1s'/></speak>", "ssml")
    assert "nothing to speak" in str(error) and error.line is None


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<speak>&lol9;</speak>
"""


@pytest.mark.parametrize("format", ["auto", "ssml"])
def test_doctype_refused_before_entities_expand(format: str) -> None:
    error = error_at(BILLION_LAUGHS, format)
    assert (error.line, error.column) == (2, 1) and "DOCTYPE" in str(error)


def test_external_entity_doctype_refused() -> None:
    xxe = '<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>'
    assert "DOCTYPE" in str(error_at(xxe, "ssml"))
