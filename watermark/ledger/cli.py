"""``tts-moe ledger init | check | show | export | lookup | recover``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tts_moe.cli import add_command_group
from tts_moe.errors import InputError, OutputError, TTSMoeError
from watermark.ledger.paths import ENV_VAR

_LEDGER_HELP = (f"ledger file (default: ${ENV_VAR}, else $XDG_DATA_HOME/tts-moe/ledger.sqlite3 "
                "or ~/.local/share/tts-moe/ledger.sqlite3)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ledger`` command group."""
    commands = add_command_group(
        subparsers, "ledger",
        help="inspect and verify the provenance ledger of generated clips",
        description="The provenance ledger: an append-only, hash-chained SQLite file with the "
                    "voices, consent records and one row per generated clip (audio SHA-256, "
                    "watermark payload, model versions).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ledger", metavar="PATH", help=_LEDGER_HELP)

    init = commands.add_parser(
        "init", parents=[common], help="create the ledger (or migrate it to this version)",
        description="Create an empty ledger, or bring an older one to the current schema.")
    init.add_argument("--json", action="store_true", help="print the ledger's summary as JSON")
    init.set_defaults(func=_init)

    check = commands.add_parser(
        "check", parents=[common], help="verify the hash chain (exit 0 intact, 1 tampered, 2 error)",
        description="Recompute every row hash and link; report edited, deleted, inserted or "
                    "reordered rows. Exit 0 when intact, 1 when tampering is found (or, with "
                    "--files, a clip file was modified), 2 on error.")
    check.add_argument("--files", action="store_true",
                       help="also hash every recorded clip file and list unfinished writes")
    check.add_argument("--export", metavar="FILE", type=Path,
                       help="verify a JSON Lines export instead of the ledger file")
    check.add_argument("--json", action="store_true", help="machine-readable report")
    check.set_defaults(func=_check)

    show = commands.add_parser(
        "show", parents=[common], help="print clip rows by id or the newest N",
        description="Print the ledger rows of one clip (with chunks and consent status) or "
                    "of the newest N clips.")
    target = show.add_mutually_exclusive_group(required=True)
    target.add_argument("clip_id", nargs="?", metavar="CLIP_ID", help="a clip id")
    target.add_argument("--last", type=int, metavar="N", help="the N newest clips")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_show)

    export = commands.add_parser(
        "export", parents=[common], help="write every row as JSON Lines",
        description="Export the whole chain (header line + one line per row, seq order); "
                    "`tts-moe ledger check --export FILE` verifies it without the ledger.")
    export.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="output file (written atomically; default: standard output)")
    export.set_defaults(func=_export)

    lookup = commands.add_parser(
        "lookup", parents=[common], help="map a detected 16-bit payload to clips",
        description="List every clip carrying PAYLOAD; with the file's SHA-256 (or the file), "
                    "pin the exact clip. Exit 0 when something matched, 1 when nothing did.")
    lookup.add_argument("payload", metavar="PAYLOAD", help="payload, decimal or 0x hex")
    source = lookup.add_mutually_exclusive_group()
    source.add_argument("--sha256", metavar="HEX", help="SHA-256 of the audio file")
    source.add_argument("--audio", metavar="FILE", type=Path, help="the audio file (hashed)")
    lookup.add_argument("--duration", type=float, metavar="SECONDS",
                        help="rank candidates by closeness to this duration")
    lookup.add_argument("--json", action="store_true", help="print JSON")
    lookup.set_defaults(func=_lookup)

    recover = commands.add_parser(
        "recover", parents=[common], help="finish or undo clip writes interrupted by a crash",
        description="Resolve pending writes whose process is gone: files never published are "
                    "removed; a published file whose commit was lost gets its row recorded "
                    "(or, with --discard, is deleted).")
    recover.add_argument("--force", action="store_true",
                         help="also resolve entries whose process still seems to run")
    recover.add_argument("--discard", action="store_true",
                         help="delete published-but-unrecorded files instead of recording them")
    recover.add_argument("--json", action="store_true", help="print JSON")
    recover.set_defaults(func=_recover)


def _open(args: argparse.Namespace, *, read_only: bool = True):
    from watermark.ledger.store import Ledger

    return Ledger(args.ledger, read_only=read_only)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _init(args: argparse.Namespace) -> int:
    with _open(args, read_only=False) as ledger:
        info = ledger.info()
    if args.json:
        _print_json(info)
    else:
        print(f"ledger {info['path']}: schema v{info['schema_version']}, "
              f"{info['counts']['clips']} clips, head seq {info['head_seq']}")
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        report, files = _run_check(args)
    except TTSMoeError as error:
        print(f"tts-moe ledger check: error: {error}", file=sys.stderr)
        return 2
    tampered = not report.intact or bool(files and files["modified"])
    if args.json:
        _print_json({**report.to_dict(), **({"files": files} if files else {})})
    else:
        print(f"{report.rows} rows, head seq {report.head_seq}, head hash {report.head_hash}")
        for problem in report.problems:
            where = " ".join(f"{key}={problem[key]}" for key in ("seq", "table", "id")
                             if problem.get(key) is not None)
            print(f"TAMPERED [{problem['kind']}] {where}: {problem['detail']}")
        for warning in report.warnings:
            print(f"warning: {warning}")
        if files:
            print(f"files: {files['ok']} ok, {len(files['modified'])} modified, "
                  f"{len(files['missing'])} missing, {len(files['pending'])} pending writes")
            for item in files["modified"]:
                print(f"MODIFIED {item['path']} (clip {item['clip_id']})")
            for item in files["missing"]:
                print(f"missing {item['path']} (clip {item['clip_id']})")
            for item in files["pending"]:
                print(f"pending {item['target']} (stage {item['stage']}, pid {item['pid']}): "
                      "run `tts-moe ledger recover` if that process is gone")
        print("intact" if not tampered else "TAMPERING FOUND")
    return 1 if tampered else 0


def _run_check(args: argparse.Namespace):
    if args.export is not None:
        from watermark.ledger.export import verify_export

        try:
            with open(args.export, encoding="utf-8") as handle:
                return verify_export(handle), None
        except OSError as error:
            raise InputError(f"cannot read {args.export}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise InputError(f"{args.export} is not a UTF-8 JSON Lines export") from None
    from watermark.ledger.pending import check_files

    with _open(args) as ledger:
        return ledger.check(), (check_files(ledger) if args.files else None)


def _show(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        if args.clip_id:
            clip = ledger.clip(args.clip_id)
            if clip is None:
                raise InputError(f"no clip {args.clip_id!r} in the ledger {ledger.path}")
            clips = [clip]
        else:
            if args.last < 1:
                raise InputError("--last needs a positive number")
            clips = ledger.last_clips(args.last)
        for clip in clips:
            if clip["consent_id"]:
                status = ledger.consent_status(clip["consent_id"])
                clip["consent_now"] = {key: status[key] for key in
                                       ("subject", "valid", "invalid_reason", "expires_at",
                                        "revoked_at")}
    if args.json:
        _print_json(clips if args.clip_id is None else clips[0])
        return 0
    for clip in clips:
        print(f"clip {clip['clip_id']} (seq {clip['seq']}) {clip['created_at']}")
        for key in ("voice_id", "consent_id", "payload", "duration_s", "audio_sha256",
                    "text_sha256", "text", "style", "model_versions", "toolkit_version",
                    "path", "consent_now"):
            if clip.get(key) is not None:
                print(f"  {key}: {clip[key]}")
        for chunk in clip["chunks"]:
            print(f"  chunk {chunk['idx']}: {chunk['start_s']:.2f}-{chunk['end_s']:.2f} s "
                  f"voice {chunk['voice_id']} style {chunk['style']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from watermark.ledger.export import export_jsonl

    with _open(args) as ledger:
        if args.output is None:
            export_jsonl(ledger, sys.stdout)
            return 0
        _export_to_file(ledger, args.output, export_jsonl)
    return 0


def _export_to_file(ledger, output: Path, export_jsonl) -> None:
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder does not exist: {folder}")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".partial", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            export_jsonl(ledger, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, output)
    except OSError as error:
        if "temp" in locals():
            Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {output}: {error.strerror or error}") from None


def _lookup(args: argparse.Namespace) -> int:
    from watermark.ledger.store import sha256_file

    try:
        payload = int(args.payload, 0)
    except ValueError:
        raise InputError(f"payload {args.payload!r} is not an integer (decimal or 0x hex)") from None
    digest = sha256_file(args.audio) if args.audio else args.sha256
    with _open(args) as ledger:
        result = ledger.lookup(payload, digest, args.duration)
    if args.json:
        _print_json(result.to_dict())
    elif result.match == "exact":
        print(f"exact: clip {result.clip['clip_id']} (voice {result.clip['voice_id']}, consent "
              f"{result.clip['consent_id']}, payload agrees: {result.payload_agrees})")
    elif result.match == "payload-only":
        print(f"payload-only: {result.candidate_count} candidate clip(s) carry payload {payload}")
        for clip in result.candidates:
            print(f"  {clip['clip_id']} {clip['created_at']} voice {clip['voice_id']} "
                  f"{clip['duration_s']:.2f} s")
    else:
        print(f"none: no clip in this ledger carries payload {payload}")
    return 0 if result.match != "none" else 1


def _recover(args: argparse.Namespace) -> int:
    from watermark.ledger.pending import recover

    with _open(args, read_only=False) as ledger:
        actions = recover(ledger, force=args.force, discard=args.discard)
    if args.json:
        _print_json(actions)
    else:
        for action in actions:
            print(f"{action['action']}: {action['target']} ({action['detail']})")
        if not actions:
            print("no pending writes")
    return 0
