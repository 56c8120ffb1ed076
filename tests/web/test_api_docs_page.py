"""``/schema``: Swagger UI from assets shipped with the app, started without inline script."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.headers import CONTENT_SECURITY_POLICY

Client = AsyncTestClient[Litestar]


async def test_schema_is_swagger_ui_from_our_own_static_files(client: Client) -> None:
    r = await client.get("/schema")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'id="swagger-ui"' in html and 'data-openapi="/schema/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
        "/static/apidocs/init.js",
    } <= set(assets)
    for path in assets:
        asset = await client.get(path)
        assert asset.status_code == 200, path
        assert len(asset.content) > 100, path
    bundle = await client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "javascript" in bundle.headers["content-type"]
    # Nothing from elsewhere: no CDN, no absolute URL at all, no inline script or style.
    assert "http" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=", html)
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    init = (await client.get("/static/apidocs/init.js")).text
    assert "SwaggerUIBundle(" in init and "data-openapi" in init


async def test_the_document_stays_at_openapi_json(client: Client) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.") and "/api/v1/auth/login" in doc["paths"]
    assert (await client.get("/schema/openapi.yaml")).status_code == 200
    assert (await client.get("/schema/swagger")).status_code == 200


async def test_the_app_stylesheet_is_still_served(client: Client) -> None:
    css = await client.get("/static/app.css")
    assert css.status_code == 200 and "font-family" in css.text
    assert (await client.get("/static/no-such-file.js")).status_code == 404
