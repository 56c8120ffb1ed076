"""One eligibility rule on every path to a deal (issue 10, item 1): buy, bid, accept, counter,
tender bid, tender close and standing contracts all refuse a hazardous lot to a buyer without
a valid permit of its HW category with capacity left, a traction-battery lot to a firm off the
MIIT list, and any lot to the seller's own organisation, naming the rule in both languages.

The up-front paths (buy, bid, tender bid, monthly contract) meet a buyer that is ineligible
from the start; the later ones (accept, counter, tender close) a buyer that was eligible when
it bid and is no longer when the deal would be born.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import metadata
from market.trading.tenders import close_due_tenders
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import (
    Market,
    Party,
    grant_permit,
    in_,
    in_db,
    make_due,
    update_row,
)

#: Each bad input, with the status and the fragments (Chinese and English) of its refusal.
REFUSALS: dict[str, tuple[int, tuple[str, ...]]] = {
    "no permit": (
        403,
        ("需持有 HW31 类危险废物经营许可证", "requires a hazardous-waste permit for HW31"),
    ),
    "wrong HW category": (403, ("需持有 HW31 类", "requires a hazardous-waste permit for HW31")),
    "expired permit": (403, ("需持有有效的 HW31 类", "expired on")),
    "capacity exceeded": (409, ("剩余经营规模", "50.000 t of its", "annual capacity left")),
    "not MIIT-listed": (403, ("工信部", "recyclers on the MIIT list")),
    "own organisation": (409, ("your own organisation's listing",)),
}
CASES = list(REFUSALS)


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


def material_of(case: str) -> str:
    if case == "not MIIT-listed":
        return "battery_lfp"
    return "fly_ash" if case == "own organisation" else "battery_lead_acid"


async def lot(market: Market, seller: Party, case: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"material_code": material_of(case), "quantity_t": "1000"}
    body.update(over)
    return await market.listing(seller, **body)


async def set_where(settings: Any, table: str, org_id: int, **values: Any) -> None:
    """Change every row of ``table`` of one organisation behind the API's back."""
    tbl = metadata.tables[table]
    key = tbl.c.id if table == "organizations" else tbl.c.organization_id

    async def work(session: AsyncSession) -> None:
        await session.exec(sa.update(tbl).where(key == org_id).values(**values))  # type: ignore[call-overload]

    await in_db(settings, work)


async def use_up_capacity(market: Market, seller: Party, buyer: Party) -> None:
    """The buyer (capacity 150 t) takes 100 t elsewhere: 50 t left, 100 t asked."""
    other = await lot(market, seller, "capacity exceeded", quantity_t="100")
    await market.ok_buy(other["id"], buyer, quantity_t="100")


async def ineligible_buyer(market: Market, settings: Any, seller: Party, case: str) -> Party:
    """A buyer that may not take the case's lot from the start."""
    if case == "own organisation":
        return seller
    buyer = await market.buyer()
    if case == "wrong HW category":
        await grant_permit(settings, buyer.org_id, "HW08")
    elif case == "expired permit":
        await grant_permit(settings, buyer.org_id, "HW31", valid_days=-2)
    elif case == "capacity exceeded":
        await grant_permit(settings, buyer.org_id, "HW31", annual_capacity_t="150")
        await use_up_capacity(market, seller, buyer)
    return buyer


async def eligible_buyer(market: Market, settings: Any, case: str) -> Party:
    buyer = await market.buyer()
    await grant_permit(settings, buyer.org_id, "HW31", annual_capacity_t="150")
    await update_row(settings, "organizations", buyer.org_id, miit_listed=True)
    return buyer


async def spoil(
    market: Market, settings: Any, seller: Party, buyer: Party, bid_id: int, case: str
) -> None:
    """What changed between the bid and the answer, making the buyer ineligible."""
    if case == "no permit":
        tbl = metadata.tables["permits"]

        async def work(session: AsyncSession) -> None:
            await session.exec(sa.delete(tbl).where(tbl.c.organization_id == buyer.org_id))  # type: ignore[call-overload]

        await in_db(settings, work)
    elif case == "wrong HW category":
        await set_where(settings, "permits", buyer.org_id, kind="HW08")
    elif case == "expired permit":
        past = (datetime.now(UTC) - timedelta(days=2)).date()
        await set_where(settings, "permits", buyer.org_id, valid_until=past)
    elif case == "capacity exceeded":
        await use_up_capacity(market, seller, buyer)
    elif case == "not MIIT-listed":
        await update_row(settings, "organizations", buyer.org_id, miit_listed=False)
    else:
        await update_row(settings, "bids", bid_id, buyer_org_id=seller.org_id)


def refused(response: Any, case: str) -> None:
    status, fragments = REFUSALS[case]
    assert_problem(response, status, *fragments)


async def reserved(market: Market, seller: Party, listing_id: int) -> str:
    return str((await market.get(f"/listings/{listing_id}", seller)).json()["reserved_t"])


# --- up-front paths -----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
async def test_buy_refuses_an_ineligible_buyer(market: Market, settings: Any, case: str) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case)
    buyer = await ineligible_buyer(market, settings, seller, case)
    refused(await market.buy(wanted["id"], buyer, quantity_t="100"), case)
    assert await reserved(market, seller, wanted["id"]) == "0.000"


@pytest.mark.parametrize("case", CASES)
async def test_a_bid_is_refused_when_placed(market: Market, settings: Any, case: str) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case)
    buyer = await ineligible_buyer(market, settings, seller, case)
    refused(await market.bid(wanted["id"], buyer, quantity_t="100"), case)


@pytest.mark.parametrize("case", CASES)
async def test_a_tender_bid_is_refused_when_placed(
    market: Market, settings: Any, case: str
) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case)
    body = {"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"}
    r = await market.client.post(
        f"/api/v1/listings/{wanted['id']}/tender", headers=seller.headers, json=body
    )
    assert r.status_code == 201, r.text
    buyer = await ineligible_buyer(market, settings, seller, case)
    refused(await market.bid(wanted["id"], buyer, quantity_t="100"), case)


@pytest.mark.parametrize("case", CASES)
async def test_a_monthly_contract_is_refused(market: Market, settings: Any, case: str) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case, cadence="monthly", quantity_t="1200")
    buyer = await ineligible_buyer(market, settings, seller, case)
    # 60 t in this month (and 60 in the next): more than the 50 t left this year.
    standing = {"quantity_t": None, "tonnes_per_month": "60", "term_months": 2}
    refused(await market.buy(wanted["id"], buyer, **standing), case)
    refused(await market.bid(wanted["id"], buyer, **standing), case)


async def test_the_eligible_buyer_deals_on_every_path(market: Market, settings: Any) -> None:
    seller = await market.seller()
    buyer = await eligible_buyer(market, settings, "no permit")
    lead = await lot(market, seller, "no permit")
    lfp = await lot(market, seller, "not MIIT-listed")
    assert (await market.ok_buy(lead["id"], buyer, quantity_t="40"))["quantity_t"] == "40.000"
    assert (await market.ok_buy(lfp["id"], buyer, quantity_t="500"))["quantity_t"] == "500.000"
    bid = await market.ok_bid(lead["id"], buyer, quantity_t="60")
    r = await market.act(bid["id"], "accept", seller)
    assert r.status_code == 200, r.text
    # 40 + 60 = 100 of 150 t taken this year; the permit list says so.
    permits = (await market.get(f"/organizations/{buyer.org_id}/permits", buyer)).json()
    (permit,) = permits["items"]
    assert permit["taken_t"] == "100.000" and permit["remaining_t"] == "50.000"
    assert_problem(await market.buy(lead["id"], buyer, quantity_t="50.001"), 409, "50.000 t")
    assert (await market.ok_buy(lead["id"], buyer, quantity_t="50"))["quantity_t"] == "50.000"


# --- paths where the deal is born later ----------------------------------------------------


async def _bid_then_spoil(
    market: Market, settings: Any, case: str, **bid: Any
) -> tuple[Party, Party, dict[str, Any], dict[str, Any]]:
    seller = await market.seller()
    wanted = await lot(market, seller, case)
    buyer = await eligible_buyer(market, settings, case)
    offer = await market.ok_bid(wanted["id"], buyer, quantity_t="100", **bid)
    await spoil(market, settings, seller, buyer, offer["id"], case)
    return seller, buyer, wanted, offer


@pytest.mark.parametrize("case", CASES)
async def test_accepting_is_refused_once_the_buyer_is_ineligible(
    market: Market, settings: Any, case: str
) -> None:
    seller, _buyer, wanted, offer = await _bid_then_spoil(market, settings, case)
    refused(await market.act(offer["id"], "accept", seller), case)
    assert (await market.get(f"/bids/{offer['id']}", seller)).json()["status"] == "pending"
    assert await reserved(market, seller, wanted["id"]) == "0.000"


@pytest.mark.parametrize("case", CASES)
async def test_a_counter_to_an_ineligible_buyer_is_refused(
    market: Market, settings: Any, case: str
) -> None:
    seller, _buyer, _wanted, offer = await _bid_then_spoil(market, settings, case)
    refused(await market.act(offer["id"], "counter", seller, {"price_cny_t": "33.00"}), case)
    assert (await market.get(f"/bids/{offer['id']}", seller)).json()["status"] == "pending"


@pytest.mark.parametrize("case", CASES)
async def test_tender_close_skips_an_ineligible_winner(
    market: Market, settings: Any, case: str
) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case, quantity_t="100")
    body = {"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"}
    r = await market.client.post(
        f"/api/v1/listings/{wanted['id']}/tender", headers=seller.headers, json=body
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    best = await eligible_buyer(market, settings, case)
    runner_up = await eligible_buyer(market, settings, case)
    top = await market.ok_bid(wanted["id"], best, quantity_t="100", price_cny_t="40.00")
    second = await market.ok_bid(wanted["id"], runner_up, quantity_t="100", price_cny_t="30.00")
    if case == "capacity exceeded":
        await set_where(settings, "permits", best.org_id, annual_capacity_t=50)
    else:
        await spoil(market, settings, seller, best, top["id"], case)
    await make_due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["outcome"] == "awarded" and closed["winning_bid_id"] == second["id"]
    assert (await market.get(f"/bids/{top['id']}", seller)).json()["status"] == "lost"
    trail = (await market.get(f"/audit?entity=bid&id={top['id']}", seller)).json()
    assert "ineligible" in str(trail), trail


# --- capacity by calendar year ------------------------------------------------------------


async def test_a_monthly_contract_counts_in_the_years_its_months_fall_in(
    market: Market, settings: Any
) -> None:
    """10 t × 12 months against 100 t/yr: from January all 120 t fall in one year (409);
    from July 60 t fall in each of two years, which fits."""
    seller = await market.seller()
    wanted = await lot(market, seller, "no permit", cadence="monthly", quantity_t="1200")
    buyer = await market.buyer()
    await grant_permit(settings, buyer.org_id, "HW31", annual_capacity_t="100")
    year = datetime.now(UTC).year + 1
    standing = {"quantity_t": None, "tonnes_per_month": "10", "term_months": 12}
    january = {"delivery_from": f"{year}-01-01", **standing}
    assert_problem(
        await market.buy(wanted["id"], buyer, **january), 409, f"{year} annual", "120.000 t"
    )
    july = {"delivery_from": f"{year}-07-01", **standing}
    deal = await market.ok_buy(wanted["id"], buyer, **july)
    assert deal["quantity_t"] == "120.000"
    # The next contract from the same July finds 40 t left in each year.
    assert_problem(await market.buy(wanted["id"], buyer, **july), 409, "40.000 t")


@pytest.mark.parametrize("case", CASES)
async def test_accepting_a_monthly_contract_is_refused_once_the_buyer_is_ineligible(
    market: Market, settings: Any, case: str
) -> None:
    seller = await market.seller()
    wanted = await lot(market, seller, case, cadence="monthly", quantity_t="1200")
    buyer = await eligible_buyer(market, settings, case)
    standing = {"quantity_t": None, "tonnes_per_month": "60", "term_months": 2}
    offer = await market.ok_bid(wanted["id"], buyer, **standing)
    await spoil(market, settings, seller, buyer, offer["id"], case)
    refused(await market.act(offer["id"], "accept", seller), case)
    assert await reserved(market, seller, wanted["id"]) == "0.000"
