"""``tts-moe train acoustic | vocoder | watermark``: one entry point for every training loop
(the vocoder and watermark loops are also reachable as ``tts-moe vocoder train`` and
``tts-moe watermark train``)."""

from __future__ import annotations

import argparse

from tts_moe.cli import add_command_group


def register(subparsers: argparse._SubParsersAction) -> None:
    from tts_moe.acoustic import cli as acoustic_cli
    from vocoder import cli as vocoder_cli
    from watermark import cli as watermark_cli

    commands = add_command_group(
        subparsers, "train", help="train a model (acoustic, vocoder or watermark) on a corpus folder",
        description="Training entry points. Every run is seeded, logged to RUN_DIR/log.jsonl and "
                    "resumable with --resume; export the result with `tts-moe MODEL export`.")
    acoustic_cli.add_train_parser(commands, "acoustic")
    vocoder_cli.add_train_parser(commands, "vocoder")
    watermark_cli.add_train_parser(commands, "watermark")
