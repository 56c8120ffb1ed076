"""The matcher reads the eligibility rule's own permit data: a buyer whose permit expired or
whose annual capacity is used up is not proposed, even from an index built a moment before
(issue 10, item 1)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actors
from tests.trading.helpers import API, Market, Party, grant_permit


async def _recycler(market: Market, actors: Actors) -> Party:
    headers, org, site = await actors.producer(lon=112.27, lat=31.02, kind="recycler")
    return Party(headers, org, site)


async def _demand(market: Market, who: Party) -> int:
    body = {
        "site_id": who.site["id"],
        "material_code": "battery_lead_acid",
        "quantity_t": "10",
        "max_haul_km": "200",
    }
    r = await market.client.post(f"{API}/demands", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_used_up_or_expired_permits_are_not_matched(
    client: Any, actors: Actors, settings: Any
) -> None:
    market = Market(client, actors)
    seller = await market.seller(lon=112.20, lat=30.98)
    lead = await market.listing(seller, material_code="battery_lead_acid", quantity_t="20")
    other = await market.listing(seller, material_code="battery_lead_acid", quantity_t="100")
    small, large, lapsed = [await _recycler(market, actors) for _ in range(3)]
    await grant_permit(settings, small.org_id, "HW31", annual_capacity_t="100")
    await grant_permit(settings, large.org_id, "HW31", annual_capacity_t="1000")
    await grant_permit(settings, lapsed.org_id, "HW31", valid_days=-2)
    demands = {who.org_id: await _demand(market, who) for who in (small, large, lapsed)}

    async def matched() -> set[int]:
        r = await market.get(f"/listings/{lead['id']}/matches", seller)
        assert r.status_code == 200, r.text
        return {i["demand"]["id"] for i in r.json()["items"]}

    assert await matched() == {demands[small.org_id], demands[large.org_id]}
    await market.ok_buy(other["id"], small, quantity_t="100")
    assert await matched() == {demands[large.org_id]}, "small's 100 t/yr are taken"
    # The rule agrees: the matcher proposed nothing it refuses.
    r = await market.buy(lead["id"], small, quantity_t="10")
    assert r.status_code == 409 and "annual capacity" in r.text
    assert (await market.buy(lead["id"], lapsed, quantity_t="10")).status_code == 403
