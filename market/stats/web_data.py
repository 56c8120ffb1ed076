"""Figures for the city page: official utilisation (stats service) and open supply (listings).

Utilisation comes from the producers' monthly ledgers through
:mod:`market.stats.utilisation` (the official formula, DOMAIN §3). Until producers report
ledgers those figures are empty, so the page also shows what the exchange itself knows:
open, not yet reserved tonnage by district and material, and tonnage listed per month. That
query is small and lives here because it is a view of the listings table for this page only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Site
from market.ledger.service import month_label
from market.offers.models import Listing
from market.stats import utilisation as stats

#: China Standard Time (no DST): what a clerk means by "this month".
_CHINA = timezone(timedelta(hours=8), "CST")


@dataclass
class SupplyFigures:
    """Open tonnage still available, by district code and by material code."""

    by_district: dict[str, Decimal] = field(default_factory=dict)
    by_material: dict[str, Decimal] = field(default_factory=dict)
    listed_by_month: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)


async def open_supply(session: AsyncSession) -> SupplyFigures:
    """Sums in SQL over exact kilograms (the tonnes type), grouped twice; months in Python."""
    district = func.coalesce(col(Site.district_code), col(Organization.district_code))
    available = func.sum(Listing.available_sql())
    base = (
        select(district, col(Listing.material_code), available)
        .join(Site, col(Site.id) == col(Listing.site_id))
        .join(Organization, col(Organization.id) == col(Listing.organization_id))
        .where(col(Listing.status) == "open")
        .group_by(district, col(Listing.material_code))
    )
    figures = SupplyFigures()
    by_district: dict[str, Decimal] = defaultdict(Decimal)
    by_material: dict[str, Decimal] = defaultdict(Decimal)
    for code, material, tonnes in (await session.exec(base)).all():
        value = Decimal(tonnes or 0)
        by_district[code or "?"] += value
        by_material[material] += value
        figures.total += value
    figures.by_district = dict(by_district)
    figures.by_material = dict(by_material)
    # Tonnage put on the exchange per month (China time is what a clerk means by a month;
    # a UTC+8 shift keeps a listing posted at 01:00 on the 1st in the right month).
    rows = (
        await session.exec(
            select(col(Listing.created_at), col(Listing.quantity_t)).where(
                col(Listing.status).notin_(("draft", "withdrawn"))
            )
        )
    ).all()
    listed: dict[str, Decimal] = defaultdict(Decimal)
    for created, quantity in rows:
        local = created.astimezone(_CHINA)
        listed[month_label(local.year, local.month)] += quantity
    figures.listed_by_month = dict(sorted(listed.items()))
    return figures


@dataclass
class UtilisationFigures:
    """The stats service's city report, reduced to what the page draws."""

    totals: dict[str, Any]
    by_district: list[dict[str, Any]]
    by_material: list[dict[str, Any]]
    by_month: list[dict[str, Any]]

    @property
    def has_data(self) -> bool:
        return bool(self.totals.get("ledgers"))


async def utilisation(session: AsyncSession, year: int | None) -> UtilisationFigures:
    """City-wide figures; the caller has already checked the viewer is a regulator."""
    stats.check_filter(year, None)
    city = stats.StatsFilter(year=year)
    return UtilisationFigures(
        totals=await stats.totals(session, city),
        by_district=await stats.grouped(session, city, "district"),
        by_material=await stats.grouped(session, city, "material"),
        by_month=await stats.grouped(session, city, "month"),
    )
