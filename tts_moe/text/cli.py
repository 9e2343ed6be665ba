"""``tts-moe text normalize|split|phonemize``: the text front end on the command line."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from tts_moe.cli import add_command_group
from tts_moe.errors import InputError, TextError
from tts_moe.text.errors import TextWarning
from tts_moe.text.phonemize import DEFAULT_LANGUAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``text`` command with its ``normalize``, ``split`` and ``phonemize`` actions."""
    actions = add_command_group(
        subparsers, "text",
        help="normalise, split or phonemise English text",
        description="Run the text front end: normalise written English into words, split it "
        "into sentences, or turn it into IPA phonemes (espeak-ng).",
    )
    helps = {
        "normalize": "print the text as speakable words (numbers, dates, abbreviations expanded)",
        "split": "print one sentence (or clause) per line",
        "phonemize": "print IPA phonemes per sentence, with symbol ids in --json mode",
    }
    for name, help_text in helps.items():
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("text", nargs="?", metavar="TEXT", help="text to process (default: read --file or stdin)")
        p.add_argument("--file", "-f", metavar="F", help="read the text from file F ('-' for stdin)")
        p.add_argument("--language", "-l", default=DEFAULT_LANGUAGE, metavar="L",
                       help=f"espeak-ng language code (default {DEFAULT_LANGUAGE}; e.g. en-gb-x-rp, en-029)")
        p.add_argument("--lexicon", metavar="FILE", help="TSV lexicon word<TAB>ipa overriding espeak-ng")
        p.add_argument("--max-phonemes", type=int, default=400, metavar="N",
                       help="split sentences longer than about N phonemes (default 400)")
        p.add_argument("--json", action="store_true", help="print machine-readable JSON")
        p.set_defaults(func=_handler(name))


def _read_input(args: argparse.Namespace) -> str:
    if args.text is not None and args.file:
        raise InputError("give either TEXT or --file, not both")
    if args.text is not None:
        return args.text
    if args.file and args.file != "-":
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise InputError(f"input file {args.file!r} does not exist") from None
        except UnicodeDecodeError:
            raise InputError(f"input file {args.file!r} is not UTF-8 text") from None
        except OSError as error:
            raise InputError(f"cannot read {args.file!r}: {error.strerror}") from None
    if sys.stdin is None or (not args.file and sys.stdin.isatty()):
        raise InputError("no text: give TEXT, --file F, or pipe text on stdin")
    return sys.stdin.read()


def _handler(action: str):
    def run(args: argparse.Namespace) -> int:
        text = _read_input(args)
        caught: list[str] = []
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always", TextWarning)
            result = _run(action, text, args)
            caught = [str(r.message) for r in records if issubclass(r.category, TextWarning)]
        for message in caught:
            print(f"tts-moe text {action}: warning: {message}", file=sys.stderr)
        if args.json:
            print(json.dumps({"action": action, "language": args.language, "warnings": caught, **result},
                             ensure_ascii=False, indent=2))
        else:
            for line in result["lines"]:
                print(line)
        return 0

    return run


def _run(action: str, text: str, args: argparse.Namespace) -> dict:
    from tts_moe.text.frontend import TextFrontend
    from tts_moe.text.normalize import normalize_text
    from tts_moe.text.split import split_sentences

    if action == "normalize":
        normalized = normalize_text(text)
        return {"normalized": normalized, "lines": [normalized]}
    if action == "split":
        sentences = split_sentences(text, max_chars=args.max_phonemes)
        return {"sentences": sentences, "lines": sentences}
    frontend = TextFrontend(args.language, lexicon=args.lexicon, max_phonemes=args.max_phonemes)
    utterances = frontend.prepare(text)
    if not utterances:
        raise TextError("nothing to phonemise")
    return {
        "symbol_table": frontend.symbols.version,
        "utterances": [
            {"text": u.text, "normalized": u.normalized, "phonemes": u.phonemes, "ids": u.ids}
            for u in utterances
        ],
        "lines": [u.phonemes for u in utterances],
    }
