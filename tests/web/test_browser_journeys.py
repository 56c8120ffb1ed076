"""A real Chromium against a real server with the Jingmen demo data (tests/web/conftest.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import require_or_skip
from tests.web.conftest import CHROMIUM, CONSUMER, REGULATOR, new_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def test_consumer_searches_opens_a_listing_and_posts_a_demand(
    server: str, chromium: Browser, shots: Path
) -> None:
    from playwright.sync_api import expect

    with new_page(chromium) as page:
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

    with new_page(chromium) as page:
        page.goto(f"{server}/login?next=/city")
        page.get_by_label("邮箱").fill(REGULATOR[0])
        page.get_by_label("密码").fill(REGULATOR[1])
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/city")
        # The URL changes when the answer starts; the page may still be arriving, so wait.
        page.wait_for_load_state()
        expect(page.locator("#city-map svg path[data-kind='district']")).to_have_count(5)
        assert page.locator("#material-chart svg rect.bar").count() >= 3
        expect(page.locator("#month-chart svg")).to_be_visible()
        page.screenshot(path=str(shots / "5-city.png"), full_page=True)


def test_chromium_is_debians() -> None:
    """The suite never downloads a browser: it uses the system one or says why it cannot."""
    if not CHROMIUM.exists():
        require_or_skip(f"Debian's Chromium not found at {CHROMIUM}")
    assert shutil.which("chromium") or CHROMIUM.exists()
