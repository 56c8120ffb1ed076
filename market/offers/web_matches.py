"""The detail pages' best matches, through the same matching service as the API.

Only members of the posting organisation and regulators may see its matches (the service
says so with a 403); for everybody else the page explains that instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.datastructures import State
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.web_session import Viewer
from market.core.settings import Settings
from market.offers import matches
from market.offers.common import OfferKind
from market.offers.models import Listing
from market.offers.privacy import OfferT

TOP_MATCHES = 5


@dataclass(frozen=True)
class MatchPanel:
    rows: list[Any]
    #: Why there are no rows: an English message id (the template shows it through ``_``).
    note: str = ""


#: (only shown to …, not open, nothing fits) per kind; Chinese in ``locale/zh/offers.po``.
_NOTES: dict[str, tuple[str, str, str]] = {
    "listing": (
        "Matches are shown to the producer and regulators only.",
        "The listing is not open, so it is not matched.",
        "No open demand fits this listing yet.",
    ),
    "demand": (
        "Matches are shown to the buyer and regulators only.",
        "The request is not open, so it is not matched.",
        "No open listing fits this request yet.",
    ),
}


async def match_panel(
    db: AsyncSession,
    viewer: Viewer,
    kind: OfferKind[OfferT],
    row: OfferT,
    settings: Settings,
    state: State,
) -> MatchPanel:
    """The best counterparts of a listing (demands) or a demand (listings, producers anonymous)."""
    hidden, closed, none = _NOTES[kind.noun]
    if not viewer.regulator and row.organization_id not in viewer.org_ids:
        return MatchPanel([], hidden)
    if row.status != "open":
        return MatchPanel([], closed)
    # The app's shared per-process index cache (``state.match_books``), as the API uses.
    find = matches.listing_matches if isinstance(row, Listing) else matches.demand_matches
    query = matches.MatchQuery(limit=TOP_MATCHES, settings=settings, cache=state.match_books)
    rows = await find(db, viewer.user, row.id or 0, query)
    return MatchPanel(list(rows)) if rows else MatchPanel([], none)
