"""Building blocks for the alerts tests, all through the real API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Actors

#: The buyer's cement plant near Jingmen's centre; producers are placed relative to it.
BUYER_LON, BUYER_LAT = 112.20, 31.03


@dataclass
class Buyer:
    headers: dict[str, str]
    org: dict[str, Any]
    site: dict[str, Any]


async def make_buyer(actors: Actors, lon: float = BUYER_LON, lat: float = BUYER_LAT) -> Buyer:
    headers, org, site = await actors.producer(lon=lon, lat=lat, kind="consumer")
    return Buyer(headers, org, site)


def search_body(site_id: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": site_id,
        "material_code": "fly_ash",
        "radius_km": "30",
        "requirements": {"loi_pct": {"max": "8"}},
        "max_price_cny_t": "20.00",
    }
    body.update(over)
    return body


async def save_search(
    client: AsyncTestClient[Litestar], buyer: Buyer, **over: Any
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/saved-searches", headers=buyer.headers, json=search_body(buyer.site["id"], **over)
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def set_webhook(
    client: AsyncTestClient[Litestar], buyer: Buyer, url: str | None
) -> dict[str, Any]:
    r = await client.put(
        f"/api/v1/organizations/{buyer.org['id']}/webhook", headers=buyer.headers, json={"url": url}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def listing_body(site_id: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": site_id,
        "material_code": "fly_ash",
        "quantity_t": "800",
        "spec": {"loi_pct": "4.5", "residue_45um_pct": "18"},
        "price_cny_t": "12.00",
        "title": "二级粉煤灰",
    }
    body.update(over)
    return body


async def post_listing(
    client: AsyncTestClient[Litestar], headers: dict[str, str], site_id: int, **over: Any
) -> dict[str, Any]:
    r = await client.post("/api/v1/listings", headers=headers, json=listing_body(site_id, **over))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def notifications(
    client: AsyncTestClient[Litestar], headers: dict[str, str], query: str = ""
) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/notifications{query}", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def deliveries(
    client: AsyncTestClient[Litestar], headers: dict[str, str], query: str = ""
) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/webhook-deliveries{query}", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
