"""A real Chromium against a real server with the Jingmen demo data.

The server runs in a subprocess (granian, the production server) on a free port over a
fresh SQLite database that is migrated and loaded with ``market demo load`` exactly as
``make demo`` does. Chromium is Debian's (never downloaded): without it the test is skipped
locally and fails under CI=true. Screenshots go to a temporary folder (printed) so a person
can look at the pages.
"""

from __future__ import annotations

import os
import re
import shutil
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

pytestmark = pytest.mark.browser

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


@pytest.fixture(scope="module")
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
    """One Chromium for the module; each test opens its own context (no shared cookies)."""
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
def _page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: a new visitor, as with a browser of its own."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("MARKET_SCREENSHOTS", "") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def test_consumer_searches_opens_a_listing_and_posts_a_demand(
    server: str, chromium: Browser, shots: Path
) -> None:
    from playwright.sync_api import expect

    with _page(chromium) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        external: list[str] = []
        page.on(
            "request",
            lambda r: external.append(r.url) if not r.url.startswith(server) else None,
        )

        page.goto(f"{server}/listings?material=fly_ash")
        expect(page).to_have_url(f"{server}/login?next=/listings%3Fmaterial%3Dfly_ash")
        page.get_by_label("邮箱").fill(CONSUMER[0])
        page.get_by_label("密码").fill(CONSUMER[1])
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/listings?material=fly_ash")
        expect(page.locator("header .user")).to_be_visible()

        # Search fly ash near the plant's own site, 60 km.
        page.locator("#material").select_option("fly_ash")
        near = page.locator("#near")
        site_value = near.locator("optgroup[label^='我的厂区'] option").first.get_attribute("value")
        assert site_value and site_value.startswith("site:")
        near.select_option(site_value)
        page.locator("#radius_km").fill("60")
        page.get_by_role("button", name="查找").click()
        rows = page.locator("#results tbody tr.result-row")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 1
        regions = page.locator("#results-map svg path[data-kind]")
        assert regions.count() >= 5
        assert page.locator("#results-map svg circle[data-kind='supply']").count() == rows.count()
        page.screenshot(path=str(shots / "1-listings.png"), full_page=True)

        # Open the nearest listing.
        rows.first.locator("a").first.click()
        expect(page.locator("#spec")).to_be_visible()
        expect(page.locator("#grades")).to_contain_text("GB/T 1596")
        page.screenshot(path=str(shots / "2-listing.png"), full_page=True)

        # Post a demand through the form: choose the material, then fill it in.
        page.goto(f"{server}/demands/new")
        page.locator("#pick-material").select_option("fly_ash")
        page.get_by_role("button", name="下一步").click()
        page.locator("#site_id").select_option(index=1)
        page.locator("#title").fill("浏览器测试：求购二级粉煤灰")
        page.locator("#quantity_t").fill("abc")
        page.get_by_role("button", name="发布").click()
        expect(page.locator("#err-quantity_t")).to_contain_text("请输入数字")
        page.screenshot(path=str(shots / "3-demand-error.png"), full_page=True)
        page.locator("#quantity_t").fill("2500")
        page.locator("#grade").select_option("gbt1596_f_ii_concrete")
        page.locator("#max_haul_km").fill("80")
        page.locator("input[name='requirements.loi_pct.max']").fill("6")
        page.get_by_role("button", name="发布").click()
        expect(page).to_have_url(re.compile(rf"{server}/demands/\d+$"))
        expect(page.locator("h1")).to_contain_text("浏览器测试：求购二级粉煤灰")
        expect(page.locator("#requirements")).to_contain_text("烧失量")
        page.screenshot(path=str(shots / "4-demand.png"), full_page=True)

        page.goto(f"{server}/my")
        expect(page.locator("#my-demands")).to_contain_text("浏览器测试")
        assert not errors, errors
        assert not external, f"the pages loaded external resources: {external}"


def test_regulator_sees_the_city_page(server: str, chromium: Browser, shots: Path) -> None:
    from playwright.sync_api import expect

    with _page(chromium) as page:
        page.goto(f"{server}/login?next=/city")
        page.get_by_label("邮箱").fill(REGULATOR[0])
        page.get_by_label("密码").fill(REGULATOR[1])
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/city")
        assert page.locator("#city-map svg path[data-kind='district']").count() == 5
        assert page.locator("#material-chart svg rect.bar").count() >= 3
        expect(page.locator("#month-chart svg")).to_be_visible()
        page.screenshot(path=str(shots / "5-city.png"), full_page=True)


def test_chromium_is_debians() -> None:
    """The suite never downloads a browser: it uses the system one or says why it cannot."""
    if not CHROMIUM.exists():
        require_or_skip(f"Debian's Chromium not found at {CHROMIUM}")
    assert shutil.which("chromium") or CHROMIUM.exists()
