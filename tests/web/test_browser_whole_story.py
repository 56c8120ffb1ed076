"""The whole job in a real browser (issue #12): post, find, bid, counter, accept, dispatch,
receive 3 % short, settle, file the month's 台账 by Excel, and the city sees and exports it.

Run twice on the demo server (tests/web/conftest.py): in Chinese on a desktop screen, and in
English on a phone (390 × 844, the language chosen with the header's switch). Each variant
has its own fly-ash producer, so the regulator's figures filtered to that enterprise are
exactly the story's. Every page visited must load nothing from outside the server, raise
no script error, be a page (never raw JSON) and, on the phone, be no wider than the screen.
Screenshots of every step go to the shots folder.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Download, Page

pytestmark = pytest.mark.browser

BUYER = "dongbao_cement"
REGULATOR = "regulator"


#: The elements sticking out furthest to the right of the screen (to say what to fix).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    && !e.closest('.table-wrap'))
  .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
  .slice(0, 3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""


@dataclass(frozen=True)
class Variant:
    name: str
    producer: str
    lang: str
    viewport: dict[str, int]


VARIANTS = [
    Variant("desktop-zh", "zhongxiang_power", "zh", {"width": 1366, "height": 900}),
    Variant("phone-en", "jingmen_power", "en", {"width": 390, "height": 844}),
]


@dataclass
class Visit:
    """One person's browser: a page with the checks every step's page must pass."""

    page: Page
    base: str
    variant: Variant
    shots: Path
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.check()

    def check(self) -> None:
        page = self.page
        page.wait_for_load_state()
        content_type = page.evaluate("document.contentType")
        if content_type != "text/html":
            body = page.locator("body").inner_text()[:300]
            raise AssertionError(f"{page.url} answered {content_type}, not a page: {body}")
        assert page.locator("html").get_attribute("lang", timeout=5000) in (
            self.variant.lang,
            "zh-CN" if self.variant.lang == "zh" else self.variant.lang,
        ), f"{page.url} is not in {self.variant.lang}"
        if self.variant.viewport["width"] < 500:
            over = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if over > 1:
                wide = page.evaluate(WIDEST)
                self.shot("overflow")
                raise AssertionError(f"{page.url} is {over} px wider than the screen: {wide}")

    def shot(self, name: str) -> None:
        self.page.screenshot(
            path=str(self.shots / f"{self.variant.name}-{name}.png"), full_page=True
        )

    def submit(self, form: str) -> None:
        self.page.locator(f"{form} button[type=submit]").first.click()
        self.check()

    def download(self, link: str) -> Download:
        with self.page.expect_download() as caught:
            self.page.locator(link).first.click()
        return caught.value


@contextmanager
def person(browser: Browser, base: str, variant: Variant, shots: Path, key: str) -> Iterator[Visit]:
    """A new browser context, in the variant's language and screen, logged in as ``key``."""
    context = browser.new_context(
        viewport=variant.viewport,
        locale="zh-CN",  # the browser asks for Chinese; the English run switches in the header
        accept_downloads=True,
        is_mobile=variant.viewport["width"] < 500,
        has_touch=variant.viewport["width"] < 500,
    )
    page = context.new_page()
    visit = Visit(page, base, variant, shots)
    page.on("pageerror", lambda e: visit.problems.append(f"script error: {e}"))
    page.on(
        "request",
        lambda r: (
            visit.problems.append(f"external: {r.url}") if not r.url.startswith(base) else None
        ),
    )
    try:
        if variant.lang != "zh":
            page.goto(f"{base}/login")
            page.locator(f"a[href^='/lang/{variant.lang}']").first.click()
        page.goto(f"{base}/login")
        page.locator("input[name=email]").fill(f"{key}@demo.jingmen.example")
        page.locator("input[name=password]").fill(f"demo-{key}-2026")
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        visit.check()
        yield visit
        assert not visit.problems, visit.problems
    finally:
        context.close()


def workbook(download: Download) -> Any:
    path = download.path()
    assert path is not None
    return load_workbook(io.BytesIO(Path(path).read_bytes()))


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_the_whole_job_in_the_browser(
    server: str, chromium: Browser, shots: Path, variant: Variant
) -> None:
    from playwright.sync_api import expect

    title = f"Story fly ash {variant.name} {time.time_ns()}"
    with (
        person(chromium, server, variant, shots, variant.producer) as producer,
        person(chromium, server, variant, shots, BUYER) as buyer,
        person(chromium, server, variant, shots, REGULATOR) as city,
    ):
        # 1. The producer posts a one-off lot of 3,000 t at a 15 CNY/t disposal fee.
        producer.go("/listings/new?material=fly_ash")
        producer.page.locator("#site_id").select_option(index=1)
        site_id = int(producer.page.locator("#site_id").input_value())
        producer.page.locator("#title").fill(title)
        producer.page.locator("#quantity_t").fill("3,000")
        producer.page.locator("#price_cny_t").fill("-15")
        producer.page.locator("#spec-loi_pct").fill("4.5")
        producer.shot("1-post")
        producer.page.locator("form[method=post] button[type=submit]").last.click()
        producer.page.wait_for_url(re.compile(r"/listings/\d+$"))
        producer.check()
        listing_url = producer.page.url
        org_name = producer.page.locator("header .org").first.inner_text().strip()

        # 2. The buyer searches near its own plant and finds the lot.
        buyer.go("/listings?material=fly_ash")
        near = buyer.page.locator("#near")
        own_site = near.locator("option[value^='site:']").first.get_attribute("value")
        assert own_site
        near.select_option(own_site)
        buyer.page.locator("#radius_km").fill("200")
        buyer.submit("form[method=get]")
        buyer.shot("2-search")
        buyer.page.locator("#results a", has_text=title).first.click()
        buyer.page.wait_for_url(listing_url)
        buyer.check()
        expect(buyer.page.locator("#delivered-cost")).to_be_visible()

        # 3. It bids 1,200 t at -12 (the producer would pay 12 CNY/t).
        buyer.page.locator("#bid-q").fill("1,200")
        buyer.page.locator("#bid-p").fill("-12")
        buyer.shot("3-bid")
        buyer.submit("#bid-form")
        assert buyer.page.url.endswith("/my/bids")

        # 4. The producer counters on the listing page: 1,000 t at -13.
        producer.go(listing_url.removeprefix(server))
        offer = producer.page.locator("#offers-table tr[id^='offer-']").first
        offer.locator("details.counter summary").click()
        offer.locator("input[id^='co-p-']").fill("-13")
        offer.locator("input[id^='co-q-']").fill("1,000")
        producer.shot("4-counter")
        offer.locator("details.counter button[type=submit]").click()
        producer.check()

        # 5. The buyer accepts the counter-offer: a deal.
        buyer.go("/my/bids")
        buyer.shot("5-bids")
        buyer.page.locator("form[action$='/accept'] button[type=submit]").first.click()
        buyer.page.wait_for_url(re.compile(r"/deals/\d+$"))
        buyer.check()
        deal_path = buyer.page.url.removeprefix(server)

        # 6. The producer dispatches 100 t on the dispatch weighbridge.
        producer.go(deal_path)
        producer.page.locator("#plate").fill("鄂H12345")
        producer.page.locator("#carrier").fill("荆门顺达物流")
        producer.page.locator("#dt").fill("100")
        producer.submit("#dispatch-form")
        producer.shot("6-dispatched")

        # 7. The buyer's weighbridge reads 97 t: 3 % short, so the load is disputed.
        buyer.go(deal_path)
        buyer.page.locator(".receive-form input[name=received_t]").first.fill("97")
        buyer.submit(".receive-form")
        expect(buyer.page.locator(".propose-settlement, .accept-settlement").first).to_be_visible()
        buyer.shot("7-received")

        # 8. Both settle at 98.5 t: the producer proposes, the buyer accepts.
        producer.go(deal_path)
        producer.page.locator(".propose-settlement input[name=settled_t]").first.fill("98.5")
        producer.submit(".propose-settlement")
        buyer.go(deal_path)
        buyer.submit(".accept-settlement")
        expect(buyer.page.locator("main")).to_contain_text("98.5")
        settled = "已结算" if variant.lang == "zh" else "settled"
        expect(buyer.page.locator(".shipment h3 .badge").first).to_have_text(settled)
        buyer.shot("8-settled")

        # 9. The producer files December's 台账 for the site through the Excel template.
        producer.go("/ledger")
        template = workbook(producer.download("a[href='/ledger/template.xlsx']"))
        site_name = next(
            r[1]
            for r in template["场所 sites"].iter_rows(min_row=2, values_only=True)
            if r[0] == site_id
        )
        producer.go("/ledger/2026/12")
        line = (
            producer.page.locator("fieldset.ledger-line")
            .filter(has=producer.page.locator("input[name$='-material_code'][value='fly_ash']"))
            .filter(has=producer.page.locator(f"input[name$='-site_id'][value='{site_id}']"))
        )
        received = float(line.first.get_attribute("data-received") or "nan")
        assert received >= 98.5  # this story's settled load, counted by the platform
        sheet = template["台账"]
        keys = [str(c.value).rsplit("(", 1)[1].rstrip(")") for c in sheet[1]]
        # 1,000 t generated = 300 in-house + 100 outside + the exchange's + the rest stored.
        row = {
            "site_id": site_id,
            "site_name": site_name,
            "material_code": "粉煤灰",
            "month": "2026-12",
            "generated_t": 1000,
            "used_inhouse_t": 300,
            "shipped_outside_exchange_t": 100,
            "stored_t": round(600 - received, 3),
            "note": "story",
        }
        bad = {**row, "stored_t": 600}  # the exchange's tonnes forgotten: out of balance
        for values, name in ((bad, "bad"), (row, "good")):
            book = load_workbook(io.BytesIO(_saved(template)))
            book["台账"].append([values.get(k) for k in keys])
            upload = shots / f"{variant.name}-ledger-{name}.xlsx"
            upload.write_bytes(_saved(book))
            producer.go("/ledger")
            producer.page.locator("#ledger-file").set_input_files(str(upload))
            producer.submit("#ledger-import")
            producer.shot(f"9-ledger-{name}")
            if name == "bad":
                expect(producer.page.locator("#import-errors")).to_contain_text("1000")
        expect(producer.page.locator("#import-ok")).to_be_visible()

        # 10. The city sees the producer's December and exports it.
        city.go("/city?year=2026&month=12&material=fly_ash")
        city.page.locator("#f-org").select_option(label=org_name)
        city.submit("#city-filters")
        expect(city.page.locator("#kpi-generated")).to_contain_text("1,000")
        utilised = 400 + received
        expect(city.page.locator("#kpi-rate")).to_contain_text(f"{utilised / 10:.2f}")
        city.shot("10-city")
        export = workbook(city.download("#city-exports button[type=submit]:not([formaction])"))
        rows = list(export.worksheets[0].iter_rows(values_only=True))
        assert any(r and r[0] == "fly_ash" and r[3] == 1000 for r in rows), rows[:4]


def _saved(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
