"""Regressions from the first review: privacy of distances, and bad numbers that reached the DB."""

from __future__ import annotations

from typing import Any

from market.stats.export import _cell, _csv_cell, safe_text
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


async def test_fuzz_findings_are_4xx(client, actors: Actors, settings) -> None:
    """Inputs the schemathesis run turned into 500s."""
    headers, org, site = await actors.producer()
    # control characters (NUL is refused by PostgreSQL; others break spreadsheets)
    for text in ("a\u0000b", "Evil\u0001Co", "bell\u0007"):
        r = await client.post(
            "/api/v1/listings",
            headers=headers,
            json={
                "site_id": site["id"],
                "material_code": "fly_ash",
                "quantity_t": "1",
                "price_cny_t": "1",
                "title": text,
            },
        )
        assert_problem(r, 422, "title", "control characters")
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=headers,
        json={"name": "厂\u0000区", "lon": 112.2, "lat": 31.0},
    )
    assert_problem(r, 422, "name", "control characters")
    ok = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=headers,
        json={"name": "厂区", "address": "第一行\n第二行", "lon": 112.2, "lat": 31.0},
    )
    assert ok.status_code == 201  # newlines are fine
    # NUL in a query string: PostgreSQL refuses it (422); SQLite simply finds nothing
    r = await client.get("/api/v1/listings", params={"material": "a\u0000b"}, headers=headers)
    assert r.status_code == (200 if settings.is_sqlite else 422), r.text
    # deeply nested JSON
    nested = '{"spec":' + "[" * 1000 + "]" * 1000 + "}"
    r = await client.post(
        "/api/v1/listings",
        headers=headers | {"content-type": "application/json"},
        content=nested.encode(),
    )
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(
        "application/problem+json"
    )
    # empty body names the body
    r = await client.post("/api/v1/listings", headers=headers)
    assert_problem(r, 422, "a JSON body is required")
    # a datetime that overflows when converted to UTC, on a real listing of another firm
    seller, _, seller_site = await actors.producer(lon=112.3, lat=31.1)
    lot = await _lot(client, seller, seller_site["id"])
    r = await client.post(
        f"/api/v1/listings/{lot['id']}/bids",
        headers=headers,
        json={
            "site_id": site["id"],
            "quantity_t": "1",
            "price_cny_t": "30",
            "expires_at": "9999-12-31T23:59:59-12:00",
        },
    )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
