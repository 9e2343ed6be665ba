#!/usr/bin/env bash
# Idempotent set-up for a fresh checkout: Debian packages (when root), .venv/, pip packages.
# Sourced by scripts/synth.sh and scripts/test.sh; safe to run on its own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian packages: the teacher synthesizers (corpus), audio tools, libespeak-ng (phonemizer),
# chromium (the demo's browser tests, driven by Playwright without a browser download).
DEBIAN_PACKAGES=(espeak-ng libespeak-ng1 flite festival festvox-kallpc16k festvox-kdlpc16k
                 festvox-us-slt-hts htsengine sox ffmpeg libsndfile1 chromium)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: WARNING: missing Debian packages: ${missing[*]}" >&2
    echo "setup:          install them as root: sudo apt-get install ${missing[*]}" >&2
    echo "setup:          (text front end needs espeak-ng; corpus building needs all teachers;" >&2
    echo "setup:           the demo's browser tests need chromium and skip without it)" >&2
  fi
fi

# Python virtual environment at .venv/ with the project installed (editable) + dev extras.
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.tts-moe-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing Python packages into .venv (torch is large: the first run takes minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip || true
  .venv/bin/python -m pip install --quiet -e ".[dev,bench,demo]" \
    || { echo "setup: ERROR: pip could not install the project (see its output above)" >&2; exit 3; }
  .venv/bin/python -c "import tts_moe, torch, torchaudio, pocketsphinx, gradio, playwright" \
    || { echo "setup: ERROR: the Python install failed (see pip's output above)" >&2; exit 3; }
  echo "$want" > "$stamp"
fi
