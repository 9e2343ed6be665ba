#!/usr/bin/env bash
# Quick-start command 1: set up, then turn a long-form script into a watermarked,
# ledger-logged audio file with the shipped default voices.
#   bash scripts/synth.sh [SCRIPT] [OUT] [extra tts-moe synth flags...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
SCRIPT="${1:-examples/long_script.txt}"
OUT="${2:-out/long_script.wav}"
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$(dirname "$OUT")"
exec .venv/bin/tts-moe synth "$SCRIPT" -o "$OUT" "$@"
