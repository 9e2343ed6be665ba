"""Run work units over a process pool (``--jobs``) with a progress bar."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager

from tts_moe.corpus.plan import ClipJob
from tts_moe.corpus.render import UnitResult, init_worker, render_unit


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` worker processes (forked: the parent has not imported torch)."""
    context = multiprocessing.get_context("fork")
    executor = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context,
                                   initializer=init_worker)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def run_units(
    executor: ProcessPoolExecutor,
    units: list[list[ClipJob]],
    *,
    out_dir: str | None,
    data_root: str | None,
    on_result: Callable[[UnitResult], None],
    progress: bool | None = None,
    description: str = "rendering",
    in_flight: int = 4,
) -> None:
    """Render every unit; ``on_result`` runs in this process for each finished unit.

    At most ``in_flight`` units (twice the worker count is plenty) are submitted at a time,
    so an interrupted build loses little work.
    ``progress=None`` shows a tqdm bar only when stderr is a terminal.
    """
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    total = sum(len(unit) for unit in units)
    limit = max(1, in_flight)
    pending = set()
    queue = iter(units)
    with tqdm(total=total, disable=not show, unit="clip", desc=description, file=sys.stderr) as bar:
        while True:
            while len(pending) < limit:
                unit = next(queue, None)
                if unit is None:
                    break
                pending.add(executor.submit(render_unit, unit, out_dir, data_root))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                on_result(result)
                bar.update(len(result.records) + len(result.failures))
