"""Security headers on every response; no-store for anything sent with credentials."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import AsyncTestClient

from market.accounts.web_session import COOKIE
from market.app import create_app
from market.core.headers import SESSION_COOKIE
from market.core.settings import Settings
from tests.conftest import Actors

TEMPLATES = Path(__file__).resolve().parents[2] / "market" / "web" / "templates"


def _assert_common(headers) -> None:
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"


async def test_every_kind_of_response_carries_them(client) -> None:
    for path in ("/", "/login", "/api/v1/me", "/api/v1/nothing-here", "/static/app.css", "/health"):
        r = await client.get(path)
        _assert_common(r.headers)
        assert "strict-transport-security" not in r.headers  # not in development


async def test_credentialed_responses_are_not_stored(client, actors: Actors) -> None:
    assert "no-store" not in (await client.get("/api/v1/materials")).headers.get(
        "cache-control", ""
    )
    headers = await actors.user("cached")
    for path in ("/api/v1/me", "/api/v1/materials", "/api/v1/me/tokens"):
        assert (await client.get(path, headers=headers)).headers["cache-control"] == "no-store"
    r = await client.post(
        "/api/v1/auth/login", json={"email": "cached@example.cn", "password": "secret-pass-1"}
    )
    assert r.headers["cache-control"] == "no-store"  # it hands out a token


async def test_authenticated_pages_are_not_stored(client, actors: Actors) -> None:
    from tests.web.helpers import web_login

    await actors.user("pages")
    r = await web_login(client, "pages@example.cn")
    assert r.headers["cache-control"] == "no-store"
    assert (await client.get("/my")).headers["cache-control"] == "no-store"


def test_the_templates_have_nothing_inline_for_the_policy_to_block() -> None:
    """The CSP allows no inline script or style: a template that adds one breaks in browsers."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=|\son[a-z]+=", re.I)
    offenders = [
        f"{path.name}: {m.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for m in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_core_knows_the_session_cookie_name() -> None:
    assert SESSION_COOKIE == COOKIE


async def test_production_adds_hsts_and_secure_cookies(settings: Settings, actors: Actors) -> None:
    """model_copy skips validation: a production-mode app over the test's SQLite database."""
    await actors.user("prod")
    production = settings.model_copy(update={"env": "production"})
    async with AsyncTestClient(
        app=create_app(production), base_url="https://testserver.local"
    ) as c:
        r = await c.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in r.headers["set-cookie"].lower()  # the CSRF cookie
        token = c.cookies.get("csrftoken")
        r = await c.post(
            "/login",
            data={"email": "prod@example.cn", "password": "secret-pass-1", "_csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        session_cookie = next(
            v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE)
        )
        assert "secure" in session_cookie.lower() and "httponly" in session_cookie.lower()
