"""City statistics: utilisation by the official formula, flows, CO2, targets, exports.

Regulators see everything; anybody else sees the city totals plus their own organisations'
figures (see :mod:`market.stats.utilisation`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from pydantic import Field

from market.accounts.deps import CurrentUser
from market.catalogue.models import Material
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid
from market.core.schemas import Body
from market.ledger.importer import XLSX_MEDIA_TYPE
from market.stats import co2, flows, targets
from market.stats import export as stats_export
from market.stats import utilisation as svc
from market.stats.utilisation import StatsFilter

Page = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=500)]


class TargetIn(Body):
    organization_id: int
    material_code: str
    year: Annotated[int, Field(ge=2000, le=2100)]
    target_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False)]


async def _filter(
    db: Db, user: CurrentUser, year: int | None, month: int | None, material: str | None
) -> tuple[StatsFilter, StatsFilter]:
    """(the viewer's filter, the city's filter), after validating the query."""
    svc.check_filter(year, month)
    if material is not None and await db.get(Material, material) is None:
        raise Invalid("material", f"unknown material {material!r}")
    scope = await svc.viewer_scope(db, user)
    return StatsFilter(year, month, material, scope), StatsFilter(year, month, material)


@get(
    "/stats/utilisation",
    tags=["statistics"],
    summary="Utilisation rate (综合利用率) and tonnes, grouped",
)
async def utilisation(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    group_by: FromQuery[str] = "material",
) -> dict[str, Any]:
    return await svc.utilisation(
        db, user, settings, year=year, month=month, material=material, group_by=group_by
    )


def _filename(ext: str, year: int | None, group_by: str) -> dict[str, str]:
    name = f"utilisation_{year or 'all'}_{group_by}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@get(
    "/stats/export.xlsx",
    tags=["statistics"],
    summary="The utilisation report as Excel, with formula and CO2 factors",
    media_type=XLSX_MEDIA_TYPE,
)
async def export_xlsx(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    group_by: FromQuery[str] = "material",
) -> Response[bytes]:
    report = await svc.utilisation(
        db, user, settings, year=year, month=month, material=material, group_by=group_by
    )
    return Response(
        stats_export.to_xlsx(report, settings),
        media_type=XLSX_MEDIA_TYPE,
        headers=_filename("xlsx", year, group_by),
    )


@get(
    "/stats/export.csv",
    tags=["statistics"],
    summary="The utilisation report as CSV (UTF-8 with BOM)",
    media_type="text/csv",
)
async def export_csv(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    group_by: FromQuery[str] = "material",
) -> Response[bytes]:
    report = await svc.utilisation(
        db, user, settings, year=year, month=month, material=material, group_by=group_by
    )
    return Response(
        stats_export.to_csv(report),
        media_type="text/csv",
        headers=_filename("csv", year, group_by),
    )


@get(
    "/stats/flows",
    tags=["statistics"],
    summary="Origin → destination tonnes of confirmed receipts, for maps",
)
async def stats_flows(
    user: CurrentUser,
    db: Db,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    level: FromQuery[str] = "site",
) -> dict[str, Any]:
    mine, _ = await _filter(db, user, year, month, material)
    return await flows.flows(db, mine, level)


@get(
    "/stats/co2",
    tags=["statistics"],
    summary="CO2 avoided by exchange receipts, net of haulage, with the factors used",
)
async def stats_co2(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
) -> dict[str, Any]:
    mine, city = await _filter(db, user, year, month, material)
    city_figures = await co2.summary(db, city, settings)
    return {
        "scope": "city" if mine.org_ids is None else "organization",
        "filters": {"year": year, "month": month, "material": material},
        "factors": co2.factors_view(settings),
        "figures": city_figures if mine.org_ids is None else await co2.summary(db, mine, settings),
        "city": city_figures,
    }


@get(
    "/stats/co2/receipts",
    tags=["statistics"],
    summary="CO2 avoided per receipt (yours; all for regulators), newest first",
)
async def stats_co2_receipts(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    mine, _ = await _filter(db, user, year, month, material)
    items, total = await co2.receipt_rows(db, mine, settings, page, page_size)
    return {
        "items": items,
        "total": total,
        "page": page,
        "page_size": page_size,
        "factors": co2.factors_view(settings),
    }


@post(
    "/stats/targets",
    tags=["statistics"],
    summary="Set an organisation's utilisation target for a material and year (regulators)",
)
async def set_target(
    data: JSONBody[TargetIn], user: CurrentUser, db: Db
) -> Response[dict[str, Any]]:
    target, created = await targets.set_target(
        db,
        user,
        organization_id=data.organization_id,
        material_code=data.material_code,
        year=data.year,
        target_pct=data.target_pct,
    )
    return Response(targets.target_view(target), status_code=201 if created else 200)


@get(
    "/stats/below-target",
    tags=["statistics"],
    summary="Producers below their utilisation target for the year (以用定产)",
)
async def below_target(user: CurrentUser, db: Db, year: FromQuery[int]) -> dict[str, Any]:
    return await targets.below_target(db, user, year)


routes = [
    utilisation,
    export_xlsx,
    export_csv,
    stats_flows,
    stats_co2,
    stats_co2_receipts,
    set_target,
    below_target,
]
