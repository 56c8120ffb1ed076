"""Compliance and matches over HTTP, on a small scenario worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from geodata.distance import geodesic_km_many
from tests.conftest import Actors, assert_problem
from tests.geo.test_regions_import_and_geocode import platform_admin

FLY_ASH_II = {"residue_45um_pct": "18.2", "water_demand_ratio_pct": "100", "loi_pct": "4.5"}


async def post(
    client: Any, url: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    r = await client.post(url, headers=headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_compliance_against_grades_demand_and_one_grade(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    listing = await post(
        client,
        "/api/v1/listings",
        headers,
        {
            "site_id": site["id"],
            "material_code": "fly_ash",
            "quantity_t": "1000",
            "price_cny_t": "40",
            "spec": FLY_ASH_II,
        },
    )
    url = f"/api/v1/listings/{listing['id']}/compliance"
    allg = (await client.get(url, headers=headers)).json()
    f_family = next(f for f in allg["families"] if f["grades"][0]["key"] == "gbt1596_f_i_concrete")
    assert (
        "F-II" in f_family["summary_en"]
        and "fails F-I" in f_family["summary_en"]
        and "18.2 > 12" in f_family["summary_en"]
    )
    assert f_family["grades"][0]["verdict"] == "fails"
    one = (await client.get(url, params={"grade": "gbt1596_f_i_concrete"}, headers=headers)).json()
    residue = next(p for p in one["parameters"] if p["parameter"] == "residue_45um_pct")
    assert one["verdict"] == "fails" and residue["status"] == "fail" and residue["margin"] == "-6.2"
    buyer, _, bsite = await actors.producer(kind="consumer")
    demand = await post(
        client,
        "/api/v1/demands",
        buyer,
        {
            "site_id": bsite["id"],
            "material_code": "fly_ash",
            "quantity_t": "500",
            "requirements": {"residue_45um_pct": {"max": "18.2"}},
        },
    )
    vs = (await client.get(url, params={"demand_id": demand["id"]}, headers=headers)).json()
    assert vs["verdict"] == "meets"  # 18.2 equals the "≤ 18.2" limit: passes
    assert_problem(
        await client.get(url, params={"grade": "gbt18046_s95"}, headers=headers), 422, "grade"
    )
    assert_problem(
        await client.get(url, params={"grade": "x", "demand_id": demand["id"]}, headers=headers),
        422,
        "not both",
    )
    assert_problem(await client.get(url, params={"demand_id": 999999}, headers=headers), 404)
    assert_problem(await client.get("/api/v1/listings/999999/compliance", headers=headers), 404)


async def test_listing_matches_rank_by_delivered_cost(client, actors: Actors) -> None:
    # One fly-ash lot at 东宝 (112.20, 31.03), asking ¥40/t, 1000 t available.
    producer, _, psite = await actors.producer(lon=112.20, lat=31.03)
    listing = await post(
        client,
        "/api/v1/listings",
        producer,
        {
            "site_id": psite["id"],
            "material_code": "fly_ash",
            "quantity_t": "1000",
            "price_cny_t": "40",
            "spec": FLY_ASH_II,
        },
    )
    buyers = {
        "near": (112.25, 31.05, {"max_haul_km": "100"}),
        "mid": (112.59, 31.17, {"max_haul_km": "100"}),
        "far": (113.11, 31.02, {"max_haul_km": "150"}),
        "too_far": (113.11, 31.02, {"max_haul_km": "50"}),  # haul limit excludes it
        "cheap": (112.26, 31.06, {"max_price_cny_t": "30"}),  # price limit excludes it
        "strict": (112.26, 31.06, {"grade": "gbt1596_f_i_concrete"}),  # spec fails F-I
    }
    ids: dict[str, int] = {}
    for name, (lon, lat, extra) in buyers.items():
        headers, _, site = await actors.producer(lon=lon, lat=lat, kind="consumer")
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "800"} | extra
        ids[name] = (await post(client, "/api/v1/demands", headers, body))["id"]
    # Road km = geodesic × 1.3; delivered = 40 + road km × 0.45: nearest is cheapest here,
    # so the expected order is near < mid < far, and the other three are filtered out.
    d = geodesic_km_many(112.20, 31.03, [112.25, 112.59, 113.11], [31.05, 31.17, 31.02])
    expected_delivered = [
        Decimal(40) + (Decimal(str(round(k * 1.3, 1))) * Decimal("0.45")).quantize(Decimal("0.01"))
        for k in d
    ]
    r = await client.get(f"/api/v1/listings/{listing['id']}/matches", headers=producer)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["demand"]["id"] for i in items] == [ids["near"], ids["mid"], ids["far"]]
    assert [Decimal(i["delivered_cny_t"]) for i in items] == expected_delivered
    first = items[0]
    assert first["compliance"]["verdict"] in ("meets", "incomplete")
    assert "km" in first["explanation_en"] and "到厂价" in first["explanation_zh"]
    assert first["explanation_en"].count(first["delivered_cny_t"]) == 1
    limited = (
        await client.get(f"/api/v1/listings/{listing['id']}/matches?limit=1", headers=producer)
    ).json()
    assert [i["demand"]["id"] for i in limited["items"]] == [ids["near"]]
    stranger = await actors.user()
    assert_problem(
        await client.get(f"/api/v1/listings/{listing['id']}/matches", headers=stranger), 403
    )
    assert_problem(
        await client.get(f"/api/v1/listings/{listing['id']}/matches?limit=0", headers=producer),
        422,
        "limit",
    )
    assert_problem(await client.get("/api/v1/listings/999999/matches", headers=producer), 404)


async def test_demand_matches_see_anonymous_lots(client, actors: Actors) -> None:
    producer, _, psite = await actors.producer(lon=112.20, lat=31.03)
    lot = await post(
        client,
        "/api/v1/listings",
        producer,
        {
            "site_id": psite["id"],
            "material_code": "ggbs",
            "quantity_t": "300",
            "price_cny_t": "220",
            "spec": {"specific_surface_m2_kg": "420", "activity_28d_pct": "97"},
        },
    )
    buyer, _, bsite = await actors.producer(lon=112.21, lat=31.04, kind="consumer")
    demand = await post(
        client,
        "/api/v1/demands",
        buyer,
        {
            "site_id": bsite["id"],
            "material_code": "ggbs",
            "quantity_t": "100",
            "grade": "gbt18046_s95",
            "max_haul_km": "60",
        },
    )
    r = await client.get(f"/api/v1/demands/{demand['id']}/matches", headers=buyer)
    items = r.json()["items"]
    assert [i["listing"]["id"] for i in items] == [lot["id"]]
    assert (
        items[0]["listing"]["anonymous"] is True
        and items[0]["listing"]["organization"]["id"] is None
    )
    assert_problem(
        await client.get(f"/api/v1/demands/{demand['id']}/matches", headers=producer), 403
    )


async def test_hazardous_and_battery_lots_need_permits_or_miit(
    client, actors: Actors, settings
) -> None:
    admin = await platform_admin(settings, actors)
    producer, _, psite = await actors.producer(lon=112.20, lat=30.98)
    lead = await post(
        client,
        "/api/v1/listings",
        producer,
        {
            "site_id": psite["id"],
            "material_code": "battery_lead_acid",
            "quantity_t": "20",
            "price_cny_t": "7000",
        },
    )
    lfp = await post(
        client,
        "/api/v1/listings",
        producer,
        {
            "site_id": psite["id"],
            "material_code": "battery_lfp",
            "quantity_t": "5",
            "price_cny_t": "12000",
        },
    )
    recyclers = {}
    demands: dict[tuple[str, str], int] = {}
    for name in ("licensed", "unlicensed"):
        headers, org, site = await actors.producer(lon=112.27, lat=31.02, kind="recycler")
        recyclers[name] = org
        for material in ("battery_lead_acid", "battery_lfp"):
            demands[name, material] = (
                await post(
                    client,
                    "/api/v1/demands",
                    headers,
                    {
                        "site_id": site["id"],
                        "material_code": material,
                        "quantity_t": "10",
                        "max_haul_km": "200",
                    },
                )
            )["id"]
    r = await client.post(
        f"/api/v1/organizations/{recyclers['licensed']['id']}/permits",
        headers=admin,
        json={"kind": "HW31", "number": "鄂危废001", "valid_until": "2030-12-31"},
    )
    assert r.status_code == 201 and r.json()["valid"] is True
    r = await client.put(
        f"/api/v1/organizations/{recyclers['licensed']['id']}/miit",
        headers=admin,
        json={"listed": True},
    )
    assert r.json()["miit_listed"] is True
    for listing in (lead, lfp):
        items = (
            await client.get(f"/api/v1/listings/{listing['id']}/matches", headers=producer)
        ).json()["items"]
        # Buyers are anonymous to the producer until a deal: the demand tells them apart.
        licensed = demands["licensed", listing["material_code"]]
        assert [i["demand"]["id"] for i in items] == [licensed]
        assert all(i["demand"]["anonymous"] for i in items)
    assert_problem(
        await client.post(
            f"/api/v1/organizations/{recyclers['licensed']['id']}/permits",
            headers=producer,
            json={"kind": "HW31", "valid_until": "2030-01-01"},
        ),
        403,
    )
    assert_problem(
        await client.post(
            f"/api/v1/organizations/{recyclers['licensed']['id']}/permits",
            headers=admin,
            json={"kind": "HW31", "valid_until": "soon"},
        ),
        422,
        "valid_until",
    )
    assert_problem(
        await client.put("/api/v1/organizations/999999/miit", headers=admin, json={"listed": True}),
        404,
    )
    permits = (
        await client.get(
            f"/api/v1/organizations/{recyclers['licensed']['id']}/permits", headers=admin
        )
    ).json()["items"]
    assert [p["kind"] for p in permits] == ["HW31"]
    assert_problem(
        await client.get(
            f"/api/v1/organizations/{recyclers['licensed']['id']}/permits", headers=producer
        ),
        403,
    )
