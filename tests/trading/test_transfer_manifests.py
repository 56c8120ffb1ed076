"""Hazardous loads get a transfer manifest (转移联单) numbered in the national shape, closed by
the receipt, readable by the parties and regulators as JSON and as a workbook."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from market.trading.manifests import parse_number
from tests.conftest import Actors, assert_problem
from tests.trading import helpers
from tests.trading.helpers import Market, Party, make_regulator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


def this_year() -> int:
    return (datetime.now(UTC) + timedelta(hours=8)).year


async def hazardous_deal(
    market: Market, settings: Any, material: str = "waste_mineral_oil", code: str = "HW08"
) -> tuple[Party, Party, dict[str, Any]]:
    seller, buyer = await market.seller(), await market.buyer()
    grant = getattr(helpers, "grant_permit", None)  # eligibility rules (issue 10, item 1)
    if grant is not None:
        await grant(settings, buyer.org_id, code)
    lot = await market.listing(seller, quantity_t="100", material_code=material)
    return seller, buyer, await market.ok_buy(lot["id"], buyer, quantity_t="100")


async def manifest_of(market: Market, load: dict[str, Any], who: Party) -> dict[str, Any]:
    deal = (await market.get(f"/deals/{load['deal_id']}", who)).json()
    assert deal["shipments"]
    # The shipment's audit trail names the manifest it was issued.
    trail = (await market.get(f"/audit?entity=shipment&id={load['id']}", who)).json()
    issued = [e for e in trail["events"] if e["action"] == "manifest_issued"]
    assert len(issued) == 1, trail
    r = await market.get(f"/manifests/{issued[0]['after']['manifest_id']}", who)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_the_platform_numbers_and_the_receipt_closes_the_manifest(
    market: Market, settings: Any
) -> None:
    seller, buyer, deal = await hazardous_deal(market, settings)
    first = await market.ok_ship(deal["id"], seller, dispatched_t="40", carrier="=HYPERLINK(1)")
    second = await market.ok_ship(deal["id"], seller, dispatched_t="30")
    year = this_year()
    numbers = [first["manifest_no"], second["manifest_no"]]
    for number in numbers:
        parsed = parse_number(number, year=year, region="4208")
        assert parsed.year == year
    assert int(numbers[1][8:]) == int(numbers[0][8:]) + 1, numbers
    m = await manifest_of(market, first, seller)
    assert m["number"] == first["manifest_no"] and m["number_source"] == "platform"
    assert m["status"] == "open" and m["hw_code"] == "HW08"
    assert m["producer"]["id"] == seller.org_id and m["receiver"]["id"] == buyer.org_id
    assert m["dispatched_t"] == "40.000" and m["received_t"] is None
    r = await market.receive(first["id"], buyer, received_t="39.8")
    assert r.status_code == 200, r.text
    closed = (await market.get(f"/manifests/{m['id']}", buyer)).json()
    assert closed["status"] == "closed" and closed["received_t"] == "39.800"
    assert closed["received_at"] is not None and closed["closed_at"] is not None
    # The paper trail: parties and regulators; anyone else is told it does not exist.
    regulator = await make_regulator(settings, market.actors, "reg-manifest@example.cn")
    assert (await market.get(f"/manifests/{m['id']}", regulator)).status_code == 200
    stranger = await market.buyer()
    assert_problem(await market.get(f"/manifests/{m['id']}", stranger), 404)
    assert_problem(await market.get(f"/manifests/{m['id']}.xlsx", stranger), 404)
    assert_problem(await market.get(f"/manifests/{m['id']}.pdf", seller), 404)
    r = await market.get(f"/manifests/{m['id']}.xlsx", regulator)
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["联单编号 manifest number"] == first["manifest_no"]
    assert cells["承运单位 carrier"] == "'=HYPERLINK(1)", "formula neutralised"
    assert cells["移出量 (t) dispatched"] == 40 and cells["接受量 (t) received"] == 39.8
    assert cells["废物代码 HW code"] == "HW08"


async def test_free_text_or_foreign_numbers_are_refused(market: Market, settings: Any) -> None:
    seller, _buyer, deal = await hazardous_deal(market, settings, "battery_lead_acid", "HW31")
    year = this_year()
    for text, fragment in [
        ("ABC", "14 digits"),
        ("HB4208-2026-000123", "14 digits"),
        (f"{year}4208000000", "serial"),
        (f"{year}42080001", "14 digits"),
        (f"{year}9908000001", "province"),
        (f"{year}4200000001", "city code"),
        (f"{year}4201000001", "producer's province and city"),
        (f"{year - 3}4208000001", "year"),
        (f"{year}42080000001", "14 digits"),
        (f"{year}4208００0001", "14 digits"),
    ]:
        r = await market.ship(deal["id"], seller, dispatched_t="10", manifest_no=text)
        body = assert_problem(r, 422, "manifest_no")
        assert fragment in r.text, (text, body)
    quoted = f"{year}4208123456"
    load = await market.ok_ship(deal["id"], seller, dispatched_t="10", manifest_no=quoted)
    assert load["manifest_no"] == quoted
    m = await manifest_of(market, load, seller)
    assert m["number_source"] == "producer" and m["hw_code"] == "HW31"
    r = await market.ship(deal["id"], seller, dispatched_t="10", manifest_no=quoted)
    assert_problem(r, 409, "already in use", "manifest_no")


async def test_general_waste_has_no_manifest(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="10")
    assert load["manifest_no"] is None
    assert_problem(await market.ship(deal["id"], seller, manifest_no="ABC"), 422, "manifest_no")
