"""Wiring the pages into the app: router, CSRF, HTML error pages, templates, static files.

CSRF protection is a middleware on the page router only. The JSON API authenticates with a
bearer header that a browser never sends on its own, so it needs no CSRF token and must
keep working for scripts; the pages authenticate with a cookie, which a browser *does*
attach to a forged cross-site form post, hence the token on every page form.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from market.core.errors import Problem
from market.core.settings import Settings
from market.web import format as fmt
from market.web import i18n
from market.web.messages import reason
from market.web.render import LoginRequired, error_page

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CSRF_COOKIE = "csrftoken"

#: Error page titles and what to say when the error itself tells a visitor nothing useful
#: (English message ids; Chinese in ``locale/zh/base.po``).
_TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Access denied",
    404: "Not found",
    405: "Not supported",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service busy",
}
_GENERIC = {
    400: "The request could not be read.",
    401: "Please log in first.",
    403: "You may not see or do this.",
    404: "This page or record does not exist, or you may not see it.",
    405: "This address does not support that action.",
    409: "This conflicts with the current state; reload the page and try again.",
    413: "The upload is too large.",
    422: "A value in the address or the form is not valid.",
    429: "Too many requests; wait a moment and try again.",
    503: "The service is busy; try again shortly.",
}


def _html_error(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    """An HTML error page in the page's language (never problem+json on the page router).

    A service's detail is shown when the catalogues can say it in the page's language (or the
    page is English); otherwise the status's own sentence, so a Chinese page never shows an
    English fragment. Litestar's own details ("Not Found", "Validation failed for GET …")
    name no field a visitor could fix, so they give way to that sentence too.
    """
    # The viewer is not resolved here (the failing request may be the one resolving it); the
    # error page shows a plain header, which is enough to find the way back.
    if status == 403 and "CSRF" in detail:
        detail = i18n.gettext(
            "The form expired or came from another site; reload the page and try again."
        )
    else:
        said = reason(detail)
        generic = i18n.gettext(_GENERIC.get(status, "Something went wrong."))
        internal = detail in ("Not Found", "Method Not Allowed") or detail.startswith(
            "Validation failed"
        )
        untranslated = said == detail and i18n.current_locale() != "en"
        detail = generic if internal or untranslated else said
    title = i18n.gettext(_TITLES.get(status, "Something went wrong"))
    return error_page(None, status, title, detail)


def fault_pages() -> dict[int | type[Exception], Any]:
    """The app's fault handlers (database away, an unexpected error …) as page handlers.

    Each still classifies, logs and sets its status and ``Retry-After`` as it does for the
    API; the page router then answers that status with an HTML page in the page's language
    instead of problem+json. Litestar looks a handler up along the exception's MRO over all
    layers at once, so every app-level key needs its page twin here, or the app's JSON
    handler for e.g. ``OperationalError`` would win over a page router's ``Exception``.
    """
    from market.core.problems import EXCEPTION_HANDLERS

    def as_page(handler: Any) -> Any:
        def page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            answer = handler(request, exc)
            status = answer.status_code
            shown = _html_error(request, status, _GENERIC.get(status, "Something went wrong."))
            if retry := answer.headers.get("Retry-After"):
                shown.headers["Retry-After"] = retry
            return shown

        return page

    own = (Problem, HTTPException)
    return {
        key: as_page(handler)
        for key, handler in EXCEPTION_HANDLERS.items()
        if isinstance(key, type) and not issubclass(key, own)
    }


def handle_login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return Redirect(exc.login_url(), status_code=303)


def handle_problem(request: Request[Any, Any, Any], exc: Problem) -> Response[Any]:
    return _html_error(request, exc.status, exc.detail)


def handle_bad_query(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """A query or path value of the wrong type: 422, as the API answers it."""
    return _html_error(request, 422, str(exc.detail))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _html_error(request, exc.status_code, str(exc.detail))


#: Paths whose errors stay problem+json even when no route matched: the API, its document and
#: the static files. Every other unmatched path (a mistyped page address) gets an HTML page.
NOT_PAGES = ("/api/", "/api", "/schema", "/static/")


def html_outside_api(fallback: Any) -> Any:
    """An app-level HTTPException handler: an HTML error page for a path that matched no
    route outside :data:`NOT_PAGES` (the page router's own handlers never see those), else
    ``fallback`` (the API's problem+json)."""

    def handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        path = request.url.path
        if path == "/api" or path.startswith(NOT_PAGES):
            return fallback(request, exc)
        # The page router's LocaleMiddleware did not run for a path that matched no route.
        i18n.set_locale(
            i18n.negotiate(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
        )
        return handle_http(request, exc)

    return handler


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Autoescaping everywhere and StrictUndefined, so a typo in a template is an error."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    fmt.register(env)
    i18n.install(env)
    env.globals["spec_in_order"] = fmt.spec_in_order
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def page_router(
    settings: Settings, route_handlers: Sequence[Any], dependencies: dict[str, Provide]
) -> Router:
    """The domains' HTML pages, behind CSRF, with HTML error pages instead of problem+json."""
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_samesite="lax",
        cookie_httponly=False,
        cookie_secure=settings.production,
    )
    return Router(
        "/",
        route_handlers=list(route_handlers),
        dependencies=dependencies,
        middleware=[i18n.LocaleMiddleware, DefineMiddleware(CSRFMiddleware, config=csrf)],
        exception_handlers={
            **fault_pages(),
            LoginRequired: handle_login_required,
            Problem: handle_problem,
            HTTPException: handle_http,
            NotAuthorizedException: handle_http,
            PermissionDeniedException: handle_http,
            # A bad query (``?org=abc``): the app's own 422 handler is keyed on this class,
            # which would win over HTTPException here and answer problem+json.
            ValidationException: handle_bad_query,
        },
        include_in_schema=False,
    )


def static_router() -> Router:
    """``/static/app.css``: one stylesheet, no CDN, cached for a day; and under
    ``/static/swagger-ui/`` the API documentation's assets from the installed package."""
    from litestar.datastructures import CacheControlHeader

    from market.web.apidocs import SWAGGER_UI_DIR, SWAGGER_UI_URL

    cache = CacheControlHeader(max_age=86400, public=True)
    swagger = create_static_files_router(
        path=SWAGGER_UI_URL,
        directories=[SWAGGER_UI_DIR],
        name="static-swagger-ui",
        cache_control=cache,
        include_in_schema=False,
    )
    own = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        cache_control=cache,
        include_in_schema=False,
    )
    return Router("/", route_handlers=[swagger, own], include_in_schema=False)
