"""The whole trade in the browser's pages (SQLite and PostgreSQL): a buyer bids on the listing
page, the producer counters, the buyer accepts on /my/bids, the producer dispatches, the
buyer receives 3 % short, the two settle the dispute and the deal is closed — every step a
form post with the session cookie and CSRF token, checked against the JSON API."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Actors
from tests.web.helpers import api_listing, post_form, web_login

Client = AsyncTestClient[Litestar]

#: Codes of the trading vocabularies that must never be shown as words on a page.
RAW_CODES = re.compile(
    r"\b(pending|accepted|rejected|countered|withdrawn|dispatched|disputed|received|settled|"
    r"active|completed|cancelled|fly_ash|one_off|open)\b"
)


def visible_text(html: str) -> str:
    """What a reader sees: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def assert_no_raw_codes(html: str) -> None:
    """In the page's main part; on a listing page, in its trading panel (the rest of that
    page is another module's, with its English glosses)."""
    if 'id="trade"' in html:
        html = html[html.index('id="trade"') :]
        html = html[: html.index("</section>\n\n<section")]
    else:
        html = html[html.index("<main") : html.index("</main>")]
    text = visible_text(html)
    found = sorted(set(RAW_CODES.findall(text)))
    assert not found, f"raw codes on the page: {found}"


def chosen_site(html: str, form_id: str) -> str:
    """The delivery site a browser would send: the selected option of the form's select."""
    form = html[html.index(f'id="{form_id}"') :]
    found = re.search(r'<option value="(\d+)" selected>', form)
    assert found, "no delivery site is preselected"
    return found.group(1)


async def as_user(client: Client, email: str) -> None:
    client.cookies.clear()
    await web_login(client, email)


async def setup_parties(
    client: Client, actors: Actors
) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    producer = await actors.user("ps_producer")
    p_org = await actors.org(producer, kind="producer", name="荆门热电厂")
    p_site = await actors.site(producer, p_org["id"], 112.20, 31.03)
    buyer = await actors.user("ps_buyer")
    b_org = await actors.org(buyer, kind="consumer", name="东宝水泥")
    await actors.site(buyer, b_org["id"], 112.60, 31.17)
    listing = await api_listing(client, producer, p_site["id"], quantity="5000", price="-15.00")
    return producer, buyer, listing


async def test_the_whole_trade_through_the_pages(client: Client, actors: Actors) -> None:
    producer, buyer, listing = await setup_parties(client, actors)
    lid = listing["id"]
    page = f"/listings/{lid}"

    # The buyer sees the delivered cost and bids "1,200" t at "-12" (the producer pays 12).
    await as_user(client, "ps_buyer@example.cn")
    r = await client.get(page)
    assert r.status_code == 200
    assert 'id="delivered-cost"' in r.text and 'id="bid-form"' in r.text
    assert "到厂价" in r.text and "运费" in r.text
    site = chosen_site(r.text, "bid-form")
    r = await post_form(
        client,
        f"{page}/bid",
        {"site_id": site, "quantity_t": "1,200", "price_cny_t": "-12", "note": "月底前"},
        page,
    )
    assert r.status_code == 303 and r.headers["location"] == "/my/bids"
    bids = (await client.get("/api/v1/bids", headers=buyer)).json()["items"]
    assert [(b["quantity_t"], b["price_cny_t"]) for b in bids] == [("1200.000", "-12.00")]
    r = await client.get("/my/bids")
    assert "我方发出的报价" in r.text and "待答复" in r.text
    assert_no_raw_codes(r.text)

    # The producer sees the bid on the listing page and counters: 1,000 t at -13.
    await as_user(client, "ps_producer@example.cn")
    r = await client.get(page)
    assert "收到的报价" in r.text and "月底前" in r.text
    assert_no_raw_codes(r.text)
    bid_id = bids[0]["id"]
    r = await post_form(
        client,
        f"/bids/{bid_id}/counter",
        {"price_cny_t": "-13", "quantity_t": "1,000", "back": "listing"},
        page,
    )
    assert r.status_code == 303, r.text

    # The buyer accepts the counter-offer on /my/bids: a deal.
    await as_user(client, "ps_buyer@example.cn")
    r = await client.get("/my/bids")
    assert "供应方还价" in r.text
    counter = next(
        b
        for b in (await client.get("/api/v1/bids", headers=buyer)).json()["items"]
        if b["kind"] == "counter"
    )
    r = await post_form(client, f"/bids/{counter['id']}/accept", {"back": "bids"}, "/my/bids")
    assert r.status_code == 303 and r.headers["location"].startswith("/deals/")
    deal_url = r.headers["location"]
    deal_id = int(deal_url.rsplit("/", 1)[1])
    r = await client.get("/my/bids")
    assert f'href="{deal_url}"' in r.text  # the accepted counter-offer links to its deal
    r = await client.get("/my/deals")
    assert deal_url in r.text
    assert_no_raw_codes(r.text)

    # The producer records a dispatch of 100 t.
    await as_user(client, "ps_producer@example.cn")
    r = await client.get(deal_url)
    assert 'id="dispatch-form"' in r.text
    r = await post_form(
        client,
        f"/deals/{deal_id}/dispatch",
        {"vehicle_plate": "鄂H·12345", "carrier": "荆门顺达物流", "dispatched_t": "100"},
        deal_url,
    )
    assert r.status_code == 303, r.text
    r = await client.get("/my/shipments")
    assert "运输中" in r.text and "鄂H·12345".upper() in r.text
    assert_no_raw_codes(r.text)

    # The buyer receives 97 t: 3 % short, beyond the 2 % tolerance, so the load is disputed.
    await as_user(client, "ps_buyer@example.cn")
    loads = (await client.get("/api/v1/shipments", headers=buyer)).json()["items"]
    sid = loads[0]["id"]
    r = await post_form(client, f"/shipments/{sid}/receive", {"received_t": "97"}, deal_url)
    assert r.status_code == 303, r.text
    r = await client.get(deal_url)
    assert "有争议" in r.text and "磅差" in r.text
    assert_no_raw_codes(r.text)

    # The producer proposes 98.5 t, the buyer accepts it: the deal counts 98.5 t.
    await as_user(client, "ps_producer@example.cn")
    r = await post_form(
        client, f"/shipments/{sid}/dispute/propose", {"settled_t": "98.5"}, deal_url
    )
    assert r.status_code == 303, r.text
    await as_user(client, "ps_buyer@example.cn")
    r = await client.get(deal_url)
    assert "对方提议按 98.5 吨结算" in r.text
    r = await post_form(
        client, f"/shipments/{sid}/dispute/accept", {"settled_t": "98.500"}, deal_url
    )
    assert r.status_code == 303, r.text
    deal = (await client.get(f"/api/v1/deals/{deal_id}", headers=buyer)).json()
    assert deal["delivered_t"] == "98.500"

    # The producer closes the deal short: completed with what was delivered.
    await as_user(client, "ps_producer@example.cn")
    r = await post_form(client, f"/deals/{deal_id}/close", {}, deal_url)
    assert r.status_code == 303, r.text
    deal = (await client.get(f"/api/v1/deals/{deal_id}", headers=producer)).json()
    assert deal["status"] == "completed"
    r = await client.get(deal_url)
    assert "已完成" in r.text and 'id="close-form"' not in r.text
    assert_no_raw_codes(r.text)


async def test_a_bad_form_value_shows_a_chinese_message_and_writes_nothing(
    client: Client, actors: Actors
) -> None:
    _producer, buyer, listing = await setup_parties(client, actors)
    page = f"/listings/{listing['id']}"
    await as_user(client, "ps_buyer@example.cn")
    site = chosen_site((await client.get(page)).text, "bid-form")

    r = await post_form(
        client, f"{page}/bid", {"site_id": site, "quantity_t": "很多", "price_cny_t": "-12"}, page
    )
    assert r.status_code == 422
    assert "请输入数字" in r.text and 'value="很多"' in r.text

    r = await post_form(
        client, f"{page}/bid", {"site_id": site, "quantity_t": "6,000", "price_cny_t": "-12"}, page
    )
    assert r.status_code == 409
    assert "仅有 5,000 吨可供" in r.text and "6,000" in r.text
    assert_no_raw_codes(r.text)

    r = await post_form(client, f"{page}/buy", {"site_id": site, "quantity_t": "0"}, page)
    assert r.status_code == 422 and "必须大于 0" in r.text

    assert (await client.get("/api/v1/bids", headers=buyer)).json()["total"] == 0
    assert (await client.get("/api/v1/deals", headers=buyer)).json()["total"] == 0
    lot = (await client.get(f"/api/v1{page}", headers=buyer)).json()
    assert lot["available_t"] == "5000.000"


async def test_the_producer_puts_the_lot_to_tender_and_buy_now_goes(
    client: Client, actors: Actors, settings: Any
) -> None:
    _producer, buyer, listing = await setup_parties(client, actors)
    page = f"/listings/{listing['id']}"
    await as_user(client, "ps_producer@example.cn")
    r = await post_form(
        client,
        f"{page}/tender",
        {"closes_at": "2020-01-01T10:00", "reserve_price_cny_t": "-20"},
        page,
    )
    assert r.status_code == 422 and "必须是将来的时间" in r.text
    r = await post_form(
        client,
        f"{page}/tender",
        {"closes_at": "2099-01-01T10:00", "reserve_price_cny_t": "-20"},
        page,
    )
    assert r.status_code == 303, r.text
    await as_user(client, "ps_buyer@example.cn")
    r = await client.get(page)
    assert 'id="tender-open"' in r.text and "密封竞价" in r.text
    assert 'id="buy-form"' not in r.text and 'id="bid-form"' in r.text
    site = chosen_site(r.text, "bid-form")
    data = {"site_id": site, "quantity_t": "300", "price_cny_t": "-18"}
    r = await post_form(client, f"{page}/bid", data, page)
    assert r.status_code == 303, r.text
    r = await client.get("/my/bids")
    assert "密封竞价报价" in r.text and "/withdraw" in r.text
    # The producer does not see a sealed bid before the tender closes.
    await as_user(client, "ps_producer@example.cn")
    r = await client.get(page)
    assert 'id="offers-table"' not in r.text and "您的底价：产废方付 20 元/吨" in r.text

    # At the closing time the best bid at or above the reserve wins: a deal, shown on the page.
    from market.trading.tenders import close_due_tenders
    from tests.trading.helpers import in_db, make_due

    (bid,) = (await client.get("/api/v1/bids", headers=buyer)).json()["items"]  # sealed: its bidder
    await make_due(settings, bid["tender_id"])
    assert await in_db(settings, close_due_tenders) == [bid["tender_id"]]
    r = await client.get(page)
    assert 'id="tender-closed"' in r.text and "已中标" in r.text and "/deals/" in r.text
    assert_no_raw_codes(r.text)


def test_numbers_are_read_as_clerks_type_them() -> None:
    from market.trading.web_forms import clean_number

    assert clean_number("5,000") == "5000"
    assert clean_number("1,234,567.5") == "1234567.5"
    assert clean_number("-15") == "-15"
    assert clean_number("－15") == "-15"
    assert clean_number("\u221215.5") == "-15.5"
    assert clean_number(" 1 200 ") == "1200"
    assert clean_number("５，０００") == "5000"
    assert clean_number("5,5") == "5,5"  # not a thousands separator: left to be refused


def test_every_trading_message_has_its_chinese() -> None:
    """Each msgid of the trading templates and of the service-message table is in a zh
    catalogue, so a Chinese page never falls back to the English id."""
    from pathlib import Path

    from market.trading import web_forms
    from market.web.i18n import catalogue

    templates = Path(web_forms.__file__).resolve().parents[1] / "web" / "templates"
    ids: set[str] = {"My trades"}
    for path in [templates / "_listing_trade.html", *templates.glob("*trade*.html")]:
        text = path.read_text(encoding="utf-8")
        ids |= {m[1] for m in re.findall(r'(?<![\w.])_\(\s*(["\'])((?:(?!\1).)*)\1', text)}
    ids |= set(web_forms._PYDANTIC.values()) | {msgid for _p, msgid in web_forms._PATTERNS}
    zh = catalogue("zh")
    missing = sorted(i for i in ids if not zh.get(i))
    assert len(ids) > 150 and not missing, missing


async def test_offers_are_withdrawn_and_rejected_and_the_pages_speak_english(
    client: Client, actors: Actors
) -> None:
    _producer, buyer, listing = await setup_parties(client, actors)
    page = f"/listings/{listing['id']}"
    await as_user(client, "ps_buyer@example.cn")
    site = chosen_site((await client.get(page)).text, "bid-form")
    for qty in ("100", "200"):
        data = {"site_id": site, "quantity_t": qty, "price_cny_t": "-14"}
        r = await post_form(client, f"{page}/bid", data, page)
        assert r.status_code == 303, r.text
    first, second = sorted(
        (await client.get("/api/v1/bids", headers=buyer)).json()["items"], key=lambda b: b["id"]
    )
    r = await post_form(client, f"/bids/{first['id']}/withdraw", {"back": "bids"}, "/my/bids")
    assert r.status_code == 303 and r.headers["location"] == "/my/bids"
    # Withdrawing twice is refused on the page, in Chinese, and changes nothing.
    r = await post_form(client, f"/bids/{first['id']}/withdraw", {"back": "bids"}, "/my/bids")
    assert r.status_code == 409 and "该报价已是“已撤回”状态" in r.text

    await as_user(client, "ps_producer@example.cn")
    r = await post_form(client, f"/bids/{second['id']}/reject", {"back": "listing"}, page)
    assert r.status_code == 303 and r.headers["location"] == f"{page}#trade"
    statuses = {
        b["id"]: b["status"]
        for b in (await client.get("/api/v1/bids", headers=buyer)).json()["items"]
    }
    assert statuses == {first["id"]: "withdrawn", second["id"]: "rejected"}

    client.cookies.set("lang", "en")
    r = await client.get("/my/bids")
    assert "Offers made to us" in r.text and "rejected" in r.text and "待答复" not in r.text
    r = await client.get(page)
    assert "Bids received" in r.text and "Put to sealed tender" in r.text


async def test_a_hazardous_load_needs_a_well_formed_manifest_on_the_page(
    client: Client, actors: Actors, settings: Any
) -> None:
    from tests.trading.helpers import Market, grant_permit

    market = Market(client, actors)
    seller, buyer = await market.seller(), await market.buyer()
    await grant_permit(settings, buyer.org_id, "HW08")
    lot = await market.listing(seller, quantity_t="100", material_code="waste_mineral_oil")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="60")
    email = (await market.get("/me", seller)).json()["email"]
    await as_user(client, email)
    deal_url = f"/deals/{deal['id']}"
    r = await client.get(deal_url)
    assert 'id="mno"' in r.text and "危险废物" in r.text
    data = {"vehicle_plate": "鄂H88888", "carrier": "危运公司", "dispatched_t": "20"}
    r = await post_form(client, f"{deal_url}/dispatch", {**data, "manifest_no": "ABC"}, deal_url)
    assert r.status_code == 422 and "不是有效的转移联单编号" in r.text
    assert 'value="ABC"' in r.text
    assert (await market.get(f"/shipments?deal_id={deal['id']}", seller)).json()["total"] == 0
    r = await post_form(client, f"{deal_url}/dispatch", data, deal_url)
    assert r.status_code == 303, r.text
    (load,) = (await market.get(f"/shipments?deal_id={deal['id']}", seller)).json()["items"]
    assert re.fullmatch(r"\d{14}", load["manifest_no"])
    assert load["manifest_no"] in (await client.get(deal_url)).text
    r = await client.get(f"/shipments/{load['id']}/manifest.xlsx")  # with the session cookie
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert load["manifest_no"] in r.headers["content-disposition"]


async def test_a_monthly_lot_is_bid_for_and_accepted_as_a_standing_contract(
    client: Client, actors: Actors
) -> None:
    from tests.trading.helpers import Market

    market = Market(client, actors)
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="600", cadence="monthly")
    page = f"/listings/{lot['id']}"
    await as_user(client, (await market.get("/me", buyer)).json()["email"])
    r = await client.get(page)
    assert 'id="bid-tpm"' in r.text and "长期合同" in r.text
    site = chosen_site(r.text, "bid-form")
    data = {"site_id": site, "tonnes_per_month": "10", "price_cny_t": "30"}
    r = await post_form(client, f"{page}/bid", data, page)
    assert r.status_code == 422 and "长期合同须同时填写每月吨数和月数" in r.text
    r = await post_form(client, f"{page}/bid", {**data, "term_months": "3"}, page)
    assert r.status_code == 303, r.text
    (bid,) = (await market.get("/bids", buyer)).json()["items"]
    assert (bid["tonnes_per_month"], bid["term_months"], bid["quantity_t"]) == (
        "10.000",
        3,
        "30.000",
    )

    await as_user(client, (await market.get("/me", seller)).json()["email"])
    r = await client.get(page)
    assert "每月 10 吨 × 3 个月" in r.text and 'name="tonnes_per_month"' in r.text
    r = await post_form(
        client, f"/bids/{bid['id']}/accept", {"tonnes_per_month": "8", "back": "listing"}, page
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/deals/")
    deal = (await market.get(r.headers["location"], seller)).json()
    assert (deal["tonnes_per_month"], deal["quantity_t"]) == ("8.000", "24.000")


async def test_a_regulator_reads_the_trade_and_decides_a_dispute(
    client: Client, actors: Actors, settings: Any
) -> None:
    from tests.trading.helpers import Market
    from tests.web.helpers import make_regulator

    market = Market(client, actors)
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    r = await client.post(
        f"/api/v1/listings/{lot['id']}/bids",
        headers=buyer.headers,
        json={"site_id": buyer.site["id"], "quantity_t": "10", "price_cny_t": "30"},
    )
    assert r.status_code == 201, r.text
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="40")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="20")
    assert (await market.receive(load["id"], buyer, received_t="19")).status_code == 200
    await make_regulator(settings, "ps_regulator@example.cn")
    await as_user(client, "ps_regulator@example.cn")

    r = await client.get(f"/listings/{lot['id']}")
    assert 'id="offers-table"' in r.text and "/accept" not in r.text and "/reject" not in r.text
    assert 'href="/my/deals"' not in r.text  # no 我的交易 for a regulator
    deal_url = f"/deals/{deal['id']}"
    r = await client.get(deal_url)
    assert r.status_code == 200 and "有争议" in r.text
    assert 'id="dispatch-form"' not in r.text and "/dispute/propose" not in r.text
    r = await post_form(
        client, f"/shipments/{load['id']}/dispute/decide", {"settled_t": "25"}, deal_url
    )
    assert r.status_code == 422 and "超过发货的 20 吨" in r.text
    r = await post_form(
        client, f"/shipments/{load['id']}/dispute/decide", {"settled_t": "19.6"}, deal_url
    )
    assert r.status_code == 303, r.text
    assert (await market.get(deal_url, buyer)).json()["delivered_t"] == "19.600"
    r = await client.get(deal_url)
    assert "已按 19.6 吨结算" in r.text and "由监管部门裁定" in r.text
