"""Several processes writing at once: nothing lost, the chain stays intact."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

import tts_moe.audio  # noqa: F401  (imported before forking so children do not re-import it)
from watermark.ledger.pending import check_files
from watermark.ledger.store import Ledger

WRITERS = 3
CLIPS_EACH = 25


def writer(path: str, folder: str, worker: int, files: bool) -> None:
    audio = (0.2 * np.sin(np.arange(320) / (3.0 + worker))).astype(np.float32)
    with Ledger(path) as ledger:
        ledger.ensure_voice("shared", "builtin")  # all race to register the same voice
        for index in range(CLIPS_EACH):
            if files and index % 2 == 0:
                target = Path(folder) / f"w{worker}_{index}.wav"
                with ledger.record_clip(target, text=f"{worker}/{index}", voice_id="shared") as p:
                    p.write(audio * (1 + index / 100))
            else:
                ledger.add_clip(audio_sha256=f"{worker:032x}{index:032x}", duration_s=0.5,
                                voice_id="shared", payload=ledger.allocate_payload(),
                                text=f"{worker}/{index}")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "ledger.sqlite3"  # not created yet: the writers also race to create it
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=writer, args=(str(path), str(tmp_path), n, True))
               for n in range(WRITERS)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0] * WRITERS
    with Ledger(path, read_only=True) as ledger:
        report = ledger.check()
        info = ledger.info()
        files = check_files(ledger)
        payloads = [row["payload"] for row in ledger.last_clips(WRITERS * CLIPS_EACH)]
    assert report.intact, report.problems
    assert info["counts"]["clips"] == WRITERS * CLIPS_EACH
    assert info["counts"]["voices"] == 1 and info["counts"]["pending_writes"] == 0
    assert report.rows == WRITERS * CLIPS_EACH + 1
    assert files["ok"] == WRITERS * ((CLIPS_EACH + 1) // 2) and not files["modified"]
    assert len(set(payloads)) == len(payloads)  # fewer clips than 65534: no collisions
    assert not list(tmp_path.glob(".*"))  # no staging or partial files left behind
