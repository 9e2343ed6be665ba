"""``tts-moe verify FILE_OR_DIR...``: watermark detection and ledger match for every clip."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from watermark.ledger.paths import ENV_VAR
from watermark.verify import (
    ClipRecord,
    ClipReport,
    LedgerMatch,
    VerifyReport,
    detection_lines,
)

_EPILOG = """\
status of a clip:
  verified   watermark detected and the clip found in the ledger
             (byte-identical file, or by its payload)
  unmatched  watermark detected, but no ledger clip carries its payload
  unmarked   no watermark detected (silent files included)
  error      missing, unreadable, corrupt or too short (< 20 ms) file;
             reported, the other files are still verified

exit status:
  0  every clip verified
  1  some clip unmarked, unmatched or an error
  2  no audio file found, every file an error, bad option, or a ledger
     given with --ledger / $TTS_MOE_LEDGER that is missing or damaged
  4  no watermark weights (none ship yet: pass --weights)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the top-level ``verify`` command."""
    parser = subparsers.add_parser(
        "verify", help="check clips for the watermark and find them in the provenance ledger",
        description="For each audio file (folders are searched recursively for wav, flac, ogg,\n"
                    "mp3 and the other formats soundfile reads; any sample rate, stereo mixed\n"
                    "down): whether the watermark is there, its probability, marked segments\n"
                    "and decoded payload, and the ledger clip(s) it belongs to (voice, consent,\n"
                    "time). The file's SHA-256 pins a byte-identical logged clip.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", type=Path,
                        help="audio files and/or folders")
    parser.add_argument("--ledger", metavar="PATH",
                        help=f"ledger file (default: ${ENV_VAR}, else $XDG_DATA_HOME/tts-moe/"
                             "ledger.sqlite3 or ~/.local/share/tts-moe/ledger.sqlite3; a missing "
                             "default ledger means detection only)")
    parser.add_argument("--threshold", type=float,
                        help="detection threshold in (0, 1) (default: the model card's)")
    parser.add_argument("--weights", metavar="PATH",
                        help="watermark folder or .safetensors (default: the shipped weights)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON document: per-clip results and a summary")
    parser.set_defaults(func=_verify)


def load_watermarker(weights: str | None):
    """The detector to use (tests replace this function)."""
    from watermark.watermarker import Watermarker

    return Watermarker.from_pretrained(weights)


def _verify(args: argparse.Namespace) -> int:
    from watermark.verify import (
        check_threshold,
        find_audio_files,
        open_ledger,
        verify_paths,
    )

    check_threshold(args.threshold)
    find_audio_files(args.paths)  # fail fast (exit 2) before loading anything
    with open_ledger(args.ledger) as ledger:
        marker = load_watermarker(args.weights)
        progress = None if args.json else (lambda clip: print("\n".join(clip_lines(clip)),
                                                              flush=True))
        report = verify_paths(args.paths, marker, ledger, threshold=args.threshold,
                              progress=progress)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(summary_line(report))
    return report.exit_code


# ------------------------------------------------------------------------------ text output
def summary_line(report: VerifyReport) -> str:
    counts = report.counts()
    parts = ", ".join(f"{'errors' if k == 'error' else k} {counts[k]}"
                      for k in ("verified", "unmatched", "unmarked", "error"))
    where = f"ledger {report.ledger_path}" if report.ledger_path else "no ledger"
    return f"{len(report.clips)} file(s): {parts} ({where}); exit status {report.exit_code}"


def clip_lines(clip: ClipReport) -> list[str]:
    """One block of plain text about one clip (ends with an empty line)."""
    if clip.status == "error":
        return [f"{clip.path}: ERROR", f"  {clip.error}", ""]
    headline = {"verified": "VERIFIED: watermarked and found in the ledger",
                "unmatched": "UNMATCHED: watermarked, but not found in the ledger",
                "unmarked": "UNMARKED: no watermark found"}[clip.status]
    lines = [f"{clip.path}: {headline}"]
    found = clip.detection
    if clip.silent:
        lines.append(f"  the audio is silent ({clip.duration_s:.2f} s): nothing to detect")
    else:
        lines += [f"  {line}" for line in detection_lines(found)]
        if found.payload is not None:
            lines.append(f"  bits {format(found.payload, f'0{len(found.bit_confidence)}b')}, "
                         f"lowest bit confidence {min(found.bit_confidence):.2f}; per bit: "
                         + " ".join(f"{c:.2f}" for c in found.bit_confidence))
    lines += [f"  {line}" for line in ledger_lines(clip.ledger, found.detected)]
    lines += [f"  warning: {warning}" for warning in clip.warnings]
    lines.append(f"  sha256 {clip.audio_sha256}")
    return lines + [""]


def ledger_lines(match: LedgerMatch, detected: bool) -> list[str]:
    if match.match == "no-ledger":
        return ["ledger: not checked (no ledger)"]
    if match.match == "none":
        return [f"ledger: no clip carries payload {match.payload}" if match.payload is not None
                else "ledger: no logged clip is byte-identical to this file"]
    if match.match == "exact":
        head = "ledger: exact match, the file is byte-identical to a logged clip"
        if detected and match.bit_errors:
            head += (f"; the decoded payload differs from the recorded one in {match.bit_errors}"
                     " bit(s)")
        elif detected:
            head += "; the decoded payload agrees"
    else:
        head = (f"ledger: matched by payload only (not byte-identical: evidence, not proof); "
                f"{match.candidate_count} clip(s) carry payload {match.payload}")
        if match.candidate_count > len(match.records):
            head += f", the {len(match.records)} closest in duration listed"
    return [head, *(line for record in match.records for line in record_lines(record))]


def record_lines(record: ClipRecord) -> list[str]:
    voice = ", ".join(x for x in (record.voice_kind, record.voice_name) if x)
    lines = [f"  clip {record.clip_id}, made {record.created_at}, voice {record.voice_id}"
             + (f" ({voice})" if voice else "") + f", {record.duration_s:.2f} s, payload "
             f"{record.payload}, toolkit {record.toolkit_version}"]
    if not record.consents:
        lines.append("    no consent record (not a cloned voice)")
    for consent in record.consents:
        if consent["valid"]:
            state = "valid" + (f" until {consent['expires_at']}" if consent["expires_at"] else "")
        elif consent["invalid_reason"] == "revoked":
            state = f"REVOKED at {consent['revoked_at']}"
        elif consent["invalid_reason"] == "expired":
            state = f"EXPIRED at {consent['expires_at']}"
        else:
            state = str(consent["invalid_reason"]).upper()
        lines.append(f"    consent {consent['consent_id']} ({consent['subject']}, voice "
                     f"{consent['voice_id']}): {state}")
    for chunk in record.chunks:
        lines.append(f"    chunk {chunk['idx']}: {chunk['start_s']:.2f}-{chunk['end_s']:.2f} s, "
                     f"voice {chunk['voice_id']}")
    if record.path:
        lines.append(f"    written to {record.path}")
    return lines
