"""Log in and out of the pages: the API's own login, the token kept in an HttpOnly cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from market.accounts import service as accounts
from market.accounts.throttle import TooManyAttempts
from market.accounts.web_session import COOKIE, OptionalViewer, revoke, safe_next
from market.core.deps import AppSettings, Db
from market.core.errors import Unauthorized
from market.core.settings import Settings
from market.web.i18n import gettext
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
    client = request.client.host if request.client else "unknown"
    try:
        token = await accounts.login(db, email, password, settings, client)
    except TooManyAttempts as exc:
        refused = page(
            "login.html",
            None,
            status=429,
            next=target,
            email=email,
            error=gettext("Too many attempts; try again in %(s)s s") % {"s": exc.retry_after},
        )
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except Unauthorized:
        # Returned, not raised, so the request commits and the failure stays counted.
        return page(
            "login.html",
            None,
            status=401,
            next=target,
            email=email,
            error=gettext("Wrong e-mail or password"),
        )
    return signed_in(target, token, settings, request)


def signed_in(
    target: str, token: str, settings: Settings, request: Request[Any, Any, Any]
) -> Redirect:
    """Go to ``target`` with the bearer token in the HttpOnly session cookie."""
    response: Redirect = Redirect(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.token_ttl_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        # Always Secure in production (served over HTTPS behind its proxy); otherwise only
        # when the page itself came over HTTPS: a development server on plain HTTP would
        # never get a Secure cookie back and nobody could log in.
        secure=settings.production or request.url.scheme == "https",
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
