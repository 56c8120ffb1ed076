"""Rendering a page: the template, the viewer for the header, and the status code.

The viewer is passed through to the templates as it is (``market.accounts.web_session``
builds it), so this plumbing knows nothing of accounts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar.response import Template


def page(template: str, viewer: Any, *, status: int = 200, **context: Any) -> Template:
    """A full page; every template extends ``base.html``, which reads ``viewer`` for the nav."""
    return Template(
        template_name=template,
        context={"viewer": viewer, **context},
        status_code=status,
        media_type="text/html",  # Litestar adds "; charset=utf-8"
    )


def error_page(viewer: Any, status: int, title_zh: str, detail: str) -> Template:
    return page(
        "error.html", viewer, status=status, status_code=status, title_zh=title_zh, detail=detail
    )


class LoginRequired(Exception):
    """Raised by pages that need a user; the web router turns it into a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    def login_url(self) -> str:
        return "/login?next=" + quote(self.next_url, safe="/")
