"""A small hand-worked fly-ash market for the allocation tests, built through the real API.

==========  ===============  =======  ==========  ==============================
who         site (WGS84)     tonnes   price/limit
==========  ===============  =======  ==========  ==============================
P1 电厂      112.20, 31.03    100 lot  10 CNY/t    ledger 2026-03: 1000 generated,
                                                  200 used in-house, 800 stored
P2 电厂      112.30, 31.03    50 lot   5 CNY/t
C1 搅拌站    112.20, 31.03    80       max 50 km
C2 水泥厂    112.30, 31.03    60
==========  ===============  =======  ==========  ==============================

P1 and C1 share a point, as do P2 and C2; the two points are 0.1° of longitude apart
(about 9.5 km, 12.4 road km with the 1.3 circuity). Everything fits (140 t of demand, 150 t
of supply), so the solver moves 140 t at least cost: P1→C1 80 t at 10, P2→C2 50 t at 5, and
C2's remaining 10 t from P1 at 10 + freight (P2 is used up), leaving 10 t of P1 unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.city import ledger_body, post_ledger
from tests.conftest import Actors

H = dict[str, str]


@dataclass
class Market:
    p1: H
    p2: H
    c1: H
    c2: H
    org: dict[str, int]
    site: dict[str, int]
    listing: dict[str, int]
    demand: dict[str, int]


async def post(
    client: AsyncTestClient[Litestar], url: str, headers: H, body: dict[str, Any]
) -> Any:
    r = await client.post(url, headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def build_market(client: AsyncTestClient[Litestar], actors: Actors) -> Market:
    parties: dict[str, tuple[H, dict[str, Any], dict[str, Any]]] = {}
    for name, lon, kind in (
        ("p1", 112.20, "producer"),
        ("p2", 112.30, "producer"),
        ("c1", 112.20, "consumer"),
        ("c2", 112.30, "consumer"),
    ):
        parties[name] = await actors.producer(lon=lon, lat=31.03, kind=kind)
    m = Market(
        p1=parties["p1"][0],
        p2=parties["p2"][0],
        c1=parties["c1"][0],
        c2=parties["c2"][0],
        org={k: v[1]["id"] for k, v in parties.items()},
        site={k: v[2]["id"] for k, v in parties.items()},
        listing={},
        demand={},
    )
    for name, qty, price in (("p1", "100", "10.00"), ("p2", "50", "5.00")):
        lot = await post(
            client,
            "/api/v1/listings",
            parties[name][0],
            {
                "site_id": m.site[name],
                "material_code": "fly_ash",
                "quantity_t": qty,
                "price_cny_t": price,
                "title": f"粉煤灰 {name}",
            },
        )
        m.listing[name] = lot["id"]
    for name, qty, haul in (("c1", "80", "50"), ("c2", "60", None)):
        body: dict[str, Any] = {
            "site_id": m.site[name],
            "material_code": "fly_ash",
            "quantity_t": qty,
            "title": f"求购粉煤灰 {name}",
        }
        if haul:
            body["max_haul_km"] = haul
        m.demand[name] = (await post(client, "/api/v1/demands", parties[name][0], body))["id"]
    await post_ledger(
        client,
        m.p1,
        ledger_body(
            m.site["p1"],
            "fly_ash",
            "2026-03",
            generated_t="1000",
            used_inhouse_t="200",
            stored_t="800",
        ),
    )
    return m
