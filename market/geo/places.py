"""The place look-up and the locator the pages use to put a site on the map.

The organisation pages live in accounts, to the left of geo, so they receive this as a
dependency instead of importing the geocoder: the same look-up as ``GET /geo/geocode``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.deps import Locate
from market.core.settings import Settings
from market.geo import service as geo
from market.geo.regions import current_locator


async def provide_places(
    settings: NamedDependency[Settings],
) -> Callable[[str], Awaitable[dict[str, Any] | None]]:
    async def look_up(query: str) -> dict[str, Any] | None:
        return await geo.geocode(settings.geocoder, query)

    return look_up


async def provide_page_locate(
    db: NamedDependency[AsyncSession], state: State, member: NamedDependency[Any]
) -> Locate:
    """``locate`` for the pages, whose login is the session cookie (``member``), not the
    bearer ``user`` that the API's ``locate`` waits for (so the two never share the request's
    session at the same time)."""
    return (await current_locator(db, state)).locate
