"""Supply listings: posting, reading with privacy, changing, withdrawing, searching."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actors, assert_problem


def listing_body(site_id: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": site_id,
        "material_code": "fly_ash",
        "quantity_t": "5000.5",
        "cadence": "monthly",
        "spec": {"residue_45um_pct": "18.2", "loi_pct": 4.5},
        "price_cny_t": "-12.50",
        "title": "二级粉煤灰 月供",
    }
    body.update(over)
    return body


async def test_post_and_read_listing_exact_decimals(client, actors: Actors) -> None:
    headers, org, site = await actors.producer()
    r = await client.post("/api/v1/listings", headers=headers, json=listing_body(site["id"]))
    assert r.status_code == 201, r.text
    listing = r.json()
    assert listing["quantity_t"] == "5000.500"
    assert listing["available_t"] == "5000.500"
    assert listing["price_cny_t"] == "-12.50"
    assert listing["spec"] == {"residue_45um_pct": "18.2", "loi_pct": "4.5"}
    assert listing["status"] == "open" and listing["organization"]["id"] == org["id"]
    again = await client.get(f"/api/v1/listings/{listing['id']}", headers=headers)
    assert again.json()["quantity_t"] == "5000.500"


async def test_other_organisations_see_the_producer_anonymised(client, actors: Actors) -> None:
    headers, _, site = await actors.producer(lon=112.123456, lat=31.234567)
    listing = (
        await client.post("/api/v1/listings", headers=headers, json=listing_body(site["id"]))
    ).json()
    buyer = await actors.user()
    seen = (await client.get(f"/api/v1/listings/{listing['id']}", headers=buyer)).json()
    assert seen["anonymous"] is True
    assert seen["organization"]["id"] is None and "匿名" in seen["organization"]["name"]
    assert (
        seen["site"]["name"] is None
        and seen["site"]["lon"] == 112.12
        and seen["site"]["lat"] == 31.23
    )
    assert seen["site"]["district_code"] == "420802"


async def test_listing_bad_input(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    cases = [
        (listing_body(site["id"], quantity_t="0"), "quantity_t", "greater than 0"),
        (listing_body(site["id"], quantity_t="-3"), "quantity_t", "greater than 0"),
        (listing_body(site["id"], quantity_t="1.2345"), "quantity_t", "decimal places"),
        (listing_body(site["id"], price_cny_t="1.234"), "price_cny_t", "decimal places"),
        (
            listing_body(site["id"], material_code="unobtainium"),
            "material_code",
            "unknown material",
        ),
        (listing_body(site["id"], spec={"loi_pct": "120"}), "spec.loi_pct", "valid range"),
        (listing_body(site["id"], spec={"colour": "3"}), "spec.colour", "unknown parameter"),
        (listing_body(site["id"], cadence="weekly"), "cadence", "one_off"),
        (listing_body(site["id"], status="closed"), "status", "draft"),
        (
            listing_body(site["id"], available_from="2027-02-01", available_until="2027-01-01"),
            "available_until",
            "before",
        ),
        (listing_body(987654), "site_id", "does not exist"),
    ]
    for body, field, reason in cases:
        r = await client.post("/api/v1/listings", headers=headers, json=body)
        problem = assert_problem(r, 422, field, reason)
        assert problem["errors"][0]["field"] == field, problem
    mine = (await client.get("/api/v1/listings?mine=true", headers=headers)).json()
    assert mine["total"] == 0


async def test_posting_from_someone_elses_site_is_403(client, actors: Actors) -> None:
    _, _, site = await actors.producer()
    intruder = await actors.user()
    r = await client.post("/api/v1/listings", headers=intruder, json=listing_body(site["id"]))
    assert_problem(r, 403, "not a member")


async def test_patch_and_status_transitions(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    listing = (
        await client.post(
            "/api/v1/listings", headers=headers, json=listing_body(site["id"], status="draft")
        )
    ).json()
    url = f"/api/v1/listings/{listing['id']}"
    r = await client.patch(url, headers=headers, json={"price_cny_t": "8.00", "status": "open"})
    assert (
        r.status_code == 200 and r.json()["price_cny_t"] == "8.00" and r.json()["status"] == "open"
    )
    r = await client.patch(url, headers=headers, json={"status": "draft"})
    assert_problem(r, 409, "open to draft")
    r = await client.patch(url, headers=headers, json={"price_cny_t": None})
    assert_problem(r, 422, "price_cny_t", "null")
    r = await client.post(f"{url}/withdraw", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = await client.patch(url, headers=headers, json={"status": "open"})
    assert_problem(r, 422, "withdrawn")
    r = await client.post(f"{url}/withdraw", headers=headers)
    assert_problem(r, 409, "withdrawn")


async def test_only_members_change_a_listing(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    listing = (
        await client.post("/api/v1/listings", headers=headers, json=listing_body(site["id"]))
    ).json()
    other = await actors.user()
    url = f"/api/v1/listings/{listing['id']}"
    assert_problem(await client.patch(url, headers=other, json={"title": "mine now"}), 403)
    assert_problem(await client.post(f"{url}/withdraw", headers=other), 403)
    assert (await client.get(url, headers=headers)).json()["title"] == "二级粉煤灰 月供"


async def test_drafts_are_hidden_from_others_but_not_regulators(
    client, actors: Actors, settings
) -> None:
    headers, _, site = await actors.producer()
    draft = (
        await client.post(
            "/api/v1/listings", headers=headers, json=listing_body(site["id"], status="draft")
        )
    ).json()
    other = await actors.user()
    assert_problem(await client.get(f"/api/v1/listings/{draft['id']}", headers=other), 404)
    assert_problem(await client.get("/api/v1/listings/123456", headers=other), 404, "123456")
    regulator = await make_regulator(settings, actors)
    seen = (await client.get(f"/api/v1/listings/{draft['id']}", headers=regulator)).json()
    assert seen["anonymous"] is False and seen["status"] == "draft"


async def make_regulator(settings: Any, actors: Actors) -> dict[str, str]:
    from market.accounts.service import create_user
    from market.core.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        await create_user(
            session, "inspector@example.cn", "regulator-pass", "监管员", role="regulator"
        )
    await engine.dispose()
    return await actors.login("inspector@example.cn", "regulator-pass")


async def test_search_nearest_first_with_distance_and_filters(client, actors: Actors) -> None:
    headers, _, near = await actors.producer(lon=112.21, lat=31.04)
    org_id = near["organization_id"]
    mid = await actors.site(headers, org_id, lon=112.30, lat=31.10)
    far = await actors.site(headers, org_id, lon=112.59, lat=30.70)
    ids = {}
    for name, site, qty in (("far", far, "100"), ("near", near, "50"), ("mid", mid, "200")):
        r = await client.post(
            "/api/v1/listings", headers=headers, json=listing_body(site["id"], quantity_t=qty)
        )
        ids[name] = r.json()["id"]
    await client.post(
        "/api/v1/listings",
        headers=headers,
        json=listing_body(near["id"], material_code="ggbs", spec={}),
    )
    buyer = await actors.user()
    r = await client.get(
        "/api/v1/listings?material=fly_ash&lat=31.03&lon=112.20&radius_km=50", headers=buyer
    )
    body = r.json()
    assert r.status_code == 200
    assert [i["id"] for i in body["items"]] == [ids["near"], ids["mid"]]
    assert body["total"] == 2
    d = [float(i["distance_km"]) for i in body["items"]]
    assert d[0] < 2.0 < d[1] < 50
    r = await client.get("/api/v1/listings?material=fly_ash&lat=31.03&lon=112.20", headers=buyer)
    assert [i["id"] for i in r.json()["items"]] == [ids["near"], ids["mid"], ids["far"]]
    r = await client.get(
        "/api/v1/listings?material=fly_ash&lat=31.03&lon=112.20&min_quantity_t=100", headers=buyer
    )
    assert [i["id"] for i in r.json()["items"]] == [ids["mid"], ids["far"]]
    r = await client.get(
        "/api/v1/listings?material=fly_ash&lat=31.03&lon=112.20&page=2&page_size=2", headers=buyer
    )
    assert [i["id"] for i in r.json()["items"]] == [ids["far"]] and r.json()["total"] == 3


async def test_search_bad_input(client, actors: Actors) -> None:
    headers = await actors.user()
    assert_problem(await client.get("/api/v1/listings?lat=91&lon=112", headers=headers), 422, "lat")
    assert_problem(
        await client.get("/api/v1/listings?lat=31", headers=headers), 422, "lon", "together"
    )
    assert_problem(
        await client.get("/api/v1/listings?radius_km=5", headers=headers), 422, "radius_km"
    )
    assert_problem(
        await client.get("/api/v1/listings?lat=31&lon=112&radius_km=-1", headers=headers),
        422,
        "radius_km",
    )
    assert_problem(await client.get("/api/v1/listings?page=0", headers=headers), 422, "page")
    assert_problem(
        await client.get("/api/v1/listings?page_size=1000", headers=headers), 422, "page_size"
    )
    assert_problem(
        await client.get("/api/v1/listings?min_quantity_t=abc", headers=headers),
        422,
        "min_quantity_t",
    )
    assert_problem(await client.get("/api/v1/listings"), 401)
