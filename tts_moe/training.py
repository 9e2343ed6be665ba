"""The loop every training run shares (acoustic, vocoder, watermark): step until ``steps``
or ``max_minutes``, log windowed means to ``RUN_DIR/log.jsonl`` and the console, validate
and checkpoint every ``checkpoint_minutes``, and checkpoint on Ctrl-C before re-raising.

The model-specific parts come in as callables: ``step()`` does one update and returns its
figures (numbers are averaged over the log window; strings are logged as ``last_NAME``),
``step_index()`` the number of updates done, ``validate()`` held-out figures, and
``save(state)`` writes the checkpoint (``tts_moe.checkpoint.save_checkpoint``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from tts_moe.errors import OutputError


def append_log(run: Path, record: dict) -> None:
    """Append one JSON line to ``run/log.jsonl``."""
    try:
        with (Path(run) / "log.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as error:
        raise OutputError(f"cannot append to {Path(run) / 'log.jsonl'}: {error}") from None


def training_loop(*, run: Path, steps: int, step: Callable[[], dict], step_index: Callable[[], int],
                  validate: Callable[[], dict], save: Callable[[dict], None], state: dict, log_every: int,
                  checkpoint_minutes: float, max_minutes: float | None,
                  log: Callable[[str], None] = print) -> dict:
    """Train until done; returns ``state`` (step, wall_seconds, validation history, ...)."""
    started = last_checkpoint = window_start = time.perf_counter()
    session_wall = state.get("wall_seconds", 0.0)
    state.setdefault("validation", [])
    window: dict[str, list[float]] = {}
    last_text: dict[str, str] = {}

    def checkpoint(reason: str) -> None:
        nonlocal last_checkpoint
        state["validation"].append({"step": step_index(), **validate()})
        state.update(step=step_index(), wall_seconds=session_wall + time.perf_counter() - started)
        save(state)
        last_checkpoint = time.perf_counter()
        append_log(run, {"event": "checkpoint", "reason": reason, **state["validation"][-1],
                         "wall_seconds": round(state["wall_seconds"], 1)})
        log(f"checkpoint at step {step_index()} ({reason}): {state['validation'][-1]}")

    try:
        while step_index() < steps:
            for key, value in step().items():
                if isinstance(value, str):
                    last_text[f"last_{key}"] = value
                else:
                    window.setdefault(key, []).append(float(value))
            done = step_index()
            if done % log_every == 0 or done == steps:
                count = max((len(v) for v in window.values()), default=1)
                record = {"step": done, **{k: float(f"{sum(v) / len(v):.5g}") for k, v in window.items()},
                          **last_text, "s_per_step": round((time.perf_counter() - window_start) / count, 4),
                          "wall_seconds": round(session_wall + time.perf_counter() - started, 1)}
                append_log(run, record)
                log(" ".join(f"{k}={v}" for k, v in record.items()))
                window, last_text, window_start = {}, {}, time.perf_counter()
            if max_minutes is not None and (time.perf_counter() - started) / 60 >= max_minutes:
                checkpoint("time limit")
                return state
            if (time.perf_counter() - last_checkpoint) / 60 >= checkpoint_minutes:
                checkpoint("periodic")
    except KeyboardInterrupt:
        checkpoint("interrupted")
        raise
    checkpoint("finished")
    return state


def jsonable(value):
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def reopen_run(run: Path, options, changeable: tuple[str, ...], what: str,
               log: Callable[[str], None] = print) -> dict | None:
    """The saved ``run/config.json`` of an existing run (restoring into ``options`` every
    setting not in ``changeable``), or None for a new run. Refuses to overwrite a run
    without ``options.resume`` and to resume a folder that is not a run of this kind."""
    from dataclasses import asdict

    from tts_moe.errors import InputError

    run = Path(run)
    config_path = run / "config.json"
    if config_path.is_file():
        if not options.resume:
            raise InputError(f"{run} already holds a run: pass --resume to continue it or choose a new folder")
        saved = json.loads(config_path.read_text(encoding="utf-8"))
        if what not in saved:
            raise InputError(f"--resume: {run} is not a {what} run folder")
        current = jsonable(asdict(options))
        kept = {k: v for k, v in saved["options"].items() if k not in changeable and k in current}
        changed = sorted(k for k, v in kept.items() if current[k] != v)
        if changed:
            log(f"resume: keeping the run's own settings for {', '.join(changed)}")
        for key, value in kept.items():
            setattr(options, key, tuple(value) if isinstance(value, list) else value)
        return saved
    if options.resume and run.exists() and any(run.iterdir()):
        raise InputError(f"--resume: {run} holds no config.json, so it is not a {what} run folder")
    return None


def create_run(run: Path, options, what: str, config: dict) -> dict:
    """Write ``run/config.json`` = ``{what: config, "options": options}`` for a new run."""
    from dataclasses import asdict

    saved = {what: config, "options": jsonable(asdict(options))}
    try:
        Path(run).mkdir(parents=True, exist_ok=True)
        (Path(run) / "config.json").write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot create run folder {run}: {error}") from None
    return saved
