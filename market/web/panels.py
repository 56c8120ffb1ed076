"""Panels a higher domain adds to a lower domain's page, without the lower one importing it.

The listing page belongs to offers, but what a buyer or producer can *do* on it (bid, buy,
answer bids, open a tender) is trading, which builds on offers. The page calls
:func:`context` with what it knows; every panel registered for that page name returns more
template context (e.g. ``{"trade": …}``), so the page template can include the panel's
partial with one line. Panels are registered when their domain's web module is imported
(``market.routes`` imports them all).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Panel = Callable[..., Awaitable[dict[str, Any]]]

_panels: dict[str, list[Panel]] = {}


def register(page: str, fn: Panel) -> Panel:
    """Register ``fn(**page_context)`` for ``page``; it returns extra template context."""
    fns = _panels.setdefault(page, [])
    if fn not in fns:
        fns.append(fn)
    return fn


async def context(page: str, **known: Any) -> dict[str, Any]:
    """The merged extra context of every panel of ``page`` (none registered: empty)."""
    out: dict[str, Any] = {}
    for fn in _panels.get(page, []):
        out.update(await fn(**known))
    return out
