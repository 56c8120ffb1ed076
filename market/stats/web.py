"""The city page for regulators: utilisation filtered by period, material, place and enterprise.

Everybody else gets a 403 page: the breakdown names enterprises' figures that only the
regulator (and the platform admin) may read.

Every figure comes from the statistics services the API uses (:mod:`market.stats.utilisation`
and its parts, :mod:`market.stats.co2`, :mod:`market.stats.targets`), through the one
:class:`~market.stats.filters.StatsFilter` the query builds (:mod:`market.stats.web_query`),
so a figure on the page, in its export and in ``GET /api/v1/stats/utilisation`` agree. The
period is stated beside every figure, and months whose ledgers are not all in are marked
(:mod:`market.stats.completeness`) instead of drawing a cliff.

**Extending the page.** :func:`city_context` builds the whole template context; another
domain's panel registers an async function in :data:`CITY_PANELS` (called with ``db``,
``settings``, ``viewer``, ``query`` and ``stats_filter``, returning more context); to be
drawn it returns its partial's name in ``city_panel_templates`` (a list, appended to the
others'), which ``{% block city_panels %}`` in ``city.html`` includes. ``context`` (what the
page has so far) is passed too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.regions import Region
from geodata.svgmap import MapFlow, draw_map
from market.accounts.models import Organization, Site
from market.accounts.web_session import Member, Viewer, rollback
from market.catalogue.models import Material
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.core.settings import Settings
from market.geo.regions import current_locator
from market.ledger.importer import XLSX_MEDIA_TYPE
from market.ledger.models import Ledger
from market.ledger.rules import china_month
from market.stats import co2, flows, targets, web_permits
from market.stats import export as stats_export
from market.stats import utilisation as svc
from market.stats import web_data as citydata
from market.stats.completeness import completeness
from market.stats.facts import FORMULA
from market.stats.filters import StatsFilter
from market.stats.schemas import TargetIn
from market.stats.web_query import (
    BadQuery,
    CityQuery,
    district_options,
    group_options,
    material_name,
    park_options,
    parse_city_query,
    period_label,
    place_name,
)
from market.web.charts import Series, hbar_chart, line_chart
from market.web.forms import pydantic_errors
from market.web.i18n import current_locale
from market.web.i18n import gettext as _
from market.web.messages import reason
from market.web.render import error_page, page

#: Extra panels of the city page: ``async fn(**known) -> extra template context``.
CityPanel = Callable[..., Awaitable[dict[str, Any]]]
CITY_PANELS: list[CityPanel] = []

#: Declared uses (receivers' deals) → label msgid, for the CO2 table.
USE_MSGIDS = {
    "clinker_substitute": "Clinker substitute",
    "cement_admixture": "Cement admixture",
    "concrete_admixture": "Concrete admixture",
    "limestone_substitute": "Limestone substitute",
    "gypsum_retarder": "Gypsum retarder",
    "mine_backfill": "Mine backfill",
    "battery_recycling": "Battery recycling",
}


def use_label(use: str | None) -> str:
    if use is None:
        return _("No declared use")
    msgid = USE_MSGIDS.get(use)
    return _(msgid) if msgid else use.replace("_", " ")


#: Flows drawn on the map (the heaviest; the table lists as many).
MAX_FLOWS = 40


async def _flows(
    db: AsyncSession, f: StatsFilter, materials: dict[str, Material]
) -> tuple[list[MapFlow], list[dict[str, Any]]]:
    """The filter's exchange receipts as origin → destination site flows, heaviest first."""
    items = (await flows.flows(db, f, "site"))["items"][:MAX_FLOWS]
    ids = {i["origin"]["site_id"] for i in items} | {i["destination"]["site_id"] for i in items}
    names: dict[int, str] = {}
    if ids:
        stmt = select(Site.id, Site.name).where(col(Site.id).in_(ids))
        names = {i: n for i, n in (await db.exec(stmt)).all() if i is not None}
    rows: list[dict[str, Any]] = []
    drawn: list[MapFlow] = []
    for item in items:
        o, d = item["origin"], item["destination"]
        label = material_name(materials, item["material_code"])
        rows.append(
            {
                "origin": names.get(o["site_id"], str(o["site_id"])),
                "origin_district": place_name(o["district_code"]) if o["district_code"] else "",
                "destination": names.get(d["site_id"], str(d["site_id"])),
                "destination_district": place_name(d["district_code"])
                if d["district_code"]
                else "",
                "material": label,
                "received_t": item["received_t"],
                "receipts": item["receipts"],
            }
        )
        drawn.append(
            MapFlow(
                o["lon"],
                o["lat"],
                d["lon"],
                d["lat"],
                float(item["received_t"]),
                label,
            )
        )
    return drawn, rows


def _localised(regions: Sequence[Region]) -> list[Region]:
    """Regions named in the page's language only (the map titles them "zh en" otherwise)."""
    if current_locale() == "en":
        return [replace(r, name_zh=r.name_en or r.name_zh, name_en="") for r in regions]
    return [replace(r, name_en="") for r in regions]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _forbidden(member: Viewer) -> Template:
    return error_page(
        member, 403, _("Not allowed"), _("The city page is for regulators and platform admins.")
    )


async def _materials(db: AsyncSession) -> dict[str, Material]:
    return {m.code: m for m in (await db.exec(select(Material).order_by(Material.code))).all()}


async def _enterprises(db: AsyncSession) -> list[Organization]:
    """Organisations a regulator filters by: producers and anybody who filed a ledger."""
    filed = select(Ledger.organization_id).distinct()
    stmt = (
        select(Organization)
        .where((col(Organization.kind) == "producer") | col(Organization.id).in_(filed))
        .order_by(col(Organization.name), col(Organization.id))
    )
    return list((await db.exec(stmt)).all())


async def _latest_ledger_year(db: AsyncSession) -> int | None:
    return (await db.exec(select(func.max(Ledger.year)))).one()


def _relabel(
    groups: list[dict[str, Any]],
    group_by: str,
    materials: dict[str, Material],
    orgs: dict[int, str],
) -> list[dict[str, Any]]:
    """The services' groups with labels in the page's language (never a raw code)."""
    out = []
    for g in groups:
        key = g["key"]
        if group_by == "material":
            label = material_name(materials, key)
        elif group_by in ("district", "park"):
            label = place_name(key) if key is not None else _("not in a park")
        elif group_by == "organization":
            label = orgs.get(key, str(key))
        else:
            label = str(key)
        out.append({**g, "label": label})
    return out


async def city_context(
    db: AsyncSession, state: State, settings: Settings, member: Viewer, q: CityQuery
) -> dict[str, Any]:
    """Everything ``city.html`` draws, for one query (and any registered panel's extras)."""
    f = q.stats_filter()
    materials = await _materials(db)
    enterprises = await _enterprises(db)
    org_names = {o.id: o.name for o in enterprises if o.id is not None}
    period = period_label(q.year, q.month)
    year_period = period_label(q.year, None)

    totals = await svc.totals(db, f)
    by_district = _relabel(await svc.grouped(db, f, "district"), "district", materials, org_names)
    by_material = _relabel(await svc.grouped(db, f, "material"), "material", materials, org_names)
    by_org = _relabel(
        await svc.grouped(db, f, "organization"), "organization", materials, org_names
    )
    year_f = StatsFilter(
        year=f.year, material=f.material, org_ids=f.org_ids, district=f.district, park=f.park
    )
    by_month = await svc.grouped(db, year_f, "month")
    months = await completeness(db, year_f)
    incomplete = {m.label: m for m in months if not m.complete}
    selected_months = [m for m in months if q.month is None or m.month == q.month]
    has_data = bool(totals.get("ledgers"))

    regions = _localised((await current_locator(db, state)).regions)
    supply = await citydata.open_supply(db)
    map_flows, flow_rows = await _flows(db, f, materials)
    if has_data:
        rates = {
            g["key"]: float(g["utilisation_rate_pct"])
            for g in by_district
            if g["key"] and g["utilisation_rate_pct"] is not None
        }
        map_svg = draw_map(
            regions,
            values=rates,
            value_label=_("Utilisation rate %%") % {},
            flows=map_flows,
            width=720,
            height=540,
            title=_("Utilisation rate by district · %(period)s") % {"period": period},
        )
        ordered = sorted(by_material, key=lambda g: -float(g["utilised_t"]))
        bar_svg = hbar_chart(
            [(g["label"], _float(g["utilised_t"])) for g in ordered],
            title=_("Utilised by material · %(period)s") % {"period": period},
            unit=_("t"),
        )
        labels = [g["key"] + (" *" if g["key"] in incomplete else "") for g in by_month]
        line_svg = line_chart(
            labels,
            [
                Series(_("Generated"), [_float(g["generated_t"]) for g in by_month]),
                Series(_("Utilised"), [_float(g["utilised_t"]) for g in by_month]),
            ],
            title=_("Monthly generated and utilised · %(period)s") % {"period": year_period},
            unit=_("t"),
        )
    else:
        map_svg = draw_map(
            regions,
            values={k: float(v) for k, v in supply.by_district.items()},
            value_label=_("Available t"),
            width=720,
            height=540,
            title=_("Open supply on the exchange by district (now)"),
        )
        bar_svg = hbar_chart(
            [
                (material_name(materials, k), float(v))
                for k, v in sorted(supply.by_material.items(), key=lambda kv: -kv[1])
            ],
            title=_("Open supply on the exchange by material (now)"),
            unit=_("t"),
        )
        line_svg = line_chart(
            list(supply.listed_by_month),
            [Series(_("Listed"), [float(v) for v in supply.listed_by_month.values()])],
            title=_("Tonnes listed per month"),
            unit=_("t"),
        )

    target_year = q.year or await _latest_ledger_year(db) or china_month()[0]
    below = await targets.below_target(db, member.user, target_year)
    placed: set[int] | None = None
    if f.district is not None or f.park is not None:  # enterprises with a site there
        stmt = select(Site.organization_id).where(*f.site_conditions(col(Site.id)))
        placed = set((await db.exec(stmt)).all())
    below_rows = [
        {**row, "organization_label": row["organization_name"]}
        for row in below["items"]
        if (q.material is None or row["material_code"] == q.material)
        and (q.organization_id is None or row["organization_id"] == q.organization_id)
        and (placed is None or row["organization_id"] in placed)
    ]
    co2_figures = await co2.summary(db, f, settings)
    today, expiring, listed = await web_permits.licences(db, member.user)
    context: dict[str, Any] = {
        "q": q,
        "period": period,
        "year_period": year_period,
        "has_data": has_data,
        "totals": totals,
        "by_district": by_district,
        "by_material": by_material,
        "by_org": by_org,
        "months": selected_months,
        "incomplete": incomplete,
        "formula": FORMULA,
        "supply": supply,
        "supply_rows": sorted(
            ((place_name(code), v) for code, v in supply.by_district.items()),
            key=lambda kv: -kv[1],
        ),
        "supply_material_rows": [
            (material_name(materials, k), v)
            for k, v in sorted(supply.by_material.items(), key=lambda kv: -kv[1])
        ],
        "map_svg": map_svg,
        "bar_svg": bar_svg,
        "line_svg": line_svg,
        "target_year": target_year,
        "below_target": below_rows,
        "flows": flow_rows,
        "today": today,
        "renewal_days": web_permits.RENEWAL_DAYS,
        "expiring_permits": expiring,
        "miit_listed": listed,
        "co2": co2_figures,
        "co2_factors": co2.factors_view(settings),
        "use_label": use_label,
        "material_name": lambda code: material_name(materials, code),
        "materials": materials,
        "enterprises": enterprises,
        "district_options": district_options(),
        "park_options": park_options(),
        "group_options": group_options(),
        "years": list(range(china_month()[0], 2014, -1)),
        "export_query": q.query_string(),
        "export_fields": [
            (k, v) for k, v in parse_qsl(q.query_string(group_by=None)) if k != "group_by"
        ],
        #: Partials a registered panel adds to ``{% block city_panels %}``.
        "city_panel_templates": [],
        "target_errors": [],
        "target_values": {},
        "zero": Decimal(0),
    }
    for panel in CITY_PANELS:
        extra = await panel(
            db=db, settings=settings, viewer=member, query=q, stats_filter=f, context=context
        )
        templates = [*context["city_panel_templates"], *extra.pop("city_panel_templates", [])]
        context.update(extra, city_panel_templates=templates)
    return context


async def _query(db: AsyncSession, request: Request[Any, Any, Any]) -> CityQuery:
    materials = await _materials(db)
    org_ids = {i for i in (await db.exec(select(Organization.id))).all() if i is not None}
    return parse_city_query(dict(request.query_params), materials, org_ids)


def _bad_query(member: Viewer, exc: BadQuery) -> Template:
    return error_page(member, 422, _("The filter is not valid"), " ".join(exc.messages))


@get("/city", name="web-city")
async def city_page(
    request: Request[Any, Any, Any], member: Member, db: Db, state: State, settings: AppSettings
) -> Template:
    if not member.regulator:
        return _forbidden(member)
    try:
        q = await _query(db, request)
    except BadQuery as exc:
        return _bad_query(member, exc)
    return page("city.html", member, **await city_context(db, state, settings, member, q))


async def _export(
    request: Request[Any, Any, Any], member: Viewer, db: AsyncSession, settings: Settings, ext: str
) -> Response[Any]:
    if not member.regulator:
        return _forbidden(member)
    try:
        q = await _query(db, request)
    except BadQuery as exc:
        return _bad_query(member, exc)
    report = await svc.utilisation(db, settings, q.stats_filter(), q.group_by)
    name = f"utilisation_{q.year or 'all'}{f'-{q.month:02d}' if q.month else ''}_{q.group_by}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{ext}"'}
    if ext == "xlsx":
        return Response(
            stats_export.to_xlsx(report, settings), media_type=XLSX_MEDIA_TYPE, headers=headers
        )
    return Response(stats_export.to_csv(report), media_type="text/csv", headers=headers)


@get("/city/export.xlsx", name="web-city-export-xlsx")
async def city_export_xlsx(
    request: Request[Any, Any, Any], member: Member, db: Db, settings: AppSettings
) -> Response[Any]:
    """The API's utilisation export for the page's filters, with the session cookie."""
    return await _export(request, member, db, settings, "xlsx")


@get("/city/export.csv", name="web-city-export-csv")
async def city_export_csv(
    request: Request[Any, Any, Any], member: Member, db: Db, settings: AppSettings
) -> Response[Any]:
    return await _export(request, member, db, settings, "csv")


def _reasons(errors: dict[str, list[str]]) -> list[str]:
    labels = {
        "organization_id": _("Enterprise"),
        "material_code": _("Material"),
        "year": _("Year"),
        "target_pct": _("Target %%") % {},
    }
    return [f"{labels.get(k, k)}: {reason(m)}" for k, ms in errors.items() for m in ms]


@post("/city/targets", name="web-city-target")
async def city_set_target(
    request: Request[Any, Any, Any], member: Member, db: Db, state: State, settings: AppSettings
) -> Response[Any]:
    """Set a 以用定产 target through the API's model and service, then back to the page."""
    if not member.regulator:
        return _forbidden(member)
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    body = {
        k: values[k].replace(",", "").replace("%", "").strip()
        for k in ("organization_id", "material_code", "year", "target_pct")
        if values.get(k)
    }
    errors: list[str] = []
    try:
        target, _created = await targets.set_target(db, member.user, TargetIn.model_validate(body))
    except ValidationError as exc:
        errors = _reasons(dict(pydantic_errors(exc)))
    except Problem as exc:
        member = await rollback(db, member)
        errors = _reasons(
            {e.get("field", "form"): [e.get("reason", exc.detail)] for e in exc.errors}
            or {"form": [exc.detail]}
        )
    if not errors:
        back = urlencode(parse_qsl(values.get("back", ""))) or f"year={target.year}"
        return Redirect(f"/city?{back}#targets", status_code=303)
    q = CityQuery(year=_safe_year(values.get("year")))
    context = await city_context(db, state, settings, member, q)
    context.update(target_errors=errors, target_values=values)
    return page("city.html", member, status=422, **context)


def _safe_year(raw: str | None) -> int | None:
    if raw and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return None


routes = [city_page, city_export_xlsx, city_export_csv, city_set_target]
