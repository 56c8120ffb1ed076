"""The demo's year of trading: made through the services, booked in the ledgers, and idempotent.

One demo load per backend (it is the slow part): the exchange share of 2026 is above zero for
fly ash and phosphogypsum on ``GET /stats/utilisation``, every ledger still balances, every
listing's books agree with its deals and every deal's with its receipts, the eligibility rules
held, the dates are spread over the demo year, a second load adds nothing, and each role the
demo needs has a printed login that logs in.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from decimal import Decimal
from typing import Any

from sqlmodel import col, func, select

from market.accounts.models import Organization, Permit
from market.catalogue.seed import MATERIALS_BY_CODE
from market.core.settings import Settings
from market.demo.load import DemoReport, load_demo
from market.demo.roster import ROSTER
from market.demo.seed import build_demo
from market.demo.trades import load_trade_rows
from market.ledger.models import Ledger
from market.offers.models import Listing
from market.trading.deals import CHINA
from market.trading.models import Bid, Deal, Shipment, ShipmentDispute
from tests.trading.helpers import API, in_db

COUNTED = (Organization, Listing, Deal, Bid, Shipment, ShipmentDispute, Ledger)


async def _counts(session: Any) -> dict[str, int]:
    return {
        m.__name__: (await session.exec(select(func.count()).select_from(m))).one() for m in COUNTED
    }


def _credited(s: Shipment, d: ShipmentDispute | None) -> Decimal:
    """What a receipt counts for on its deal (market.trading.shipments / disputes)."""
    assert s.received_t is not None
    if d is not None and d.settled_t is not None:
        return d.settled_t
    if s.status == "disputed":
        return min(s.received_t, s.dispatched_t)
    return s.received_t


async def _books(session: Any) -> dict[str, Any]:
    listings = {x.id: x for x in (await session.exec(select(Listing))).all()}
    deals = list((await session.exec(select(Deal))).all())
    rows = (
        await session.exec(
            select(Shipment, ShipmentDispute).outerjoin(
                ShipmentDispute, col(ShipmentDispute.shipment_id) == col(Shipment.id)
            )
        )
    ).all()
    orgs = {o.id: o for o in (await session.exec(select(Organization))).all()}
    permits = {(p.organization_id, p.kind) for p in (await session.exec(select(Permit))).all()}
    return {
        "listings": listings,
        "deals": deals,
        "shipments": rows,
        "orgs": orgs,
        "permits": permits,
    }


def _check_books(b: dict[str, Any], tolerance_pct: Decimal) -> None:
    deals: list[Deal] = b["deals"]
    by_deal: dict[int, list[tuple[Shipment, ShipmentDispute | None]]] = {}
    for s, d in b["shipments"]:
        by_deal.setdefault(s.deal_id, []).append((s, d))
    # Every deal: delivered = what its receipts are credited with; made before its loads.
    for deal in deals:
        loads = by_deal.get(deal.id or 0, [])
        assert deal.delivered_t == sum((_credited(s, d) for s, d in loads), Decimal(0)), deal.id
        for s, _ in loads:
            assert deal.created_at <= s.dispatched_at <= (s.received_at or s.dispatched_at)
    # Every listing: delivered = Σ min(delivered, quantity) of its deals, reserved = what its
    # active deals still hold, never oversold.
    for listing_id, listing in b["listings"].items():
        mine = [d for d in deals if d.listing_id == listing_id]
        delivered = sum((min(d.delivered_t, d.quantity_t) for d in mine), Decimal(0))
        held = sum(
            (max(d.quantity_t - d.delivered_t, Decimal(0)) for d in mine if d.status == "active"),
            Decimal(0),
        )
        assert (listing.delivered_t, listing.reserved_t) == (delivered, held), listing_id
        assert listing.reserved_t + listing.delivered_t <= listing.quantity_t
    # Eligibility: batteries only to MIIT-listed recyclers, hazardous lots to permit holders.
    orgs, permits = b["orgs"], b["permits"]
    for deal in deals:
        material = MATERIALS_BY_CODE[deal.material_code]
        if material.battery:
            assert orgs[deal.buyer_org_id].miit_listed, deal.id
        if material.hazardous:
            assert any(org == deal.buyer_org_id for org, _ in permits), deal.id
    # Weighbridges: most loads differ a little, within the tolerance; one is settled.
    diffs = [s.discrepancy_pct for s, _ in b["shipments"]]
    assert sum(1 for x in diffs if x is not None and 0 < abs(x) <= tolerance_pct) >= 20
    settled = [d for _, d in b["shipments"] if d is not None]
    assert len(settled) == 1 and settled[0].status == "settled"
    assert settled[0].settled_t is not None


async def test_the_demo_year_is_traded_booked_and_loaded_once(
    settings: Settings, client: Any
) -> None:
    async def first(session: Any) -> DemoReport:
        return await load_demo(session, settings)

    report = await in_db(settings, first)
    before = await in_db(settings, _counts)
    again = await in_db(settings, lambda s: load_demo(s, settings))
    assert await in_db(settings, _counts) == before
    assert (again.organizations, again.listings, again.trades.deals) == (0, 0, 0)
    assert again.trades.shipments == 0 and "nothing to add" in again.summary()

    # A few dozen deals over the year, across the main materials, through every path.
    assert 30 <= report.trades.deals == before["Deal"] <= 60
    assert report.trades.shipments == before["Shipment"] and before["ShipmentDispute"] == 1
    b = await in_db(settings, _books)
    _check_books(b, settings.receipt_tolerance_pct)
    materials = Counter(d.material_code for d in b["deals"])
    assert {"fly_ash", "phosphogypsum", "ggbs", "steel_slag", "furnace_slag"} <= set(materials)
    assert {"battery_lfp", "battery_ncm", "battery_lead_acid"} <= set(materials)
    assert {d.terms["source"] for d in b["deals"]} == {"buy", "bid", "counter"}
    months = {
        s.received_at.astimezone(CHINA).strftime("%Y-%m")
        for s, _ in b["shipments"]
        if s.received_at is not None
    }
    assert len(months) >= 10, months
    assert all(s.received_at is None or s.received_at.tzinfo == UTC for s, _ in b["shipments"])

    # The regulator's figures: exchange receipts in the year, every ledger still balanced.
    login = await client.post(
        f"{API}/auth/login",
        json={"email": "regulator@demo.jingmen.example", "password": "demo-regulator-2026"},
    )
    assert login.status_code == 201, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    r = await client.get(f"{API}/stats/utilisation?year=2026&group_by=material", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    groups = {g["key"]: g for g in body["groups"]}
    for material in ("fly_ash", "phosphogypsum"):
        assert Decimal(groups[material]["exchange_received_t"]) > 0, material
        assert Decimal(groups[material]["exchange_share_pct"]) > 0, material
    assert Decimal(body["totals"]["exchange_share_pct"]) > 0
    assert body["checks"]["unbalanced_count"] == 0
    assert body["checks"]["receipts_without_ledger_months"] == 0
    pg = Decimal(groups["phosphogypsum"]["utilisation_rate_pct"])
    assert Decimal(30) <= pg <= Decimal(60)

    # Every role the demo needs has a printed login, and each printed login works.
    await _check_logins(report, client)


async def _check_logins(report: DemoReport, client: Any) -> None:
    data = build_demo()
    by_email = {o.admin.email: o for o in data.orgs}
    printed = [by_email.get(email) for _, email, _ in report.logins]
    assert report.logins[0][1] == data.platform_admin.email
    orgs = [o for o in printed if o is not None]
    site_org = {s.key: o.key for o in data.orgs for s in o.sites}
    supplies = {(site_org[s.site], s.material) for s in ROSTER.supply}
    wants = {(site_org[d.site], d.use) for d in ROSTER.demand}

    def produces(material: str) -> bool:
        return any(o.kind == "producer" and (o.key, material) in supplies for o in orgs)

    def buys(use: str) -> bool:
        return any(o.kind == "consumer" and (o.key, use) in wants for o in orgs)

    for material in ("fly_ash", "ggbs", "steel_slag", "phosphogypsum", "furnace_slag"):
        assert produces(material), material
    assert produces("battery_lfp") or produces("battery_ncm")
    for use in (
        "cement_admixture",
        "concrete_admixture",
        "brick_block",
        "road_base",
        "mine_backfill",
    ):
        assert buys(use), use
    assert any(o.kind == "recycler" and o.miit_listed for o in orgs)
    assert any(o.kind == "carrier" for o in orgs)
    assert any(o.kind == "regulator" for o in orgs)
    # The story's sellers and buyers are among them, so the logins show the trades.
    story_orgs = {site_org[row.site] for row in load_trade_rows()}
    assert {"jingmen_power", "huji_phos_a", "jingmen_steel"} <= story_orgs & {o.key for o in orgs}
    for role, email, password in report.logins:
        r = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
        assert r.status_code == 201, (role, r.text)
        me = await client.get(
            f"{API}/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert me.status_code == 200, me.text
        if role.startswith("regulator"):
            assert me.json()["role"] == "regulator"
