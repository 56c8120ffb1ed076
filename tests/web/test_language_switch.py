"""The language switch: a link in every page's header, a cookie, and back to the same page."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.web.lang import same_site_path

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/listings?material=fly_ash", "/listings?material=fly_ash"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("evil", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_only_same_site_paths_are_followed(raw: str | None, expected: str) -> None:
    assert same_site_path(raw) == expected


async def test_switching_to_english_sets_the_cookie_and_returns(client: Client) -> None:
    home = await client.get("/")
    assert '<html lang="zh-CN">' in home.text
    assert 'href="/lang/en?next=/"' in home.text  # the header's switch comes back here
    r = await client.get("/lang/en", params={"next": "/login?next=/my"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/my"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = await client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Jingmen Solid-Waste Exchange" in page.text and "荆门固废交易平台" not in page.text
    assert "Password" in page.text and "登录" not in page.text and "密码" not in page.text
    assert 'href="/lang/zh?next=/login"' in page.text


async def test_switching_back_to_chinese_and_unknown_codes(client: Client) -> None:
    await client.get("/lang/en", params={"next": "/"})
    r = await client.get("/lang/zh", params={"next": "/"}, follow_redirects=False)
    assert r.headers["location"] == "/"
    assert '<html lang="zh-CN">' in (await client.get("/")).text
    r = await client.get("/lang/fr", params={"next": "/"}, follow_redirects=False)
    assert any(c.startswith("lang=zh;") for c in r.headers.get_list("set-cookie"))


async def test_an_off_site_next_goes_home(client: Client) -> None:
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = await client.get("/lang/en", params={"next": bad}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", bad


async def test_accept_language_chooses_english_without_a_cookie(client: Client) -> None:
    r = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in r.text
    assert 'href="/lang/zh?next=/"' in r.text
