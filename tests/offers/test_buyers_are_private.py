"""Buyers are private too: other organisations see a demand's buyer as anonymous and its site
rounded to 0.01°, as for supply, until a deal on that demand; members of the buyer and
regulators see it in full. Distances to an anonymous demand are measured from the shown point
and given in whole km."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from geodata.distance import geodesic_km_many
from market.offers.privacy import ANONYMOUS_BUYER
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import API, Market, Party, make_regulator
from tests.web.helpers import web_login

#: The buyer's receiving site, exact to the metre; others are shown (112.12, 31.23).
SITE = (112.123456, 31.234567)
SHOWN = (112.12, 31.23)
CENTRE = (112.20, 31.03)


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def _buyer_with_demand(market: Market, **over: Any) -> tuple[Party, dict[str, Any]]:
    buyer = await market.buyer(lon=SITE[0], lat=SITE[1])
    body = {
        "site_id": buyer.site["id"],
        "material_code": "fly_ash",
        "quantity_t": "500",
        "title": "商混站求购粉煤灰",
        "max_price_cny_t": "60.00",
    } | over
    r = await market.client.post(f"{API}/demands", headers=buyer.headers, json=body)
    assert r.status_code == 201, r.text
    return buyer, dict(r.json())


def assert_anonymous(view: dict[str, Any]) -> None:
    assert view["anonymous"] is True
    assert view["organization"]["id"] is None
    assert view["organization"]["name"] == ANONYMOUS_BUYER
    assert view["organization"]["kind"] == "consumer"
    site = view["site"]
    assert site["id"] is None and site["name"] is None and site["address"] is None
    assert (site["lon"], site["lat"]) == SHOWN and site["approximate"] is True
    assert site["district_code"], "the district is still shown"
    # What the buyer asks for is the point of a demand: it stays visible.
    assert view["title"] == "商混站求购粉煤灰" and view["max_price_cny_t"] == "60.00"


def assert_full(view: dict[str, Any], buyer: Party) -> None:
    assert view["anonymous"] is False
    assert view["organization"]["id"] == buyer.org_id
    assert view["organization"]["name"] == buyer.org["name"]
    site = view["site"]
    assert site["id"] == buyer.site["id"] and site["name"] == buyer.site["name"]
    assert site["address"] == buyer.site["address"]
    assert (site["lon"], site["lat"]) == SITE and site["approximate"] is False


async def test_others_see_the_buyer_anonymous_members_and_regulators_in_full(
    market: Market, settings: Any
) -> None:
    buyer, demand = await _buyer_with_demand(market)
    assert_full(demand, buyer)  # the poster's own answer to POST
    url = f"/demands/{demand['id']}"
    assert_full((await market.get(url, buyer)).json(), buyer)
    regulator = await make_regulator(settings, market.actors, "reg-demands@example.cn")
    assert_full((await market.get(url, regulator)).json(), buyer)
    stranger = await market.seller()
    assert_anonymous((await market.get(url, stranger)).json())
    found = (await market.get("/demands?material=fly_ash", stranger)).json()["items"]
    assert [d["id"] for d in found] == [demand["id"]]
    assert_anonymous(found[0])
    assert buyer.org["name"] not in (await market.get(url, stranger)).text


async def test_distances_to_anonymous_demands_are_from_the_shown_point_in_whole_km(
    market: Market,
) -> None:
    buyer, demand = await _buyer_with_demand(market)
    stranger = await market.seller()
    query = f"/demands?material=fly_ash&lon={CENTRE[0]}&lat={CENTRE[1]}"
    (seen,) = (await market.get(query, stranger)).json()["items"]
    (shown_km,) = geodesic_km_many(*CENTRE, [SHOWN[0]], [SHOWN[1]])
    assert Decimal(seen["distance_km"]) == Decimal(round(shown_km)).quantize(Decimal("0.1"))
    (own,) = (await market.get(query, buyer)).json()["items"]
    (exact_km,) = geodesic_km_many(*CENTRE, [SITE[0]], [SITE[1]])
    assert Decimal(own["distance_km"]) == Decimal(str(round(exact_km, 1)))
    # A radius cannot pin the site down either: it filters on the rounded distance.
    inside = f"{query}&radius_km={round(shown_km)}"
    assert [d["id"] for d in (await market.get(inside, stranger)).json()["items"]] == [demand["id"]]


async def test_a_deal_on_the_demand_lifts_the_anonymity_for_that_seller_only(
    market: Market,
) -> None:
    buyer, demand = await _buyer_with_demand(market)
    dealt, other = await market.seller(), await market.seller()
    lot = await market.listing(dealt)
    await market.ok_buy(lot["id"], buyer, quantity_t="100", demand_id=demand["id"])
    # A deal with the same buyer on something else lifts nothing.
    other_lot = await market.listing(other)
    await market.ok_buy(other_lot["id"], buyer, quantity_t="100")
    url = f"/demands/{demand['id']}"
    assert_full((await market.get(url, dealt)).json(), buyer)
    assert_anonymous((await market.get(url, other)).json())
    found = (await market.get("/demands?material=fly_ash", dealt)).json()["items"]
    assert_full(found[0], buyer)
    # Once the demand is closed, the seller with the deal may still read it; others may not.
    r = await market.client.patch(f"{API}{url}", headers=buyer.headers, json={"status": "closed"})
    assert r.status_code == 200, r.text
    assert_full((await market.get(url, dealt)).json(), buyer)
    assert_problem(await market.get(url, other), 404, "does not exist")


async def test_a_producers_matches_show_buyers_anonymous(market: Market) -> None:
    _, demand = await _buyer_with_demand(market, max_haul_km="200")
    seller = await market.seller(lon=CENTRE[0], lat=CENTRE[1])
    lot = await market.listing(seller)
    r = await market.get(f"/listings/{lot['id']}/matches", seller)
    assert r.status_code == 200, r.text
    (match,) = r.json()["items"]
    assert match["demand"]["id"] == demand["id"]
    assert_anonymous(match["demand"])
    # The road distance is the geodesic to the shown point × circuity 1.3.
    (shown_km,) = geodesic_km_many(*CENTRE, [SHOWN[0]], [SHOWN[1]])
    assert Decimal(match["road_km"]) == Decimal(str(round(shown_km * 1.3, 1)))


async def test_the_demand_page_hides_the_buyer_from_others(market: Market) -> None:
    buyer, demand = await _buyer_with_demand(market)
    email = "seller-page@example.cn"
    headers = await market.actors.user(email.split("@")[0])
    org = await market.actors.org(headers, kind="producer")
    await market.actors.site(headers, org["id"])
    await web_login(market.client, email, "secret-pass-1")
    page = await market.client.get(f"/demands/{demand['id']}")
    assert page.status_code == 200, page.text
    assert "匿名求购企业" in page.text
    assert buyer.org["name"] not in page.text and buyer.site["name"] not in page.text
    assert "None" not in page.text
