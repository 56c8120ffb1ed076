"""Register, create an organisation, add members and sites, all from the pages."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from geodata.datums import to_wgs84
from market.accounts.uscc import make_uscc
from market.accounts.web_register import parse_coordinates
from market.core.settings import Settings
from tests.conftest import Actors
from tests.web.helpers import post_form

Client = AsyncTestClient[Litestar]


async def _register(client: Client, email: str, password: str = "tidy-ledger-2026") -> object:
    return await post_form(
        client,
        "/register",
        {"email": email, "display_name": "王会计", "password": password},
        "/register",
    )


async def _new_org(client: Client, serial: int, **extra: str) -> object:
    data = {
        "name": "荆门测试建材有限公司",
        "uscc": make_uscc("420881", 700000 + serial),
        "kind": "consumer",
        "district_code": "420881",
    } | extra
    return await post_form(client, "/organizations/new", data, "/organizations/new")


def test_pasted_coordinates_in_either_order() -> None:
    assert parse_coordinates("112.2035,31.0312") == (112.2035, 31.0312)
    assert parse_coordinates("31.0312, 112.2035") == (112.2035, 31.0312)
    assert parse_coordinates("112.2035，31.0312") == (112.2035, 31.0312)
    assert parse_coordinates("112.2") is None
    assert parse_coordinates("north") is None


async def test_register_refuses_weak_passwords_in_the_page_language(client: Client) -> None:
    page = await client.get("/register")
    assert page.status_code == 200
    assert "注册" in page.text and "密码" in page.text
    r = await _register(client, "clerk@example.cn", password="short")
    assert r.status_code == 422
    assert "至少 10 个字符" in r.text
    assert 'value="clerk@example.cn"' in r.text  # what was typed is kept (not the password)
    r = await _register(client, "clerk@example.cn", password="password123")
    assert r.status_code == 422 and "常见密码" in r.text
    await client.get("/lang/en")
    r = await _register(client, "clerk@example.cn", password="short")
    assert r.status_code == 422
    assert "must be at least 10 characters" in r.text or "at least 10 characters" in r.text
    assert "至少" not in r.text


async def test_a_taken_email_is_a_field_message(client: Client, actors: Actors) -> None:
    await actors.user("taken")
    r = await _register(client, "taken@example.cn")
    assert r.status_code == 409
    assert "已被注册" in r.text


async def test_register_create_organisation_members_and_sites(
    client: Client, actors: Actors
) -> None:
    r = await _register(client, "newclerk@example.cn")
    assert r.status_code == 303 and r.headers["location"] == "/organizations/new"
    assert any(c.startswith("market_session=") for c in r.headers.get_list("set-cookie"))

    form = await client.get("/organizations/new")
    assert form.status_code == 200 and "统一社会信用代码" in form.text and "钟祥市" in form.text
    assert "利用企业" in form.text and ">consumer<" not in form.text
    bad = await _new_org(client, 1, uscc="91420881MA000000X")
    assert bad.status_code == 422 and "应为 18 个字符" in bad.text
    r = await _new_org(client, 1)
    assert r.status_code == 303
    org_id = int(re.search(r"org=(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]

    page = await client.get(f"/my/organization?org={org_id}")
    assert page.status_code == 200
    assert "荆门测试建材有限公司" in page.text and "管理员" in page.text
    assert "newclerk@example.cn" in page.text and "暂无厂区" in page.text

    # Members: an unknown e-mail is a message; a registered one joins.
    r = await post_form(
        client,
        "/my/organization/members",
        {"org": str(org_id), "email": "nobody@example.cn"},
        "/my/organization",
    )
    assert r.status_code == 422 and "请对方先注册" in r.text
    await actors.user("colleague")
    r = await post_form(
        client,
        "/my/organization/members",
        {"org": str(org_id), "email": "colleague@example.cn", "role": "member"},
        "/my/organization",
    )
    assert r.status_code == 303
    page = await client.get(f"/my/organization?org={org_id}")
    assert "colleague@example.cn" in page.text

    # Sites: by a place of the gazetteer, then by coordinates pasted from Amap (GCJ-02).
    r = await post_form(
        client,
        "/my/organization/sites",
        {"org": str(org_id), "name": "胡集厂区", "place": "钟祥市胡集镇"},
        "/my/organization",
    )
    assert r.status_code == 303, r.text
    r = await post_form(
        client,
        "/my/organization/sites",
        {"org": str(org_id), "name": "城区仓库", "coords": "112.2035,31.0312", "crs": "gcj02"},
        "/my/organization",
    )
    assert r.status_code == 303, r.text
    page = await client.get(f"/my/organization?org={org_id}")
    assert "胡集厂区" in page.text and "城区仓库" in page.text and "钟祥市" in page.text
    headers = await actors.login("newclerk@example.cn", "tidy-ledger-2026")
    stored = (await client.get(f"/api/v1/organizations/{org_id}/sites", headers=headers)).json()
    by_name = {s["name"]: s for s in (stored["items"] if isinstance(stored, dict) else stored)}
    lon, lat = to_wgs84(112.2035, 31.0312, "gcj02")
    assert (
        abs(by_name["城区仓库"]["lon"] - lon) < 1e-6
        and abs(by_name["城区仓库"]["lat"] - lat) < 1e-6
    )
    assert abs(by_name["城区仓库"]["lon"] - 112.2035) > 1e-3  # converted, not stored as pasted
    assert by_name["胡集厂区"]["district_code"] == "420881"

    # Errors: nothing given, a garbled paste, an unknown place.
    for data, message in (
        ({"name": "x"}, "请输入地名或粘贴坐标"),
        ({"name": "x", "coords": "112.2"}, "请粘贴两个数字"),
        ({"name": "x", "place": "不存在的地方xyz"}, "地名库中没有"),
        ({"name": "x", "coords": "200,31", "crs": "wgs84"}, "180"),
    ):
        r = await post_form(
            client, "/my/organization/sites", {"org": str(org_id), **data}, "/my/organization"
        )
        assert r.status_code == 422, data
        assert message in r.text, (data, r.text[-2000:])


async def test_organisation_pages_need_a_login_and_membership(
    client: Client, actors: Actors
) -> None:
    r = await client.get("/my/organization", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    await _register(client, "loner@example.cn")
    page = await client.get("/my/organization")
    assert page.status_code == 200 and "尚未加入任何企业" in page.text
    _headers, org, _site = await actors.producer()
    r = await post_form(
        client,
        "/my/organization/sites",
        {"org": str(org["id"]), "name": "x", "coords": "112.2,31.0"},
        "/my/organization",
    )
    assert r.status_code == 404
    assert (await client.get(f"/my/organization?org={org['id']}")).status_code == 404


async def test_registration_page_shares_the_apis_probe_limit(
    client: Client, actors: Actors, settings: Settings
) -> None:
    """Taken e-mails tried on the page count with the API's: then 429 with Retry-After."""
    await actors.user("taken2")
    for _ in range(settings.register_max_taken_per_client):
        r = await _register(client, "taken2@example.cn")
        assert r.status_code == 409
    r = await _register(client, "someone-new@example.cn")
    assert r.status_code == 429
    assert "retry-after" in r.headers and "尝试次数过多" in r.text
