"""SSML scripts (a subset of SSML 1.1), parsed with the standard library's expat.

Supported elements and attributes:

=============  ==================================================================
``speak``      the root (``version``, ``xml:lang``, ``xmlns...`` allowed, ignored)
``p``, ``s``   paragraph / sentence: :data:`PARAGRAPH_PAUSE` / :data:`SENTENCE_PAUSE`
``break``      ``time="500ms"|"1.2s"`` or ``strength="none".."x-strong"``; time wins;
               ``<break/>`` is medium (pause values in :mod:`tts_moe.script.pauses`)
``prosody``    ``rate``, ``pitch``, ``volume`` (values: :mod:`tts_moe.script.prosody`);
               nested prosody composes (rates multiply, semitones and dB add)
``voice``      ``name="..."`` (kept as written), and ``style="..."`` (tts-moe extension)
``emphasis``   ``level="strong|moderate|reduced|none"`` -> +4/+2/-4/0 dB (extra)
``say-as``     ``interpret-as="characters|cardinal|ordinal|digits|date"`` (+ ``format``
               for dates); see :mod:`tts_moe.script.sayas`
``phoneme``    ``alphabet="ipa" ph="..."``: its own segment, checked against the symbol
               table (:mod:`tts_moe.script.ipa`); the content is kept for subtitles
``sub``        ``alias="..."``: the alias is spoken instead of the content
=============  ==================================================================

Any other element or attribute is an error with line and column, as is malformed XML.
A ``<!DOCTYPE>`` is refused before its internal subset is read, so entity definitions
("billion laughs") never expand; only XML's five predefined entities and character
references (``&#160;``) are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from tts_moe.script.builder import SegmentBuilder
from tts_moe.script.errors import LineIndex, ScriptError, split_lines
from tts_moe.script.ipa import clean_ipa
from tts_moe.script.model import Script, Voicing
from tts_moe.script.pauses import BREAK_STRENGTHS, PARAGRAPH_PAUSE, SENTENCE_PAUSE
from tts_moe.script.prosody import PARSERS, parse_strength, parse_time
from tts_moe.script.sayas import say_as

#: element -> attributes it accepts (``speak`` also accepts any ``xmlns...``).
ELEMENTS: dict[str, tuple[str, ...]] = {
    "speak": ("version", "xml:lang", "xsi:schemaLocation"),
    "p": ("xml:lang",),
    "s": ("xml:lang",),
    "break": ("time", "strength"),
    "prosody": ("rate", "pitch", "volume"),
    "voice": ("name", "style"),
    "emphasis": ("level",),
    "say-as": ("interpret-as", "format"),
    "phoneme": ("alphabet", "ph"),
    "sub": ("alias",),
}
EMPHASIS_LEVELS = {"strong": 4.0, "moderate": 2.0, "none": 0.0, "reduced": -4.0}
_TEXT_ONLY = ("say-as", "phoneme", "sub")
_CODES = {name: expat.errors.codes[getattr(expat.errors, name)] for name in (
    "XML_ERROR_TAG_MISMATCH", "XML_ERROR_NO_ELEMENTS", "XML_ERROR_UNDEFINED_ENTITY",
    "XML_ERROR_JUNK_AFTER_DOC_ELEMENT", "XML_ERROR_UNCLOSED_TOKEN", "XML_ERROR_SYNTAX",
)}
_END_TAG_RE = re.compile(r"</\s*([^\s>]*)")
_ENTITY_RE = re.compile(r"&([^;\s]{0,40});?")


@dataclass
class _Frame:
    tag: str
    line: int
    column: int
    voicing: Voicing
    attrs: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    ph: str = ""


class _SsmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.builder = SegmentBuilder("ssml")
        self.stack: list[_Frame] = []
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self.reject_doctype
        self.parser.EntityDeclHandler = self.reject_doctype
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.characters

    # ---- helpers ----------------------------------------------------------------------
    def where(self) -> tuple[int, int]:
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    def error(self, message: str, line: int | None = None, column: int | None = None) -> ScriptError:
        if line is None or column is None:
            line, column = self.where()
        return ScriptError(message, line, column)

    def reject_doctype(self, *_: object) -> None:
        line, column = self.where()
        index = LineIndex(self.source)
        found = self.source.rfind("<!DOCTYPE", 0, index.offset(line, column) + 1)
        if found >= 0:
            line, column = index.position(found)
        raise ScriptError(
            "<!DOCTYPE> is not allowed in SSML scripts (a DOCTYPE can define entities that "
            "expand without limit); remove it", line, column,
        )

    # ---- handlers ---------------------------------------------------------------------
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line, column = self.where()
        parent = self.stack[-1] if self.stack else None
        if parent is None and tag != "speak":
            raise self.error(f"an SSML script must start with <speak>, not <{tag}>", line, column)
        if tag not in ELEMENTS:
            raise self.error(
                f"<{tag}> is not supported; use {', '.join('<' + e + '>' for e in ELEMENTS)}",
                line, column,
            )
        if parent is not None and tag == "speak":
            raise self.error("<speak> can only be the outermost element", line, column)
        if parent is not None and parent.tag in _TEXT_ONLY + ("break",):
            raise self.error(f"<{parent.tag}> may contain only text, not <{tag}>", line, column)
        for name in attrs:
            if name not in ELEMENTS[tag] and not (tag == "speak" and name.startswith("xmlns")):
                allowed = ", ".join(ELEMENTS[tag]) or "none"
                raise self.error(f"<{tag}> has no attribute {name!r} (allowed: {allowed})", line, column)
        voicing = parent.voicing if parent is not None else Voicing()
        frame = _Frame(tag, line, column, voicing, dict(attrs))
        try:
            getattr(self, "open_" + tag.replace("-", "_"), lambda f: None)(frame)
        except ValueError as error:
            raise self.error(str(error), line, column) from None
        self.stack.append(frame)

    def open_p(self, frame: _Frame) -> None:
        if any(f.tag in ("p", "s") for f in self.stack):
            raise ValueError("<p> cannot be inside <p> or <s>")
        self.builder.pause(PARAGRAPH_PAUSE)

    def open_s(self, frame: _Frame) -> None:
        if any(f.tag == "s" for f in self.stack):
            raise ValueError("<s> cannot be inside another <s>")
        self.builder.pause(SENTENCE_PAUSE)

    def open_break(self, frame: _Frame) -> None:
        if "time" in frame.attrs:
            seconds = parse_time(frame.attrs["time"])
        elif "strength" in frame.attrs:
            seconds = parse_strength(frame.attrs["strength"])
        else:
            seconds = BREAK_STRENGTHS["medium"]
        self.builder.explicit_pause(seconds)

    def open_prosody(self, frame: _Frame) -> None:
        for key in ("rate", "pitch", "volume"):
            if key in frame.attrs:
                frame.voicing = frame.voicing.compose(key, PARSERS[key](frame.attrs[key]))

    def open_voice(self, frame: _Frame) -> None:
        if not frame.attrs:
            raise ValueError('<voice> needs name="..." (or style="...")')
        for key in ("name", "style"):
            if key in frame.attrs:
                value = frame.attrs[key].strip()
                if not value:
                    raise ValueError(f"<voice {key}=\"\"> is empty: give a {'voice' if key == 'name' else 'style'} name")
                frame.voicing = frame.voicing.override("voice" if key == "name" else "style", value)

    def open_emphasis(self, frame: _Frame) -> None:
        level = frame.attrs.get("level", "moderate").strip().lower()
        if level not in EMPHASIS_LEVELS:
            raise ValueError(f"<emphasis level={level!r}> is not one of {', '.join(EMPHASIS_LEVELS)}")
        if EMPHASIS_LEVELS[level]:
            frame.voicing = frame.voicing.compose("volume", EMPHASIS_LEVELS[level])

    def open_say_as(self, frame: _Frame) -> None:
        if "interpret-as" not in frame.attrs:
            raise ValueError('<say-as> needs interpret-as="..." (characters, cardinal, ordinal, digits or date)')

    def open_phoneme(self, frame: _Frame) -> None:
        alphabet = frame.attrs.get("alphabet", "ipa").strip().lower()
        if alphabet != "ipa":
            raise ValueError(f'<phoneme alphabet="{alphabet}"> is not supported: write the pronunciation in IPA (alphabet="ipa")')
        if "ph" not in frame.attrs:
            raise ValueError('<phoneme> needs ph="..." with the IPA to speak')
        frame.ph = clean_ipa(frame.attrs["ph"])

    def open_sub(self, frame: _Frame) -> None:
        if not frame.attrs.get("alias", "").strip():
            raise ValueError('<sub> needs a non-empty alias="..." (the words to speak)')

    def end(self, tag: str) -> None:
        frame = self.stack.pop()
        builder = self.builder
        where = (frame.line, frame.column)
        if tag == "p":
            builder.pause(PARAGRAPH_PAUSE)
        elif tag == "s":
            builder.pause(SENTENCE_PAUSE)
        elif tag == "say-as":
            try:
                words = say_as(frame.attrs["interpret-as"], "".join(frame.text), frame.attrs.get("format"))
            except ValueError as error:
                raise self.error(str(error), *where) from None
            builder.text(words, frame.voicing, *where)
        elif tag == "sub":
            builder.text(frame.attrs["alias"], frame.voicing, *where)
        elif tag == "phoneme":
            builder.phonemes(frame.ph, "".join(frame.text), frame.voicing, *where)

    def characters(self, data: str) -> None:
        if not self.stack:
            return
        top = self.stack[-1]
        if top.tag in _TEXT_ONLY:
            top.text.append(data)
            return
        if top.tag == "break":
            if data.strip():
                raise self.error("<break> must be empty: write <break/> and put the text after it")
            return
        line, column = self.where()
        if data[:1].isspace():
            body = data.lstrip()
            lead = data[: len(data) - len(body)]
            if body and "\n" in lead:
                line += lead.count("\n")
                column = len(lead) - lead.rfind("\n")
            elif body:
                column += len(lead)
        self.builder.text(data, top.voicing, line, column)

    # ---- run --------------------------------------------------------------------------
    def parse(self) -> Script:
        try:
            self.parser.Parse(self.source, True)
        except expat.ExpatError as error:
            raise self.translate(error) from None
        return self.builder.finish()

    def translate(self, error: expat.ExpatError) -> ScriptError:
        """An expat error as a ScriptError with a plain-words message."""
        line, column = error.lineno, error.offset + 1
        reason = expat.errors.messages[error.code]
        lines = split_lines(self.source)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if error.code == _CODES["XML_ERROR_TAG_MISMATCH"] and self.stack:
            open_tag = self.stack[-1]
            start = text.rfind("</", 0, column)
            found = _END_TAG_RE.match(text, start) if start >= 0 else None
            if start >= 0:
                column = start + 1
            closing = f"</{found.group(1)}>" if found else "this closing tag"
            return ScriptError(
                f"{closing} does not close <{open_tag.tag}> (opened at line {open_tag.line}, "
                f"column {open_tag.column}): close </{open_tag.tag}> first", line, column,
            )
        if error.code == _CODES["XML_ERROR_NO_ELEMENTS"]:
            if self.stack:
                frame = self.stack[-1]
                return ScriptError(f"<{frame.tag}> has no closing tag (the script ends at line "
                                   f"{line}); add </{frame.tag}>", frame.line, frame.column)
            return ScriptError("no SSML element found: write the script inside <speak>...</speak>", line, column)
        if error.code == _CODES["XML_ERROR_UNDEFINED_ENTITY"]:
            found = _ENTITY_RE.match(text, column - 1)
            name = found.group(0) if found else "entity"
            return ScriptError(
                f"unknown entity {name}: SSML (XML) only knows &amp; &lt; &gt; &quot; &apos; and "
                "numeric references such as &#160;", line, column,
            )
        if error.code == _CODES["XML_ERROR_JUNK_AFTER_DOC_ELEMENT"]:
            return ScriptError("text or tags after </speak>: the whole script must be inside "
                               "<speak>...</speak>", line, column)
        if error.code == _CODES["XML_ERROR_SYNTAX"] and line == 1 and column == 1:
            return ScriptError("an SSML script must start with <speak>", line, column)
        if error.code == _CODES["XML_ERROR_UNCLOSED_TOKEN"]:
            return ScriptError("a tag or comment is not finished (missing '>'?) at the end of the "
                               "script", line, column)
        return ScriptError(f"malformed SSML: {reason} (check for an unescaped '<' or '&', "
                           "a missing quote or '>')", line, column)


def parse_ssml(text: str) -> Script:
    """Parse an SSML script (see module docstring); raises ``ScriptError`` with line/column."""
    return _SsmlParser(text).parse()
