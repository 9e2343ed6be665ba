"""``tts-moe voices list | show``."""

from __future__ import annotations

import argparse
import json

from tts_moe.cli import add_command_group


def register(subparsers: argparse._SubParsersAction) -> None:
    commands = add_command_group(subparsers, "voices", help="list and inspect voices",
                                 description="The voices the acoustic model can speak, with their styles.")
    listing = commands.add_parser("list", help="list every voice", description="List every voice.")
    listing.add_argument("--weights", metavar="PATH", help="acoustic model weights (default: shipped)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)
    show = commands.add_parser("show", help="details of one voice", description="Details of one voice.")
    show.add_argument("name", help="voice name, as in `tts-moe voices list`")
    show.add_argument("--weights", metavar="PATH", help="acoustic model weights (default: shipped)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)


def _list(args: argparse.Namespace) -> int:
    from voices.registry import list_voices

    voices = list_voices(args.weights)
    if args.json:
        print(json.dumps([v.to_dict() for v in voices], indent=2))
        return 0
    width = max(len(v.name) for v in voices)
    for voice in voices:
        print(f"{voice.name:<{width}}  {voice.kind:<8} {voice.language:<6} {', '.join(voice.styles)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from voices.registry import get_voice

    voice = get_voice(args.name, args.weights)
    if args.json:
        print(json.dumps(voice.to_dict(), indent=2))
    else:
        for key, value in voice.to_dict().items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    return 0
