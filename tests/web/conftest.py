"""The browser tests' shared parts: one real server with the demo data, one Debian Chromium.

The server runs in a subprocess (granian, the production server) on a free port over a
fresh SQLite database that is migrated and loaded with ``market demo load`` exactly as
``make demo`` does; it is shared by every browser test of the session (each opens its own
browser context, so no cookies are shared). Chromium is Debian's (never downloaded): without
it the tests are skipped locally and fail under CI=true. Screenshots go to
``$MARKET_SCREENSHOTS`` or ``var/screenshots`` (git-ignored), printed, for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from market.cli import main as cli
from tests.conftest import require_or_skip

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
CONSUMER = ("dongbao_cement@demo.jingmen.example", "demo-dongbao_cement-2026")
REGULATOR = ("regulator@demo.jingmen.example", "demo-regulator-2026")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _market(env: dict[str, str], *args: str) -> None:
    """Run a ``market`` command as ``make demo`` does, but in this process, so the demo's
    45 accounts are hashed at the suite's cheap argon2 cost (tests/conftest.py): at the
    production cost, in a subprocess, loading them took most of this module's setup. The
    command runs in a thread of its own, as it starts its own event loop."""
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(CliRunner().invoke, cli, list(args), env=env).result()
    assert done.exit_code == 0, f"market {' '.join(args)} failed:\n{done.output}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        require_or_skip(f"Debian's Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    work = tmp_path_factory.mktemp("browser")
    market_env = {
        "MARKET_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'demo.sqlite3'}",
        "MARKET_ENV": "development",
        "MARKET_TENDER_POLL_SECONDS": "0",
    }
    _market(market_env, "db", "upgrade")
    env = {**os.environ, **market_env}
    env.pop("MARKET_SECRET_KEY", None)
    port = _free_port()
    log = (work / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "market.asgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The server boots (a few seconds of imports) while the demo loads: it reads the
        # database per request, so nothing it serves predates the load.
        _market(market_env, "demo", "load")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start:\n{(work / 'server.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Browser]:
    """One Chromium per module: Playwright's sync API keeps an event loop running in this
    thread while it is open, which the asyncio tests after it cannot share. Each test opens
    its own context (no shared cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: a new visitor, as with a browser of its own."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = Path(os.environ.get("MARKET_SCREENSHOTS", "") or ROOT / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder
