"""The alerts endpoints: bad input (status and text), permissions, notifications read state."""

from __future__ import annotations

from typing import Any

from tests.alerts.helpers import (
    Buyer,
    deliveries,
    make_buyer,
    notifications,
    post_listing,
    save_search,
    search_body,
    set_webhook,
)
from tests.conftest import Actors, assert_problem
from tests.offers.test_listings_post_search_and_privacy import make_regulator

NEAR = (112.30, 31.10)


async def _member(client, actors: Actors, buyer: Buyer, role: str = "member") -> dict[str, str]:
    """Another user added to the buyer's organisation."""
    name = f"colleague{id(buyer)}{role}"
    headers = await actors.user(name)
    r = await client.post(
        f"/api/v1/organizations/{buyer.org['id']}/members",
        headers=buyer.headers,
        json={"email": f"{name}@example.cn", "role": role},
    )
    assert r.status_code == 201, r.text
    return headers


async def test_saved_search_round_trip(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    created = await save_search(
        client,
        buyer,
        radius_km="25.5",
        requirements={"loi_pct": {"max": "8.00"}, "residue_45um_pct": {"min": "0", "max": 30}},
        grade="gbt1596_f_ii_concrete",
        max_price_cny_t="-5",
    )
    assert created["radius_km"] == "25.5" and created["max_price_cny_t"] == "-5.00"
    assert created["requirements"] == {
        "loi_pct": {"min": None, "max": "8"},
        "residue_45um_pct": {"min": "0", "max": "30"},
    }
    assert created["grade"] == "gbt1596_f_ii_concrete" and created["active"] is True
    assert created["organization_id"] == buyer.org["id"]
    listed = (await client.get("/api/v1/saved-searches", headers=buyer.headers)).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]
    colleague = await _member(client, actors, buyer)
    assert len((await client.get("/api/v1/saved-searches", headers=colleague)).json()["items"]) == 1
    stranger = await actors.user()
    assert (await client.get("/api/v1/saved-searches", headers=stranger)).json()["items"] == []


async def test_saved_search_bad_input(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    site = buyer.site["id"]
    cases: list[tuple[dict[str, Any], str, str]] = [
        (search_body(site, radius_km="0"), "radius_km", "greater than 0"),
        (search_body(site, radius_km="500.1"), "radius_km", "less than or equal to 500"),
        (search_body(site, radius_km="1.25"), "radius_km", "no more than 1 decimal place"),
        (search_body(site, max_price_cny_t="1.234"), "max_price_cny_t", "decimal places"),
        (search_body(site, material_code="unobtainium"), "material_code", "unknown material"),
        (
            search_body(site, requirements={"colour": {"max": "1"}}),
            "requirements.colour",
            "unknown parameter",
        ),
        (
            search_body(site, requirements={"loi_pct": {}}),
            "requirements.loi_pct",
            "give min, max or both",
        ),
        (
            search_body(site, requirements={"loi_pct": {"min": "5", "max": "2"}}),
            "requirements.loi_pct",
            "min 5 is greater than max 2",
        ),
        (
            search_body(site, requirements={"loi_pct": {"max": "120"}}),
            "requirements.loi_pct",
            "valid range",
        ),
        (search_body(site, grade="s95"), "grade", "unknown grade 's95' for material 'fly_ash'"),
        (search_body(987654), "site_id", "does not exist"),
    ]
    for body, field, reason in cases:
        r = await client.post("/api/v1/saved-searches", headers=buyer.headers, json=body)
        problem = assert_problem(r, 422, field, reason)
        assert problem["errors"][0]["field"] == field, problem
    body = search_body(site)
    del body["radius_km"]
    assert_problem(
        await client.post("/api/v1/saved-searches", headers=buyer.headers, json=body),
        422,
        "radius_km",
        "required",
    )
    r = await client.post(
        "/api/v1/saved-searches", headers=buyer.headers, json=search_body(site, colour="red")
    )
    assert_problem(r, 422, "colour", "Extra inputs are not permitted")
    assert (await client.get("/api/v1/saved-searches", headers=buyer.headers)).json()["items"] == []


async def test_saved_search_permissions(client, actors: Actors, settings) -> None:
    buyer = await make_buyer(actors)
    stranger = await actors.user()
    r = await client.post(
        "/api/v1/saved-searches", headers=stranger, json=search_body(buyer.site["id"])
    )
    assert_problem(r, 403, "not a member")
    assert_problem(
        await client.post("/api/v1/saved-searches", json=search_body(buyer.site["id"])), 401
    )
    assert_problem(await client.get("/api/v1/saved-searches"), 401)

    search = await save_search(client, buyer)
    url = f"/api/v1/saved-searches/{search['id']}"
    assert_problem(await client.delete(url, headers=stranger), 404, "does not exist")
    regulator = await make_regulator(settings, actors)
    seen = (await client.get("/api/v1/saved-searches", headers=regulator)).json()["items"]
    assert [s["id"] for s in seen] == [search["id"]]
    assert_problem(await client.delete(url, headers=regulator), 403, "only members")
    colleague = await _member(client, actors, buyer)
    assert (await client.delete(url, headers=colleague)).status_code == 204
    assert_problem(await client.delete(url, headers=buyer.headers), 404, str(search["id"]))
    assert_problem(await client.delete("/api/v1/saved-searches/abc", headers=buyer.headers), 404)


async def test_notifications_list_read_and_permissions(client, actors: Actors, settings) -> None:
    buyer = await make_buyer(actors)
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"], price_cny_t="12.00")
    await post_listing(client, producer, site["id"], price_cny_t="11.00")
    newest, oldest = await notifications(client, buyer.headers)
    assert newest["payload"]["listing"]["price_cny_t"] == "11.00"
    assert oldest["payload"]["listing"]["price_cny_t"] == "12.00"

    colleague = await _member(client, actors, buyer)
    r = await client.post(f"/api/v1/notifications/{oldest['id']}/read", headers=colleague)
    assert r.status_code == 200, r.text
    read = r.json()
    assert read["read"] is True and read["read_at"] is not None
    # Read for the whole organisation, once: reading again keeps the first time.
    again = await client.post(f"/api/v1/notifications/{oldest['id']}/read", headers=buyer.headers)
    assert again.json()["read_at"] == read["read_at"]
    unread = await notifications(client, buyer.headers, "?unread=true")
    assert [n["id"] for n in unread] == [newest["id"]]
    done = await notifications(client, buyer.headers, "?unread=false")
    assert [n["id"] for n in done] == [oldest["id"]]
    r = await client.get("/api/v1/notifications?page=2&page_size=1", headers=buyer.headers)
    assert r.json()["total"] == 2 and [n["id"] for n in r.json()["items"]] == [oldest["id"]]

    # Other organisations see nothing and cannot probe ids; regulators read but do not mark.
    assert await notifications(client, producer) == []
    url = f"/api/v1/notifications/{newest['id']}/read"
    assert_problem(await client.post(url, headers=producer), 404, "does not exist")
    regulator = await make_regulator(settings, actors)
    assert len(await notifications(client, regulator)) == 2
    assert_problem(await client.post(url, headers=regulator), 403, "only members")
    assert_problem(
        await client.post("/api/v1/notifications/999999/read", headers=buyer.headers),
        404,
        "999999",
    )
    assert_problem(await client.get("/api/v1/notifications"), 401)
    assert_problem(
        await client.get("/api/v1/notifications?unread=perhaps", headers=buyer.headers),
        422,
        "unread",
        "bool",
    )
    assert_problem(
        await client.get("/api/v1/notifications?page_size=0", headers=buyer.headers),
        422,
        "page_size",
    )


async def test_webhook_setting_bad_input_and_permissions(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    url = f"/api/v1/organizations/{buyer.org['id']}/webhook"
    cases = [
        ("ftp://example.cn/hook", "http:// or https://"),
        ("example.cn/hook", "http:// or https://"),
        ("http:///hook", "must name a host"),
        ("https://user:pw@example.cn/hook", "must not contain credentials"),
        ("http://example.cn:99999/hook", "is not a valid URL"),
        ("https://example.cn/" + "a" * 490, "at most 500 characters"),
        ("", "at least 1 character"),
    ]
    for bad, reason in cases:
        r = await client.put(url, headers=buyer.headers, json={"url": bad})
        problem = assert_problem(r, 422, "url", reason)
        assert problem["errors"][0]["field"] == "url", problem
    assert_problem(await client.put(url, headers=buyer.headers, json={}), 422, "url", "required")
    assert_problem(
        await client.put(url, headers=buyer.headers, json={"url": None, "secret": "x"}),
        422,
        "secret",
        "Extra inputs",
    )

    member = await _member(client, actors, buyer)
    stranger = await actors.user()
    body = {"url": "https://erp.example.cn/hooks"}
    assert_problem(await client.put(url, headers=member, json=body), 403, "administrator")
    assert_problem(await client.put(url, headers=stranger, json=body), 403, "not a member")
    assert_problem(
        await client.put("/api/v1/organizations/999999/webhook", headers=buyer.headers, json=body),
        404,
        "999999",
    )
    assert_problem(await client.put(url, json=body), 401)

    admin = await _member(client, actors, buyer, role="admin")
    r = await client.put(url, headers=admin, json={"url": "  https://erp.example.cn/hooks  "})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["url"] == "https://erp.example.cn/hooks"
    assert len(result["secret"]) == 64 and "HMAC-SHA256" in result["signature"]
    # The secret is shown once: the organisation's page shows the URL only.
    org = await client.get(f"/api/v1/organizations/{buyer.org['id']}", headers=buyer.headers)
    assert org.json()["webhook_url"] == "https://erp.example.cn/hooks"
    assert result["secret"] not in org.text


async def test_delivery_log_permissions_and_filters(client, actors: Actors, settings) -> None:
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, "https://erp.example.cn/hooks")
    await save_search(client, buyer)
    producer, porg, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"])
    [d] = await deliveries(client, buyer.headers)
    assert d["status"] == "pending" and d["url"] == "https://erp.example.cn/hooks"
    assert d["event"] == "listing_match" and d["log"] == []
    colleague = await _member(client, actors, buyer)
    assert len(await deliveries(client, colleague, f"?organization_id={buyer.org['id']}")) == 1
    assert await deliveries(client, buyer.headers, "?status=delivered") == []
    assert await deliveries(client, producer) == []

    log = "/api/v1/webhook-deliveries"
    assert_problem(
        await client.get(f"{log}?organization_id={buyer.org['id']}", headers=producer),
        403,
        "not a member",
    )
    assert_problem(
        await client.get(f"{log}?organization_id=999999", headers=buyer.headers), 404, "999999"
    )
    assert_problem(
        await client.get(f"{log}?status=lost", headers=buyer.headers), 422, "status", "lost"
    )
    regulator = await make_regulator(settings, actors)
    assert await deliveries(client, regulator) == []
    assert_problem(await client.get(log), 401)
    assert porg["id"] != buyer.org["id"]
