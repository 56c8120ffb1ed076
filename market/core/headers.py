"""Security headers on every response, added by one ``before_send`` hook.

The pages load one stylesheet and no script from ``/static`` and carry no inline ``<script>``,
``<style>`` or ``style=`` (checked by tests/core/test_security_headers.py), so the policy can
be strict: everything from this origin only, nothing inline, no framing. Charts and maps are
inline SVG, which needs no source; ``data:`` images cover SVG that a page embeds as an image.

Responses to a request that carries credentials (a bearer token or the session cookie) are
``Cache-Control: no-store``: a shared proxy or the browser's back button must not show one
firm's offers, deals or tokens to the next person. HSTS only in production, where the
service is behind HTTPS; on a development server over HTTP it would be ignored at best and
would pin ``localhost`` to HTTPS at worst.
"""

from __future__ import annotations

from litestar.types import BeforeMessageSendHookHandler as BeforeSend
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
#: Name of the pages' session cookie (``market.accounts.web_session.COOKIE``; core cannot
#: import accounts, and a test checks the two agree).
SESSION_COOKIE = "market_session"

_ALWAYS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
]


def _has_credentials(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return True
        if name == b"cookie" and f"{SESSION_COOKIE}=".encode() in value:
            return True
    return False


def _sets_session(headers: list[tuple[bytes, bytes]]) -> bool:
    cookie = f"{SESSION_COOKIE}=".encode()
    return any(k.lower() == b"set-cookie" and v.startswith(cookie) for k, v in headers)


def security_headers(production: bool, token_paths: tuple[str, ...] = ()) -> BeforeSend:
    """A ``before_send`` hook for ``Litestar(before_send=[...])``; HSTS when ``production``.

    A hook rather than a middleware: Litestar runs middleware only around matched routes,
    so its own 404 and 405 answers would go out bare; ``before_send`` sees every message.
    ``token_paths`` are path prefixes whose answers hand out a token (the API's login):
    no-store even though the request carried no credentials yet.
    """
    extra = [(b"strict-transport-security", HSTS.encode())] if production else []

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        original = list(message.get("headers", []))
        private = (
            _has_credentials(scope)
            or scope.get("path", "").startswith(token_paths)
            or _sets_session(original)
        )
        headers = [(k, v) for k, v in original if not (private and k.lower() == b"cache-control")]
        present = {k.lower() for k, _ in headers}
        headers += [(k, v) for k, v in _ALWAYS + extra if k not in present]
        if private:
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers

    return add_headers
