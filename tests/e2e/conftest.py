"""End-to-end fixtures: the dashboard served by ``run.py dashboard`` on a free loopback port, and
Debian's Chromium driven by Playwright (its own browser download does not work here).

Skipped, with the reason, only when /usr/bin/chromium is missing; ``.ci/install-browser``
installs it for CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MIDYANGTZE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
START_TIMEOUT_S = 300  # the first start fills the asset cache from the npm registry
# the browser tests run the page at a fifth of the default agents (10,000 talent, 1,000 firms):
# the same page and pool, results in seconds; the full-scale timings are measured apart
SCALE = "scale.talent_agents=10000;scale.firm_agents=1000"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(port: int) -> list[str]:
    """``run.py dashboard`` once the command is registered, else the same entry point directly."""
    from simulation import cli

    if "dashboard" in cli.COMMANDS:
        return [sys.executable, str(ROOT / "run.py"), "dashboard", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "simulation.dashboard", "--host", "127.0.0.1", "--port", str(port)]


@pytest.fixture(scope="session")
def server():
    """The dashboard's base URL; the server runs for the whole test session."""
    port = _free_port()
    log = SHOTS / "server.log"
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MIDYANGTZE_DASHBOARD_SET": os.environ.get("MIDYANGTZE_DASHBOARD_SET", SCALE)}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(_command(port), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    t0 = time.monotonic()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"dashboard exited with {proc.returncode}:\n{log.read_text(encoding='utf-8')[-3000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.3)
        print(f"\ndashboard up in {time.monotonic() - t0:.1f} s at {url}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, server):
    """Open the dashboard in a fresh browser context (its own cookies: its own session); records
    every request so a test can check that nothing left the machine."""
    contexts = []

    def open_(query: str = "", width: int = 1440, height: int = 900, wait: str | None = "full", **ctx_kw):
        ctx = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True, **ctx_kw
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.requests = []
        page.errors = []
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.set_default_timeout(60_000)
        page.goto(server + (f"?{query}" if query else ""))
        page.wait_for_selector(".my-status", timeout=120_000)
        if wait:
            wait_state(page, wait)
        return page

    yield open_
    for ctx in contexts:
        ctx.close()


def wait_state(page, state: str = "full", timeout: float = 240_000) -> None:
    """Until the page shows a result of ``state`` ("preview" or "full")."""
    page.wait_for_function(
        f"(() => {{ const e = document.querySelector('.my-status');"
        f" return e && (e.dataset.state == '{state}' || e.dataset.state == 'full'); }})()",
        timeout=timeout,
    )


@pytest.fixture
def wait_for():
    """``wait_for(page, state)``: until the page shows a result of ``state``."""
    return wait_state


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot():
    return shot
