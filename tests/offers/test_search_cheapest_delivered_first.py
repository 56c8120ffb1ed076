"""A buyer can rank listings by delivered cost (price + haul to its site), not only by distance.

Two lots of the same material: a near one at 20 CNY/t and one 45 km further at -15 CNY/t
(the producer pays). By distance the near one is first; delivered, the far one is cheaper
by about 35 − 0.45 × 1.3 × 45 ≈ 8.7 CNY/t, so it comes first, and each says its cost.
"""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import Actors, assert_problem
from tests.web.helpers import api_listing

CENTRE = {"lat": 31.03, "lon": 112.20}


async def test_cheapest_delivered_first_with_its_cost(client, actors: Actors) -> None:
    producer, org, near_site = await actors.producer(112.21, 31.03)
    far_site = await actors.site(producer, org["id"], 112.68, 31.03)
    near = await api_listing(client, producer, near_site["id"], price="20.00", title="近")
    far = await api_listing(client, producer, far_site["id"], price="-15.00", title="远")
    buyer, _, _ = await actors.producer(112.0, 31.0, kind="consumer")
    query = {"material": "fly_ash", **CENTRE, "radius_km": 100}

    nearest = (await client.get("/api/v1/listings", params=query, headers=buyer)).json()
    assert [i["id"] for i in nearest["items"]] == [near["id"], far["id"]]
    assert all(i["delivered_cny_t"] is None for i in nearest["items"])

    r = await client.get("/api/v1/listings", params=query | {"sort": "delivered"}, headers=buyer)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["id"] for i in items] == [far["id"], near["id"]]
    for item in items:
        haul = Decimal("0.45") * Decimal("1.3") * Decimal(item["distance_km"])
        expected = (Decimal(item["price_cny_t"]) + haul).quantize(Decimal("0.01"))
        assert Decimal(item["delivered_cny_t"]) == expected


async def test_delivered_order_needs_a_delivery_point(client, actors: Actors) -> None:
    buyer, _, _ = await actors.producer(kind="consumer")
    r = await client.get("/api/v1/listings", params={"sort": "delivered"}, headers=buyer)
    assert_problem(r, 422, "sort")
    r = await client.get("/api/v1/listings", params={"sort": "cheapest"}, headers=buyer)
    assert_problem(r, 422, "sort", "cheapest")


async def test_the_listings_page_ranks_by_delivered_cost(client, actors: Actors) -> None:
    from tests.web.helpers import web_login

    producer, org, near_site = await actors.producer(112.21, 31.03)
    far_site = await actors.site(producer, org["id"], 112.68, 31.03)
    await api_listing(client, producer, near_site["id"], price="20.00", title="近处的灰")
    await api_listing(client, producer, far_site["id"], price="-15.00", title="远处的灰")
    buyer = await actors.user("cost_buyer")
    await actors.site(buyer, (await actors.org(buyer, kind="consumer"))["id"], 112.20, 31.03)
    await web_login(client, "cost_buyer@example.cn")
    query = {"material": "fly_ash", "radius_km": "100"}

    page = (await client.get("/listings", params=query)).text
    assert page.index("近处的灰") < page.index("远处的灰") and 'class="num delivered"' not in page
    page = (await client.get("/listings", params=query | {"sort": "delivered"})).text
    assert page.index("远处的灰") < page.index("近处的灰")
    assert "到厂价最低优先" in page and 'class="num delivered"' in page

    r = await client.get(
        "/listings", params={"material": "fly_ash", "near": "", "sort": "delivered"}
    )
    assert r.status_code == 422 and "请先选择收货地点" in r.text
