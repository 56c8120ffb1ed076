"""``/schema``: Swagger UI served from the installed ``swagger-ui-py`` package, no CDN.

Litestar's own Swagger plugin loads its scripts from a CDN (which a city intranet cannot
reach) and starts them with an inline ``<script>`` (which our CSP refuses,
:mod:`market.core.headers`). This plugin renders a page that loads the bundle from
``/static/swagger-ui/`` (the package's files, served by :func:`market.web.config.static_router`)
and starts it from ``/static/apidocs/init.js``. The document itself stays at
``/schema/openapi.json``, where clients and schemathesis read it.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

#: The package's Swagger UI 5 folder (``swagger-ui-bundle.js``, ``swagger-ui.css`` …). Swagger
#: UI 4 (the ``swagger-ui-bundle`` package) cannot read an OpenAPI 3.1 document, which
#: Litestar writes.
SWAGGER_UI_DIR = Path(swagger_ui.__file__).resolve().parent / "static"
SWAGGER_UI_URL = "/static/swagger-ui"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="{ui}/swagger-ui.css">
<link rel="stylesheet" href="/static/apidocs/page.css">
<link rel="icon" type="image/png" href="{ui}/favicon-32x32.png">
</head>
<body>
<p class="apidocs-note"><a href="/">{title}</a> · JSON: <a href="{doc}">{doc}</a> ·
bearer token from <code>POST /api/v1/auth/login</code> (Authorize)</p>
<div id="swagger-ui" data-openapi="{doc}"></div>
<script src="{ui}/swagger-ui-bundle.js"></script>
<script src="/static/apidocs/init.js"></script>
</body>
</html>
"""


class ShippedSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI at ``/schema`` (and ``/schema/swagger``) from assets shipped with the app."""

    def __init__(self, path: str | list[str] | None = None) -> None:
        super().__init__(path=path or ["/", "/swagger"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = str(openapi_schema.get("info", {}).get("title", "API"))
        page = _PAGE.format(
            title=escape(title),
            ui=SWAGGER_UI_URL,
            doc=escape(self.get_openapi_json_route(request)),
        )
        return page.encode()
