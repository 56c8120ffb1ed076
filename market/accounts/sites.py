"""Sites: an organisation's plants and yards, stored in WGS84 with their district and park."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.datums import CoordinateError, to_wgs84
from market.accounts.access import require_member
from market.accounts.models import Site, User
from market.accounts.organizations import get_organization
from market.core.errors import Invalid, NotFound

#: Gives (district code, park code) for a WGS84 point.
Locator = Callable[[float, float], tuple[str | None, str | None]]


def site_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Validate a typed or pasted coordinate and convert it to WGS84 (422 naming the field)."""
    try:
        return to_wgs84(lon, lat, crs)
    except CoordinateError as exc:
        raise Invalid(exc.field, exc.reason) from exc


@dataclass(frozen=True)
class SiteInput:
    """A site as typed or pasted: coordinates in ``crs``, converted to WGS84 on creation."""

    name: str
    lon: float
    lat: float
    address: str = ""
    crs: str = "wgs84"


async def create_site(
    session: AsyncSession,
    actor: User,
    organization_id: int,
    data: SiteInput,
    locate: Locator | None = None,
) -> Site:
    """Members add their organisation's sites; ``locate`` attributes district and park."""
    await get_organization(session, organization_id)
    await require_member(session, actor, organization_id)
    wlon, wlat = site_point(data.lon, data.lat, data.crs)
    site = Site(
        organization_id=organization_id,
        name=data.name.strip(),
        address=data.address.strip(),
        lon=wlon,
        lat=wlat,
    )
    if locate is not None:
        site.district_code, site.park_code = locate(wlon, wlat)
    session.add(site)
    await session.flush()
    return site


async def list_sites(session: AsyncSession, organization_id: int) -> list[Site]:
    stmt = select(Site).where(Site.organization_id == organization_id).order_by(Site.id)  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


async def get_site(session: AsyncSession, site_id: int) -> Site:
    site = await session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} does not exist")
    return site
