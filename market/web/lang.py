"""The language switch: ``GET /lang/{code}?next=/path`` keeps the choice in the ``lang`` cookie.

A plain link (no form, no script) so it works on every page, including error pages. ``next``
is followed only when it is a path on this site; anything else (``//evil.example``,
``https://…``, a header-injection attempt) goes to the home page, so the switch cannot be
used as an open redirect.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from market.web import i18n


def same_site_path(raw: str | None) -> str:
    """``raw`` when it is a path on this site ("/x", not "//host" nor "/\\host"), else "/"."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        return "/"
    return raw


@get("/lang/{code:str}", name="web-language")
async def switch_language(
    request: Request[Any, Any, Any], code: FromPath[str], next: FromQuery[str | None] = None
) -> Redirect:
    """Keep ``code`` (zh or en; anything else is Chinese) and go back to ``next``."""
    response = Redirect(same_site_path(next), status_code=303)
    cookie = i18n.language_cookie(code, secure=request.url.scheme == "https")
    response.set_cookie(cookie)
    return response


routes = [switch_language]
