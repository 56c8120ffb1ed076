"""Small reads the forms and pages share: materials, my sites, district seats."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICTS
from geodata.places import PLACES_BY_CODE
from market.accounts.models import Organization, Site
from market.accounts.sites import list_sites
from market.accounts.web_session import Viewer
from market.catalogue import service as catalogue
from market.catalogue.models import Material, MaterialParameter


@dataclass(frozen=True)
class Seat:
    """A county-level seat offered as a search centre (WGS84)."""

    code: str
    name_zh: str
    lon: float
    lat: float
    name_en: str = ""


def district_seats() -> list[Seat]:
    """The five district seats of DOMAIN §5, converted from GCJ-02 like every stored point."""
    seats = []
    for district in DISTRICTS:
        place = PLACES_BY_CODE.get(district.code)
        if place is not None:
            lon, lat = place.wgs84()
            seats.append(Seat(district.code, district.name_zh, lon, lat, district.name_en))
    return seats


async def materials(db: AsyncSession) -> dict[str, Material]:
    return {m.code: m for m in await catalogue.list_materials(db)}


async def my_sites(db: AsyncSession, viewer: Viewer) -> list[tuple[Site, Organization]]:
    """Every site of every organisation the viewer belongs to, organisation order."""
    out: list[tuple[Site, Organization]] = []
    for org, _role in viewer.orgs:
        assert org.id is not None
        out += [(s, org) for s in await list_sites(db, org.id)]
    return out


async def ordered_parameters(db: AsyncSession, code: str) -> dict[str, MaterialParameter]:
    """A material's parameters in catalogue (seed) order, the order of the standard's table.

    The service returns them unordered, and PostgreSQL's JSONB reorders spec keys, so every
    page sorts by the parameter's id to show the same order on both databases.
    """
    params = await catalogue.parameters(db, code)
    return dict(sorted(params.items(), key=lambda kv: kv[1].id or 0))


async def parameters_by_material(
    db: AsyncSession, codes: set[str]
) -> dict[str, dict[str, MaterialParameter]]:
    return {code: await ordered_parameters(db, code) for code in sorted(codes)}
