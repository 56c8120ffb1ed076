"""Demand requests: posting with requirements and grades, changing, searching."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actors, assert_problem


def demand_body(site_id: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": site_id,
        "material_code": "fly_ash",
        "quantity_t": "3000",
        "cadence": "monthly",
        "requirements": {"loi_pct": {"max": "8"}, "residue_45um_pct": {"min": None, "max": 30}},
        "grade": "gbt1596_f_ii_concrete",
        "max_haul_km": "80",
        "max_price_cny_t": "60.00",
        "title": "商混站求购II级灰",
    }
    body.update(over)
    return body


async def test_post_demand_and_read_it_back(client, actors: Actors) -> None:
    headers, org, site = await actors.producer(kind="consumer")
    r = await client.post("/api/v1/demands", headers=headers, json=demand_body(site["id"]))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["requirements"] == {
        "loi_pct": {"min": None, "max": "8"},
        "residue_45um_pct": {"min": None, "max": "30"},
    }
    assert d["grade"] == "gbt1596_f_ii_concrete" and d["max_haul_km"] == "80.0"
    assert d["organization"]["id"] == org["id"] and d["quantity_t"] == "3000.000"
    other = await actors.user()
    seen = await client.get(f"/api/v1/demands/{d['id']}", headers=other)
    assert seen.status_code == 200 and seen.json()["max_price_cny_t"] == "60.00"


async def test_demand_bad_input(client, actors: Actors) -> None:
    headers, _, site = await actors.producer(kind="consumer")
    cases = [
        (demand_body(site["id"], quantity_t=0), "quantity_t", "greater than 0"),
        (demand_body(site["id"], material_code="moon_dust"), "material_code", "unknown material"),
        (demand_body(site["id"], grade="gbt18046_s95"), "grade", "unknown grade"),
        (
            demand_body(site["id"], requirements={"loi_pct": {"min": 9, "max": 2}}),
            "requirements.loi_pct",
            "greater than max",
        ),
        (demand_body(site["id"], requirements={"loi_pct": {}}), "requirements.loi_pct", "min, max"),
        (
            demand_body(site["id"], requirements={"ph": {"max": 7}}),
            "requirements.ph",
            "unknown parameter",
        ),
        (
            demand_body(site["id"], requirements={"loi_pct": {"max": 101}}),
            "requirements.loi_pct",
            "valid range",
        ),
        (demand_body(site["id"], max_haul_km="-5"), "max_haul_km", "greater than 0"),
        (
            demand_body(site["id"], needed_from="2027-03-01", needed_until="2027-01-01"),
            "needed_until",
            "before",
        ),
    ]
    for body, field, reason in cases:
        r = await client.post("/api/v1/demands", headers=headers, json=body)
        problem = assert_problem(r, 422, field, reason)
        assert problem["errors"][0]["field"] == field
    assert (await client.get("/api/v1/demands?mine=true", headers=headers)).json()["total"] == 0


async def test_patch_withdraw_and_permissions(client, actors: Actors) -> None:
    headers, _, site = await actors.producer(kind="consumer")
    d = (await client.post("/api/v1/demands", headers=headers, json=demand_body(site["id"]))).json()
    url = f"/api/v1/demands/{d['id']}"
    r = await client.patch(
        url, headers=headers, json={"requirements": {"loi_pct": {"max": "5"}}, "grade": None}
    )
    assert r.status_code == 200
    assert (
        r.json()["requirements"] == {"loi_pct": {"min": None, "max": "5"}}
        and r.json()["grade"] is None
    )
    other = await actors.user()
    assert_problem(await client.patch(url, headers=other, json={"title": "x"}), 403)
    r = await client.post(f"{url}/withdraw", headers=headers)
    assert r.json()["status"] == "withdrawn"
    assert_problem(await client.get(url, headers=other), 404)
    assert_problem(
        await client.patch(url, headers=headers, json={"status": "open"}), 422, "withdrawn"
    )
    assert_problem(await client.get("/api/v1/demands/999999", headers=headers), 404)


async def test_search_demands_nearest_first(client, actors: Actors) -> None:
    headers, org, near = await actors.producer(lon=112.20, lat=31.00, kind="consumer")
    far = await actors.site(headers, org["id"], lon=113.11, lat=31.02)
    far_id = (
        await client.post("/api/v1/demands", headers=headers, json=demand_body(far["id"]))
    ).json()["id"]
    near_id = (
        await client.post("/api/v1/demands", headers=headers, json=demand_body(near["id"]))
    ).json()["id"]
    seller = await actors.user()
    r = await client.get("/api/v1/demands?material=fly_ash&lat=31.03&lon=112.20", headers=seller)
    assert [i["id"] for i in r.json()["items"]] == [near_id, far_id]
    r = await client.get(
        "/api/v1/demands?material=fly_ash&lat=31.03&lon=112.20&radius_km=20", headers=seller
    )
    assert [i["id"] for i in r.json()["items"]] == [near_id]
    assert_problem(await client.get("/api/v1/demands?lon=112", headers=seller), 422, "lat")
