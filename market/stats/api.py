"""City statistics: utilisation by the official formula, flows, CO2, targets, exports.

Regulators see everything; anybody else sees the city totals plus their own organisations'
figures (see :mod:`market.stats.utilisation`). The period and material are one dependency
(:mod:`market.stats.deps`), the same for every report.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.core.deps import AppSettings, Db
from market.core.openapi import problems
from market.ledger.importer import XLSX_MEDIA_TYPE
from market.stats import co2, flows, targets
from market.stats import export as stats_export
from market.stats import utilisation as svc
from market.stats.deps import STATS_FILTER, ViewerFilter
from market.stats.grouping import GROUP_BY
from market.stats.schemas import (
    BelowTargetPage,
    Co2Out,
    Co2ReceiptPage,
    FlowsOut,
    TargetIn,
    TargetOut,
    UtilisationOut,
)

#: As documented; a Response adds the charset to any text/ type itself, so it is given "text/csv".
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
#: Checked by the service (422 naming it); ``schema_extra`` documents the range.
TargetYear = Annotated[
    int, QueryParameter(schema_extra={"minimum": 2000, "maximum": 2100}, description="2000–2100")
]
PageSize = Annotated[int, QueryParameter(ge=1, le=500)]
GroupBy = Annotated[
    str,
    QueryParameter(
        description=f"one of {', '.join(GROUP_BY)}", schema_extra={"enum": list(GROUP_BY)}
    ),
]
Level = Annotated[
    str,
    QueryParameter(
        description="site (your flows; all for regulators) or district (the whole city)",
        schema_extra={"enum": list(flows.LEVELS)},
    ),
]
#: The filter dependency needs a login, which the handler's own signature does not show.
_LOGIN = problems(401)


@get(
    "/stats/utilisation",
    tags=["statistics"],
    summary="Utilisation rate (综合利用率) and tonnes, grouped",
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def utilisation(
    stats_filter: ViewerFilter, db: Db, settings: AppSettings, group_by: GroupBy = "material"
) -> UtilisationOut:
    report = await svc.utilisation(db, settings, stats_filter, group_by)
    return UtilisationOut.model_validate(report)


def _filename(ext: str, year: int | None, group_by: str) -> dict[str, str]:
    name = f"utilisation_{year or 'all'}_{group_by}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@get(
    "/stats/export.xlsx",
    tags=["statistics"],
    summary="The utilisation report as Excel, with formula and CO2 factors",
    media_type=XLSX_MEDIA_TYPE,
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def export_xlsx(
    stats_filter: ViewerFilter, db: Db, settings: AppSettings, group_by: GroupBy = "material"
) -> Response[bytes]:
    report = await svc.utilisation(db, settings, stats_filter, group_by)
    return Response(
        stats_export.to_xlsx(report, settings),
        media_type=XLSX_MEDIA_TYPE,
        headers=_filename("xlsx", stats_filter.year, group_by),
    )


@get(
    "/stats/export.csv",
    tags=["statistics"],
    summary="The utilisation report as CSV (UTF-8 with BOM)",
    media_type=CSV_MEDIA_TYPE,
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def export_csv(
    stats_filter: ViewerFilter, db: Db, settings: AppSettings, group_by: GroupBy = "material"
) -> Response[bytes]:
    report = await svc.utilisation(db, settings, stats_filter, group_by)
    return Response(
        stats_export.to_csv(report),
        media_type="text/csv",
        headers=_filename("csv", stats_filter.year, group_by),
    )


@get(
    "/stats/flows",
    tags=["statistics"],
    summary="Origin → destination tonnes of confirmed receipts, for maps",
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def stats_flows(stats_filter: ViewerFilter, db: Db, level: Level = "site") -> FlowsOut:
    return FlowsOut.model_validate(await flows.flows(db, stats_filter, level))


@get(
    "/stats/co2",
    tags=["statistics"],
    summary="CO2 avoided by exchange receipts, net of haulage, with the factors used",
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def stats_co2(stats_filter: ViewerFilter, db: Db, settings: AppSettings) -> Co2Out:
    city_figures = await co2.summary(db, stats_filter.city, settings)
    mine = (
        city_figures
        if stats_filter.org_ids is None
        else await co2.summary(db, stats_filter, settings)
    )
    return Co2Out.model_validate(
        {
            "scope": stats_filter.scope,
            "filters": stats_filter.period(),
            "factors": co2.factors_view(settings),
            "figures": mine,
            "city": city_figures,
        }
    )


@get(
    "/stats/co2/receipts",
    tags=["statistics"],
    summary="CO2 avoided per receipt (yours; all for regulators), newest first",
    dependencies=STATS_FILTER,
    responses=_LOGIN,
)
async def stats_co2_receipts(
    stats_filter: ViewerFilter,
    db: Db,
    settings: AppSettings,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Co2ReceiptPage:
    items, total = await co2.receipt_rows(db, stats_filter, settings, page, page_size)
    return Co2ReceiptPage.model_validate(
        {
            "items": items,
            "total": total,
            "page": page,
            "page_size": page_size,
            "factors": co2.factors_view(settings),
        }
    )


@post(
    "/stats/targets",
    tags=["statistics"],
    summary="Set an organisation's utilisation target for a material and year (regulators)",
    description="201 for a new target, 200 when it replaces the year's target.",
    guards=[regulators],
    responses={
        200: ResponseSpec(TargetOut, description="The target was replaced"),
        **problems(403),
    },
)
async def set_target(data: JSONBody[TargetIn], user: CurrentUser, db: Db) -> Response[TargetOut]:
    target, created = await targets.set_target(db, user, data)
    view = TargetOut.model_validate(targets.target_view(target))
    return Response(view, status_code=201 if created else 200)


@get(
    "/stats/below-target",
    tags=["statistics"],
    summary="Producers below their utilisation target for the year (以用定产)",
    description="Regulators see every organisation; anybody else their own.",
)
async def below_target(user: CurrentUser, db: Db, year: TargetYear) -> BelowTargetPage:
    return BelowTargetPage.model_validate(await targets.below_target(db, user, year))


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
