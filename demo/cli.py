"""``tts-moe demo``: the web demo (gradio) on this machine."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tts_moe.errors import MissingDependencyError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="start the web demo (synthesise, verify, voices) in a browser",
        description="Serve the gradio demo: synthesise with voice styles, sliders and a per-phoneme expert "
                    "routing heatmap; verify clips against the watermark and the ledger; list, enroll and "
                    "revoke voices. Every clip is watermarked and logged, exactly as with `tts-moe synth`.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: the first free one from 7860)")
    parser.add_argument("--ledger", metavar="PATH", help="provenance ledger (default $TTS_MOE_LEDGER or the user's "
                                                         "data folder)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR", help="where clips made in the page are kept "
                                                                       "(default: a temporary folder)")
    parser.add_argument("--acoustic", metavar="PATH", help="acoustic weights (default: shipped)")
    parser.add_argument("--vocoder", metavar="PATH",
                        help="vocoder weights (default: the shipped set tuned for the acoustic weights, else the "
                             "general one)")
    parser.add_argument("--watermark", metavar="PATH", help="watermark weights (default: shipped)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MissingDependencyError("the demo needs gradio: .venv/bin/pip install -e '.[demo]'") from None
    from demo.app import launch
    from demo.service import DemoService

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    service = DemoService(ledger_path=args.ledger or os.environ.get("TTS_MOE_LEDGER"), output_dir=args.output_dir,
                          acoustic=args.acoustic, vocoder=args.vocoder, watermark=args.watermark)
    service.voices()  # load the models before the page opens: a missing model fails here, clearly
    print(f"tts-moe demo on http://{args.host}:{args.port or 7860}/ (Ctrl-C stops it)", flush=True)
    launch(service, host=args.host, port=args.port)
    return 0
