"""Which producer-months and receipts a statistic counts: the period, the material, the viewer.

Every statistic takes one :class:`StatsFilter`. A filter is a sane period by construction (a
month needs its year, years 2000–2100), so code that builds one for itself (the city page,
targets, benches) gets the same 422s as the API. :func:`viewer_filter` is the API's way in:
it also checks the material exists and narrows the filter to what the viewer may see
(regulators and the platform admin: the whole city; anybody else: their organisations).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from geodata.places import PARK_CODES
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue.models import Material
from market.core.errors import Invalid
from market.ledger.rules import check_filter

Scope = Literal["city", "organization"]


@dataclass(frozen=True)
class StatsFilter:
    """Which producer-months count. ``org_ids`` None means the whole city."""

    year: int | None = None
    month: int | None = None
    material: str | None = None
    org_ids: frozenset[int] | None = None
    #: Where the producer-month's site is: a district code (the site's, else its
    #: organisation's) and an industrial-park code. None: anywhere.
    district: str | None = None
    park: str | None = None

    def __post_init__(self) -> None:
        check_filter(self.year, self.month)

    def site_conditions(self, site_id: Any) -> list[ColumnElement[bool]]:
        """``site_id`` (a column of sites' ids) restricted to the district and park, if set.

        A subquery on the sites, so it adds no join to the caller's FROM clause and works
        the same under ledgers, receipts or anything else that names a site."""
        if self.district is None and self.park is None:
            return []
        s = Site.__table__  # type: ignore[attr-defined]
        o = Organization.__table__  # type: ignore[attr-defined]
        ids = sa.select(s.c.id).select_from(s.join(o, o.c.id == s.c.organization_id))
        if self.district is not None:
            ids = ids.where(func.coalesce(s.c.district_code, o.c.district_code) == self.district)
        if self.park is not None:
            ids = ids.where(s.c.park_code == self.park)
        return [site_id.in_(ids.scalar_subquery())]

    @property
    def city(self) -> StatsFilter:
        """The same period and material for the whole city (the figures everybody may read)."""
        return replace(self, org_ids=None)

    @property
    def scope(self) -> Scope:
        return "city" if self.org_ids is None else "organization"

    def period(self) -> dict[str, int | str | None]:
        """The filters as every report echoes them."""
        return {"year": self.year, "month": self.month, "material": self.material}


async def viewer_scope(session: AsyncSession, viewer: User) -> frozenset[int] | None:
    """None for regulators (the whole city), else the viewer's organisations."""
    if sees_everything(viewer):
        return None
    return frozenset(await member_org_ids(session, viewer))


async def viewer_filter(
    session: AsyncSession,
    viewer: User,
    year: int | None = None,
    month: int | None = None,
    material: str | None = None,
    *,
    district: str | None = None,
    park: str | None = None,
    organization_id: int | None = None,
) -> StatsFilter:
    """The viewer's filter from query values: 422 naming the field for a bad one.

    ``organization_id`` narrows the viewer's scope to that enterprise: for a regulator any
    one, for anybody else one of their own (another's leaves nothing to count, the same
    answer as an enterprise without ledgers, so it tells nothing about it).
    """
    if district is not None and district not in DISTRICT_NAMES:
        raise Invalid("district", f"unknown district {district!r}")
    if park is not None and park not in PARK_CODES:
        raise Invalid("park", f"unknown industrial park {park!r}")
    if organization_id is not None and not 1 <= organization_id <= 2_147_483_647:
        raise Invalid("organization_id", "must be an organisation id (1 to 2^31 − 1)")
    city = StatsFilter(year, month, material, district=district, park=park)
    if material is not None and await session.get(Material, material) is None:
        raise Invalid("material", f"unknown material {material!r}")
    scope = await viewer_scope(session, viewer)
    if organization_id is not None:
        scope = frozenset({organization_id}) & (scope if scope is not None else {organization_id})
    return replace(city, org_ids=scope)
