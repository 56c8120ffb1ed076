"""Regressions from the first review: privacy of distances, and bad numbers that reached the DB."""

from __future__ import annotations

from typing import Any

from market.services.stats_export import _cell, _csv_cell, safe_text
from tests.conftest import Actors, assert_problem


async def _lot(client: Any, headers: dict[str, str], site_id: int) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/listings",
        headers=headers,
        json={
            "site_id": site_id,
            "material_code": "fly_ash",
            "quantity_t": "100",
            "price_cny_t": "30",
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_narrow_searches_cannot_locate_an_anonymous_site(client, actors: Actors) -> None:
    # True site 112.2037, 31.0363 is shown to others as 112.20, 31.04 (about 350 m away).
    producer, _, site = await actors.producer(lon=112.2037, lat=31.0363)
    lot = await _lot(client, producer, site["id"])
    stranger = await actors.user()
    exact = {"lat": 31.0363, "lon": 112.2037, "radius_km": 0.05}
    seen = (await client.get("/api/v1/listings", params=exact, headers=stranger)).json()
    assert seen["total"] == 0  # measured from the shown point: 0.4 km away, outside 50 m
    shown = {"lat": 31.04, "lon": 112.20, "radius_km": 0.5}
    near_shown = (await client.get("/api/v1/listings", params=shown, headers=stranger)).json()
    assert [i["id"] for i in near_shown["items"]] == [lot["id"]]
    assert near_shown["items"][0]["distance_km"] == "0.0"
    far = (
        await client.get("/api/v1/listings", params={"lat": 31.10, "lon": 112.20}, headers=stranger)
    ).json()
    assert far["items"][0]["distance_km"].endswith(".0")  # whole km for anonymous lots
    mine = (await client.get("/api/v1/listings", params=exact, headers=producer)).json()
    assert [i["id"] for i in mine["items"]] == [lot["id"]]  # the owner measures exactly


async def test_out_of_range_numbers_are_4xx_not_500(client, actors: Actors, settings) -> None:
    headers = await actors.user()
    for q, fragment in (
        ("1.0001", "decimal places"),
        ("1e20", "below"),
        ("-1", "non-negative"),
        ("NaN", "non-negative"),
    ):
        r = await client.get("/api/v1/listings", params={"min_quantity_t": q}, headers=headers)
        assert_problem(r, 422, "min_quantity_t", fragment)
        r = await client.get("/api/v1/demands", params={"min_quantity_t": q}, headers=headers)
        assert_problem(r, 422, "min_quantity_t")
    assert_problem(await client.get("/api/v1/listings?page=2000000", headers=headers), 422, "page")
    big = await client.get("/api/v1/listings/3000000000", headers=headers)  # beyond int32
    assert_problem(big, 404 if settings.is_sqlite else 422)
    huge = await client.get(
        "/api/v1/listings/99999999999999999999", headers=headers
    )  # beyond int64
    assert_problem(huge, 422, "out of range")


def test_exports_neutralise_formulas() -> None:
    assert safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_text("+1") == "'+1" and safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("荆门磷化") == "荆门磷化"
    assert _csv_cell("-cmd") == "'-cmd" and _cell("=1+1") == "'=1+1"
    from decimal import Decimal

    assert _csv_cell(Decimal("-12.50")) == "-12.50"  # numbers keep their sign
