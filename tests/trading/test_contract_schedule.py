"""A standing contract's monthly call-offs: due, delivered, shortfall (rolled over or lapsed),
overrun beyond the tolerance, and no dispatch after the term.

The pure schedule is checked on hand-worked months; the API on a deal whose months are moved
into the past behind its back (its ``created_at`` and ``delivery_from``), so that loads can be
dispatched and received in earlier months.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from market.trading.schedule import CallOff, Contract, Month, schedule
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, Party, update_row

JAN = Month(2027, 1)


#: Midday in China on the given day of 2027.
def _at(month: int, day: int) -> datetime:
    return datetime(2027, month, day, 4, 0, tzinfo=UTC)


def _row(c: CallOff) -> tuple[str, str, str, str, str, str, str]:
    return (
        str(c.month),
        str(c.due_t),
        str(c.delivered_t),
        str(c.shortfall_t),
        str(c.overrun_t),
        str(c.carried_in_t),
        c.status,
    )


def test_a_shortfall_lapses_by_default() -> None:
    """100 t a month for 3 months from January, seen in mid-March: January got 60 (short 40,
    which lapses), February 100 (met), March 30 so far (still open, not short)."""
    contract = Contract(D(100), 3, JAN)
    receipts = [(_at(1, 10), D(60)), (_at(2, 3), D(70)), (_at(2, 20), D(30)), (_at(3, 5), D(30))]
    calls = schedule(contract, receipts, now=_at(3, 15))
    assert [_row(c) for c in calls] == [
        ("2027-01", "100", "60", "40", "0", "0", "short"),
        ("2027-02", "100", "100", "0", "0", "0", "met"),
        ("2027-03", "100", "30", "0", "0", "0", "open"),
    ]
    assert calls[2].remaining_t == D(70)


def test_a_shortfall_rolls_over_when_the_contract_says_so() -> None:
    """The same deliveries under roll_over: January's 40 t short makes February due 140, of
    which 100 came: 40 short again, carried into March (due 140)."""
    contract = Contract(D(100), 3, JAN, shortfall="roll_over")
    receipts = [(_at(1, 10), D(60)), (_at(2, 3), D(100)), (_at(3, 5), D(30))]
    calls = schedule(contract, receipts, now=_at(3, 15))
    assert [_row(c) for c in calls] == [
        ("2027-01", "100", "60", "40", "0", "0", "short"),
        ("2027-02", "140", "100", "40", "0", "40", "short"),
        ("2027-03", "140", "30", "0", "0", "40", "open"),
    ]
    assert calls[2].remaining_t == D(110)


def test_an_overrun_beyond_the_tolerance_is_shown_and_not_credited_forward() -> None:
    """2 % tolerance: January's 102 t against 100 is a full call-off; February's 103 t is 3 t
    over (beyond 2 t): an overrun, and March is still due its full 100."""
    contract = Contract(D(100), 3, JAN, tolerance_pct=D(2))
    receipts = [(_at(1, 10), D(102)), (_at(2, 10), D(103))]
    calls = schedule(contract, receipts, now=_at(4, 2))
    assert [_row(c) for c in calls] == [
        ("2027-01", "100", "102", "0", "0", "0", "met"),
        ("2027-02", "100", "103", "0", "3", "0", "overrun"),
        ("2027-03", "100", "0", "100", "0", "0", "short"),
    ]


def test_months_follow_china_time_and_loads_outside_the_term_count_at_its_ends() -> None:
    """A load received 31 January 17:00 UTC is 1 February in Jingmen; one received before the
    first month counts in it, one received after the last month (dispatched in it) in the
    last; months to come are upcoming; the last month's shortfall lapses even under roll_over."""
    contract = Contract(D(50), 2, Month(2027, 2), shortfall="roll_over")
    receipts = [
        (datetime(2027, 1, 31, 17, 0, tzinfo=UTC), D(20)),
        (_at(1, 20), D(5)),
        (_at(4, 1), D(10)),
    ]
    before = schedule(contract, receipts[:2], now=_at(1, 25))
    assert [c.status for c in before] == ["upcoming", "upcoming"]
    calls = schedule(contract, receipts, now=_at(5, 1))
    assert [_row(c) for c in calls] == [
        ("2027-02", "50", "25", "25", "0", "0", "short"),
        ("2027-03", "75", "10", "65", "0", "25", "short"),
    ]
    assert contract.ends_at() == datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    assert Month(2027, 12).plus(1) == Month(2028, 1) and Month(2027, 1).plus(-1) == Month(2026, 12)


def test_months_after_the_deal_ended_are_due_nothing() -> None:
    """A contract closed short in February: February is over (short), March and April ended."""
    contract = Contract(D(100), 4, JAN, shortfall="roll_over")
    calls = schedule(contract, [(_at(1, 9), D(100))], now=_at(6, 1), ended_at=_at(2, 14))
    assert [_row(c) for c in calls] == [
        ("2027-01", "100", "100", "0", "0", "0", "met"),
        ("2027-02", "100", "0", "100", "0", "0", "short"),
        ("2027-03", "0", "0", "0", "0", "0", "ended"),
        ("2027-04", "0", "0", "0", "0", "0", "ended"),
    ]


# --- Through the API -------------------------------------------------------------------------


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


def _month_start(months_back: int) -> date:
    """The first day of the China-time month ``months_back`` before this one."""
    this = Month.of(datetime.now(UTC)).plus(-months_back)
    return date(this.year, this.month, 1)


def _in_month(first: date, day: int = 10) -> str:
    """Midday in China on ``day`` of the month starting ``first``, as ISO UTC."""
    return datetime(first.year, first.month, day, 4, 0, tzinfo=UTC).isoformat()


async def _contract(
    market: Market, settings: Any, *, months_back: int, term: int, **over: Any
) -> tuple[Party, Party, dict[str, Any]]:
    """A standing contract of 100 t a month whose term started ``months_back`` months ago."""
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, cadence="monthly", quantity_t="1000")
    deal = await market.ok_buy(
        lot["id"], buyer, quantity_t=None, tonnes_per_month="100", term_months=term, **over
    )
    first = _month_start(months_back)
    made = datetime(first.year, first.month, 1, 0, 0, tzinfo=UTC) - timedelta(hours=8)
    await update_row(settings, "deals", deal["id"], created_at=made, delivery_from=first)
    return seller, buyer, deal


async def _load(market: Market, deal: dict[str, Any], seller: Party, buyer: Party, t: str, at: str):  # type: ignore[no-untyped-def]
    load = await market.ok_ship(deal["id"], seller, dispatched_t=t, dispatched_at=at)
    r = await market.receive(load["id"], buyer, received_t=t, received_at=at)
    assert r.status_code == 200, r.text


async def test_the_deal_shows_its_schedule_with_shortfall_rolled_over(
    market: Market, settings: Any
) -> None:
    seller, buyer, deal = await _contract(
        market, settings, months_back=2, term=3, shortfall="roll_over"
    )
    assert deal["shortfall"] == "roll_over"
    m2, m1 = _month_start(2), _month_start(1)
    await _load(market, deal, seller, buyer, "60", _in_month(m2))
    # Beyond the month's 140 t due plus the 2 % tolerance: allowed, and shown as an overrun.
    await _load(market, deal, seller, buyer, "150", _in_month(m1))
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    rows = [
        (c["due_t"], c["delivered_t"], c["shortfall_t"], c["overrun_t"], c["carried_in_t"])
        for c in seen["schedule"]
    ]
    assert rows == [
        ("100.000", "60.000", "40.000", "0.000", "0.000"),
        ("140.000", "150.000", "0.000", "10.000", "40.000"),
        ("100.000", "0.000", "0.000", "0.000", "0.000"),
    ]
    assert [c["status"] for c in seen["schedule"]] == ["short", "overrun", "open"]
    assert seen["schedule"][0]["month"] == f"{m2.year:04d}-{m2.month:02d}"
    assert seen["delivered_t"] == "210.000"


async def test_a_shortfall_lapses_by_default_and_one_off_deals_have_no_schedule(
    market: Market, settings: Any
) -> None:
    seller, buyer, deal = await _contract(market, settings, months_back=1, term=2)
    assert deal["shortfall"] == "lapse"
    await _load(market, deal, seller, buyer, "30", _in_month(_month_start(1)))
    calls = (await market.get(f"/deals/{deal['id']}", seller)).json()["schedule"]
    assert [(c["due_t"], c["shortfall_t"], c["carried_in_t"], c["status"]) for c in calls] == [
        ("100.000", "70.000", "0.000", "short"),
        ("100.000", "0.000", "0.000", "open"),
    ]
    lot = await market.listing(seller)
    one_off = await market.ok_buy(lot["id"], buyer, quantity_t="10")
    assert one_off["shortfall"] is None
    assert (await market.get(f"/deals/{one_off['id']}", buyer)).json()["schedule"] == []


async def test_a_dispatch_after_the_term_is_refused(market: Market, settings: Any) -> None:
    seller, _, deal = await _contract(market, settings, months_back=2, term=2)
    r = await market.ship(deal["id"], seller, dispatched_t="10")
    assert_problem(r, 409, "after its term")
    # Within the last month of the term a dispatch is still taken.
    await market.ok_ship(
        deal["id"], seller, dispatched_t="10", dispatched_at=_in_month(_month_start(1))
    )


async def test_the_policy_is_set_on_the_bid_and_carried_to_the_deal(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, cadence="monthly", quantity_t="1200")
    monthly = {"quantity_t": None, "tonnes_per_month": "100", "term_months": 6}
    assert_problem(await market.bid(lot["id"], buyer, shortfall="forgive"), 422, "shortfall")
    assert_problem(
        await market.bid(lot["id"], buyer, shortfall="roll_over"), 422, "shortfall", "standing"
    )
    bid = await market.ok_bid(lot["id"], buyer, shortfall="roll_over", **monthly)
    assert bid["shortfall"] == "roll_over"
    r = await market.act(bid["id"], "counter", seller, {"price_cny_t": "33.00"})
    assert r.status_code == 201, r.text
    counter = r.json()
    assert counter["shortfall"] == "roll_over"
    r = await market.act(counter["id"], "accept", buyer, {"tonnes_per_month": "50"})
    assert r.status_code == 200, r.text
    assert r.json()["deal"]["shortfall"] == "roll_over"
    plain = await market.ok_bid(lot["id"], buyer, **monthly)
    assert plain["shortfall"] == "lapse"
