"""The detail pages' best matches, through the lead's matching service.

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
from market.offers.models import Demand, Listing

TOP_MATCHES = 5


@dataclass(frozen=True)
class MatchPanel:
    rows: list[dict[str, Any]]
    note_zh: str = ""
    note_en: str = ""


async def listing_match_panel(
    db: AsyncSession, viewer: Viewer, listing: Listing, settings: Settings, state: State
) -> MatchPanel:
    if not viewer.regulator and listing.organization_id not in viewer.org_ids:
        return MatchPanel(
            [],
            "匹配结果仅对发布企业和监管部门可见。",
            "Matches are shown to the producer and regulators only.",
        )
    if listing.status != "open":
        return MatchPanel(
            [], "挂牌未开放，暂不匹配。", "The listing is not open, so it is not matched."
        )
    # The app's shared per-process index cache (``state.match_books``), as the API uses.
    rows = await matches.listing_matches(
        db,
        viewer.user,
        listing.id or 0,
        limit=TOP_MATCHES,
        settings=settings,
        cache=state.match_books,
    )
    if not rows:
        return MatchPanel([], "暂无符合条件的求购。", "No open demand fits this listing yet.")
    return MatchPanel(rows)


async def demand_match_panel(
    db: AsyncSession, viewer: Viewer, demand: Demand, settings: Settings, state: State
) -> MatchPanel:
    """The best open listings for a buyer's request (producers stay anonymous)."""
    if not viewer.regulator and demand.organization_id not in viewer.org_ids:
        return MatchPanel(
            [],
            "匹配结果仅对求购企业和监管部门可见。",
            "Matches are shown to the buyer and regulators only.",
        )
    if demand.status != "open":
        return MatchPanel(
            [], "求购未开放，暂不匹配。", "The request is not open, so it is not matched."
        )
    rows = await matches.demand_matches(
        db,
        viewer.user,
        demand.id or 0,
        limit=TOP_MATCHES,
        settings=settings,
        cache=state.match_books,
    )
    if not rows:
        return MatchPanel([], "暂无符合条件的供应。", "No open listing fits this request yet.")
    return MatchPanel(rows)
