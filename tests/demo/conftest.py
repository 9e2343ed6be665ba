"""Fixtures of the demo tests: a running `tts-moe demo` server and a headless Chromium page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TTS_MOE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
# where the tests save their screenshots (docs/demo/ holds a committed set: TTS_MOE_SCREENSHOTS=docs/demo)
SCREENSHOTS = Path(os.environ.get("TTS_MOE_SCREENSHOTS", Path(tempfile.gettempdir()) / "tts-moe-demo-screenshots"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """``(url, ledger_path, output_dir)`` of a demo started on 127.0.0.1 with a fresh ledger."""
    pytest.importorskip("gradio", reason="the demo needs gradio: pip install -e '.[demo]'")
    folder = tmp_path_factory.mktemp("demo")
    ledger, output = folder / "ledger.sqlite3", folder / "clips"
    port = free_port()
    log = open(folder / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "tts_moe", "demo", "--port", str(port), "--ledger", str(ledger),
                                "--output-dir", str(output)], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            raise RuntimeError(f"demo server did not start:\n{(folder / 'server.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield url, ledger, output
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium (scripts/setup.sh does as root)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, demo_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(demo_server[0])
    page.wait_for_selector("#go")
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
