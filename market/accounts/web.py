"""Log in and out of the pages: the API's own login, the token kept in an HttpOnly cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from market.accounts import service as accounts
from market.accounts.web_session import COOKIE, OptionalViewer, revoke, safe_next
from market.core.deps import AppSettings, Db
from market.core.errors import Unauthorized
from market.web.render import page


@get("/login", name="web-login")
async def login_form(viewer: OptionalViewer, next: FromQuery[str | None] = None) -> Template:
    return page("login.html", viewer, next=safe_next(next), email="", error=None)


@post("/login", name="web-login-post")
async def login_post(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings
) -> Response[Any]:
    """Log in with the API's own login; the bearer token goes into an HttpOnly cookie."""
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")) or None)
    try:
        token = await accounts.login(db, email, password, settings.token_ttl_hours)
    except Unauthorized:
        return page(
            "login.html",
            None,
            status=401,
            next=target,
            email=email,
            error="邮箱或密码错误 · wrong e-mail or password",
        )
    response: Redirect = Redirect(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.token_ttl_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        # Only over HTTPS when the page itself came over HTTPS: an intranet may serve plain
        # HTTP, where a Secure cookie would never come back and nobody could log in.
        secure=request.url.scheme == "https",
    )
    return response


@post("/logout", name="web-logout")
async def logout(request: Request[Any, Any, Any], db: Db) -> Redirect:
    """Revoke the token (not just forget the cookie) and go back to the landing page."""
    token = request.cookies.get(COOKIE)
    if token:
        await revoke(db, token)
    response = Redirect("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


routes = [login_form, login_post, logout]
