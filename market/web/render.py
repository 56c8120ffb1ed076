"""Rendering a page: the template, the viewer for the header, and the status code."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from market.web.session import Viewer


def page(template: str, viewer: Viewer | None, *, status: int = 200, **context: Any) -> Template:
    """A full page; every template extends ``base.html``, which reads ``viewer`` for the nav."""
    return Template(
        template_name=template,
        context={"viewer": viewer, **context},
        status_code=status,
        media_type="text/html; charset=utf-8",
    )


def error_page(viewer: Viewer | None, status: int, title_zh: str, detail: str) -> Template:
    return page(
        "error.html", viewer, status=status, status_code=status, title_zh=title_zh, detail=detail
    )
