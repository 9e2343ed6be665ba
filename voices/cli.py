"""``tts-moe voices list | show | enroll | revoke``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tts_moe.cli import add_command_group, print_result


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--voices-dir", metavar="DIR", help="cloned voice packs (default $TTS_MOE_VOICES or the "
                                                            "user's data folder)")
    parser.add_argument("--ledger", metavar="PATH", help="provenance ledger (default $TTS_MOE_LEDGER or the user's "
                                                         "data folder)")


def register(subparsers: argparse._SubParsersAction) -> None:
    commands = add_command_group(subparsers, "voices", help="list, inspect, clone (with consent) and revoke voices",
                                 description="The voices the acoustic model can speak, with their styles; cloned "
                                             "voices with their consent records.")
    listing = commands.add_parser("list", help="list every voice", description="List every voice.")
    listing.add_argument("--weights", metavar="PATH", help="acoustic model weights (default: shipped)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    _common(listing)
    listing.set_defaults(func=_list)
    show = commands.add_parser("show", help="details of one voice", description="Details of one voice.")
    show.add_argument("name", help="voice name, as in `tts-moe voices list`")
    show.add_argument("--weights", metavar="PATH", help="acoustic model weights (default: shipped)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    _common(show)
    show.set_defaults(func=_show)
    enroll = commands.add_parser(
        "enroll", help="clone a voice from reference audio, with a consent record",
        description="Adapt a new voice from 30 s to 5 min of the speaker's speech (files of at most 30 s, each "
                    "with its transcript in FILE.txt or --transcripts; a file without one is transcribed by "
                    "pocketsphinx, which may mishear words) with the acoustic model frozen. A valid "
                    "consent record is mandatory (docs/voices.md: speaker_name, consenting_person, date, purposes, "
                    "expiry, evidence file + sha256); it is stored in the ledger and every clip of the voice "
                    "carries its consent id.")
    enroll.add_argument("name", help="the new voice's name (lower case, digits, . _ -)")
    enroll.add_argument("--audio", nargs="+", required=True, type=Path, metavar="FILE", help="reference audio files")
    enroll.add_argument("--consent", required=True, metavar="CONSENT.json", help="the consent record")
    enroll.add_argument("--transcripts", type=Path, metavar="FILE", help="one transcript line per audio file")
    enroll.add_argument("--no-auto-transcribe", dest="auto_transcribe", action="store_false",
                        help="refuse audio without a transcript instead of transcribing it with pocketsphinx")
    enroll.add_argument("--speaker", help="the speaker's name as in the consent record (default: the voice name "
                                          "must spell it)")
    enroll.add_argument("--steps", type=int, default=150, help="speaker-vector steps (default 150)")
    enroll.add_argument("--adapter-steps", type=int, default=150,
                        help="decoder-adapter steps after the speaker vector (default 150)")
    enroll.add_argument("--adapter-rank", type=int, default=4, help="the adapter's rank (default 4)")
    enroll.add_argument("--no-adapter", dest="adapter", action="store_false",
                        help="the speaker vector alone (faster enrollment, a weaker likeness: see docs/voices.md)")
    enroll.add_argument("--json", action="store_true", help="machine-readable output")
    _common(enroll)
    enroll.set_defaults(func=_enroll)
    revoke = commands.add_parser("revoke", help="revoke a cloned voice: no further synthesis with it",
                                 description="Revoke the voice's consent in the ledger. The voice pack and the "
                                             "ledger history stay; synthesis with the voice is refused from now on.")
    revoke.add_argument("name", help="the cloned voice")
    revoke.add_argument("--reason", help="why (kept in the ledger)")
    revoke.add_argument("--json", action="store_true", help="machine-readable output")
    _common(revoke)
    revoke.set_defaults(func=_revoke)


def _list(args: argparse.Namespace) -> int:
    from voices.registry import list_voices

    voices = list_voices(args.weights, voices_dir=args.voices_dir, ledger_path=args.ledger)

    def describe(_: list) -> str:
        width = max(len(v.name) for v in voices)
        return "\n".join(
            f"{v.name:<{width}}  {v.kind:<8} {v.language:<6} {', '.join(v.styles)}"
            + (f"  [{v.status}, consent {v.consent_id}]" if v.kind == "cloned" else "") for v in voices)

    return print_result([v.to_dict() for v in voices], args.json, describe)


def _show(args: argparse.Namespace) -> int:
    from voices.registry import get_voice, list_voices

    voice = next((v for v in list_voices(args.weights, voices_dir=args.voices_dir, ledger_path=args.ledger)
                  if v.name == args.name), None) or get_voice(args.name, args.weights)
    return print_result(voice.to_dict(), args.json, lambda data: "\n".join(
        f"{key}: {', '.join(value) if isinstance(value, list) else value}" for key, value in data.items()))


def _enroll(args: argparse.Namespace) -> int:
    import sys

    from tts_moe.errors import InputError
    from voices.adapter import AdapterConfig
    from voices.enroll import enroll_voice
    from voices.pack import automatic_transcripts

    transcripts = None
    if args.transcripts:
        try:
            transcripts = [line for line in args.transcripts.read_text(encoding="utf-8").splitlines() if line.strip()]
        except OSError as error:
            raise InputError(f"cannot read --transcripts {args.transcripts}: {error}") from None
    checked = [("--steps", args.steps)]
    if args.adapter:
        checked += [("--adapter-steps", args.adapter_steps), ("--adapter-rank", args.adapter_rank)]
    for flag, value in checked:
        if value < 1:
            raise InputError(f"{flag} must be at least 1, got {value}")
    adapter = AdapterConfig(rank=args.adapter_rank, steps=args.adapter_steps) if args.adapter else None
    total = args.steps + (args.adapter_steps if args.adapter else 0)

    def progress(step: int, loss: float) -> None:
        if not args.json and (step + 1) % 25 == 0:
            stage = "speaker vector" if step < args.steps else "adapter"
            print(f"step {step + 1}/{total} ({stage}): mel L1 {loss:.3f}", file=sys.stderr, flush=True)

    voice = enroll_voice(args.name, args.audio, args.consent, transcripts=transcripts, speaker=args.speaker,
                         voices_dir=args.voices_dir, ledger_path=args.ledger, steps=args.steps, adapter=adapter,
                         progress=progress,
                         auto_transcribe=args.auto_transcribe)
    automatic = automatic_transcripts(voice.name, args.voices_dir)
    if automatic:
        print(f"warning: {len(automatic)} transcript(s) were made by automatic speech recognition and may contain "
              "errors that weaken the clone (listed in voice.json, auto_transcripts); to correct one, put the right "
              "text in FILE.txt beside the audio file and enroll again under a new name:", file=sys.stderr)
        for entry in automatic:
            print(f"  {entry['file']}: {entry['text']}", file=sys.stderr)
    return print_result({**voice.to_dict(), "auto_transcripts": automatic}, args.json, lambda _: (
        f"enrolled {voice.name} (consent {voice.consent_id}); use it with `tts-moe synth --voice {voice.name}`"))


def _revoke(args: argparse.Namespace) -> int:
    from voices.registry import revoke_voice

    status = revoke_voice(args.name, args.reason, ledger_path=args.ledger, voices_dir=args.voices_dir)
    report = {"voice": args.name, "consent_id": status["consent_id"], "revoked_at": status["revoked_at"]}
    return print_result(report, args.json, lambda r: f"revoked {r['voice']} (consent {r['consent_id']}) at {r['revoked_at']}")
