"""Organisations, members and sites."""

from __future__ import annotations

from market.accounts.uscc import make_uscc
from tests.conftest import Actors, assert_problem


def org_body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "荆门示范磷化工有限公司",
        "uscc": make_uscc("420881", 4242),
        "kind": "producer",
        "district_code": "420881",
    }
    body.update(over)
    return body


async def test_creator_becomes_admin_and_members_see_members(client, actors: Actors) -> None:
    headers = await actors.user("founder")
    r = await client.post("/api/v1/organizations", headers=headers, json=org_body())
    assert r.status_code == 201
    org = r.json()
    assert org["role"] == "admin" and org["district_name"] == "钟祥市"
    got = (await client.get(f"/api/v1/organizations/{org['id']}", headers=headers)).json()
    assert got["members"][0]["email"] == "founder@example.cn"
    outsider = await actors.user()
    public = (await client.get(f"/api/v1/organizations/{org['id']}", headers=outsider)).json()
    assert public["name"] == org["name"] and "members" not in public


async def test_uscc_check_character_is_verified(client, actors: Actors) -> None:
    headers = await actors.user()
    good = make_uscc("420802", 77)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = await client.post("/api/v1/organizations", headers=headers, json=org_body(uscc=bad))
    body = assert_problem(r, 422, "uscc", "check character")
    assert body["errors"][0]["field"] == "uscc"
    r = await client.post("/api/v1/organizations", headers=headers, json=org_body(uscc="123"))
    assert_problem(r, 422, "uscc", "18 characters")


async def test_duplicate_uscc_is_409_and_nothing_is_written(client, actors: Actors) -> None:
    headers = await actors.user()
    await client.post("/api/v1/organizations", headers=headers, json=org_body())
    other = await actors.user()
    r = await client.post("/api/v1/organizations", headers=other, json=org_body(name="另一家"))
    assert_problem(r, 409, "统一社会信用代码", "already registered")
    me = (await client.get("/api/v1/me", headers=other)).json()
    assert me["organizations"] == []


async def test_kind_and_district_are_checked(client, actors: Actors) -> None:
    headers = await actors.user()
    r = await client.post("/api/v1/organizations", headers=headers, json=org_body(kind="trader"))
    assert_problem(r, 422, "kind")
    r = await client.post(
        "/api/v1/organizations", headers=headers, json=org_body(district_code="110101")
    )
    assert_problem(r, 422, "district_code", "unknown district")
    r = await client.post("/api/v1/organizations", headers=headers, json=org_body(kind="regulator"))
    assert_problem(r, 403, "regulator")


async def test_unknown_org_is_404(client, actors: Actors) -> None:
    headers = await actors.user()
    assert_problem(await client.get("/api/v1/organizations/999999", headers=headers), 404, "999999")


async def test_admin_adds_members_and_members_cannot(client, actors: Actors) -> None:
    admin = await actors.user("boss")
    org = await actors.org(admin)
    clerk = await actors.user("clerk")
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/members",
        headers=admin,
        json={"email": "clerk@example.cn", "role": "member"},
    )
    assert r.status_code == 201 and r.json()["role"] == "member"
    # the clerk can now add sites, but not members
    site = await actors.site(clerk, org["id"])
    assert site["organization_id"] == org["id"]
    await actors.user("third")
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/members",
        headers=clerk,
        json={"email": "third@example.cn"},
    )
    assert_problem(r, 403, "administrator")
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/members",
        headers=admin,
        json={"email": "clerk@example.cn"},
    )
    assert_problem(r, 409, "already a member")
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/members",
        headers=admin,
        json={"email": "ghost@example.cn"},
    )
    assert_problem(r, 422, "email", "register first")


async def test_sites_store_wgs84_and_get_their_district(client, actors: Actors) -> None:
    headers = await actors.user()
    org = await actors.org(headers)
    # 钟祥胡集 chemical park point, typed as WGS84
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=headers,
        json={"name": "胡集厂区", "address": "钟祥市胡集镇", "lon": 112.30, "lat": 31.42},
    )
    assert r.status_code == 201
    site = r.json()
    assert site["crs"] == "wgs84" and site["lon"] == 112.3 and site["district_code"] == "420881"
    listed = (await client.get(f"/api/v1/organizations/{org['id']}/sites", headers=headers)).json()
    assert [s["id"] for s in listed["items"]] == [site["id"]]


async def test_gcj02_site_is_converted_to_wgs84(client, actors: Actors) -> None:
    headers = await actors.user()
    org = await actors.org(headers)
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=headers,
        json={"name": "高德坐标", "lon": 112.204, "lat": 31.035, "crs": "GCJ02"},
    )
    assert r.status_code == 201
    site = r.json()
    # GCJ-02 is offset east/south of WGS84 around Jingmen by a few hundred metres
    assert 0.003 < 112.204 - site["lon"] < 0.008
    assert -0.004 < 31.035 - site["lat"] < 0.0


async def test_site_bad_input(client, actors: Actors) -> None:
    headers = await actors.user()
    org = await actors.org(headers)
    url = f"/api/v1/organizations/{org['id']}/sites"
    r = await client.post(url, headers=headers, json={"name": "x", "lon": 112.2, "lat": 91})
    assert_problem(r, 422, "lat", "91")
    r = await client.post(url, headers=headers, json={"name": "x", "lon": 181, "lat": 31})
    assert_problem(r, 422, "lon")
    r = await client.post(
        url, headers=headers, json={"name": "x", "lon": 112.2, "lat": 31, "crs": "epsg:3857"}
    )
    assert_problem(r, 422, "crs", "wgs84")
    r = await client.post(url, headers=headers, json={"name": "", "lon": 112.2, "lat": 31})
    assert_problem(r, 422, "name")
    r = await client.post(url, headers=headers, json={"name": "x", "lon": "east", "lat": 31})
    assert_problem(r, 422, "lon")
    listed = (await client.get(url, headers=headers)).json()
    assert listed["items"] == []


async def test_only_members_manage_sites(client, actors: Actors) -> None:
    owner = await actors.user()
    org = await actors.org(owner)
    stranger = await actors.user()
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=stranger,
        json={"name": "x", "lon": 112.2, "lat": 31.0},
    )
    assert_problem(r, 403, "not a member")
    assert_problem(
        await client.get(f"/api/v1/organizations/{org['id']}/sites", headers=stranger), 403
    )
    r = await client.post(
        "/api/v1/organizations/424242/sites",
        headers=owner,
        json={"name": "x", "lon": 112.2, "lat": 31.0},
    )
    assert_problem(r, 404, "424242")
