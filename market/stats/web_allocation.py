"""Pages for regulators: potential vs actual utilisation with the allocation's flows on the
map (``/city/allocation``), and saved scenarios beside the baseline (``/city/scenarios``).

Both read :mod:`market.stats.allocation`, the service the API and the CLI use; nothing here
writes. Everybody but regulators (and the platform admin) gets a 403 page, as on ``/city``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import get
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.svgmap import MapFlow, MapPoint, draw_map
from market.accounts.web_session import Member
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.core.settings import Settings
from market.geo.regions import current_locator, load_locator
from market.offers import web_lookups as lookups
from market.offers.web_listings import in_page_language
from market.stats import scenarios as scenario_svc
from market.stats.allocation import (
    AllocationQuery,
    AllocationResult,
    FlowView,
    Period,
    actual_utilisation,
    apply_changes,
    load_snapshot,
    run_allocation,
    solve,
)
from market.stats.filters import StatsFilter
from market.stats.web import CITY_PANELS
from market.stats.web_query import material_name, place_name
from market.web.i18n import gettext as _
from market.web.messages import reason
from market.web.render import error_page, page

#: Flows drawn on the map and listed in the table (the largest first).
MAX_DRAWN = 60
#: Scenarios run on the scenario page (newest first).
MAX_SCENARIOS = 20


def _labels(materials: dict[str, Any]) -> dict[str, Any]:
    """Names in the page's language for the templates (never a stored code)."""
    return {
        "material_name": lambda code: material_name(materials, code),
        "district_label": lambda code: place_name(code) if code else _("district unknown"),
    }


def _problem_text(exc: Problem) -> str:
    """A service's 422/404 for the page: each field's reason in the page's language."""
    if exc.errors:
        return "; ".join(reason(e["reason"]) for e in exc.errors)
    return reason(exc.detail)


def _forbidden(member: Member) -> Template:
    return error_page(
        member,
        403,
        "无权访问",
        "城市统计页面仅对监管部门和平台管理员开放。The city page is for regulators only.",
    )


@dataclass(frozen=True)
class Choice:
    material: str
    year: int
    month: int | None


def _choice(
    materials: dict[str, Any], material: str | None, year: int | None, month: int | None
) -> Choice:
    default = "fly_ash" if "fly_ash" in materials else next(iter(materials), "fly_ash")
    return Choice(material or default, year or datetime.now(UTC).year, month)


def _flow_label(f: FlowView) -> str:
    to = f"#{f.demand_id}" if f.demand_id is not None else f"+{(f.consumer or 0) + 1}"
    return f"#{f.listing_id} → {to}"


def _map(regions: Any, result: AllocationResult) -> str:
    largest = sorted(result.flows, key=lambda f: -f.tonnes)[:MAX_DRAWN]
    flows = [
        MapFlow(f.from_lon, f.from_lat, f.to_lon, f.to_lat, float(f.tonnes), _flow_label(f))
        for f in largest
    ]
    points = {(f.from_lon, f.from_lat): "supply" for f in largest}
    points.update({(f.to_lon, f.to_lat): "demand" for f in largest})
    return draw_map(
        in_page_language(regions),
        values={
            p.key: float(p.potential_rate_pct)
            for p in result.by_district
            if p.key and p.potential_rate_pct is not None
        },
        value_label=_("potential utilisation rate %"),
        points=[MapPoint(lon, lat, "", kind) for (lon, lat), kind in points.items()],
        flows=flows,
        width=720,
        height=540,
        title=_("Allocated flows and potential utilisation by district"),
    )


@get("/city/allocation", name="web-city-allocation")
async def allocation_page(
    member: Member,
    db: Db,
    state: State,
    settings: AppSettings,
    material: FromQuery[str | None] = None,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    scenario: FromQuery[int | None] = None,
) -> Template:
    if not member.regulator:
        return _forbidden(member)
    materials = await lookups.materials(db)
    choice = _choice(materials, material, year, month)
    saved = (await scenario_svc.list_scenarios(db, 1, MAX_SCENARIOS))[0]
    context: dict[str, Any] = {
        **_labels(materials),
        "choice": choice,
        "materials": materials,
        "saved": saved,
        "scenario_id": scenario,
        "report": None,
        "error": None,
        "map_svg": None,
    }
    try:
        changes = name = None
        if scenario is not None:
            row = await scenario_svc.get_scenario(db, scenario)
            changes, name = scenario_svc.changes_of(row), row.name
        report = await run_allocation(
            db,
            settings,
            AllocationQuery(
                choice.material,
                choice.year,
                choice.month,
                changes=changes,
                scenario_id=scenario,
                scenario_name=name,
            ),
        )
    except Problem as exc:
        context["error"] = _problem_text(exc)
        return page("city_allocation.html", member, status=exc.status, **context)
    locator = await current_locator(db, state)
    context["report"] = report
    context["top_flows"] = sorted(report.result.flows, key=lambda f: -f.tonnes)[:MAX_DRAWN]
    context["map_svg"] = _map(locator.regions, report.result)
    return page("city_allocation.html", member, **context)


@dataclass(frozen=True)
class ScenarioRow:
    id: int
    name: str
    created_at: datetime
    consumers: int
    removed: int
    result: AllocationResult


async def _scenario_rows(
    db: AsyncSession, settings: Settings, choice: Choice
) -> tuple[AllocationResult, list[ScenarioRow]]:
    period = Period(choice.year, choice.month)
    snap = await load_snapshot(db, settings, choice.material, period)
    actual = await actual_utilisation(db, choice.material, period)
    baseline = await solve(snap, actual, settings.allocation_seconds)
    rows: list[ScenarioRow] = []
    for view in (await scenario_svc.list_scenarios(db, 1, MAX_SCENARIOS))[0]:
        changed = await apply_changes(db, snap, view.changes)
        result = await solve(changed, actual, settings.allocation_seconds)
        rows.append(
            ScenarioRow(
                view.id,
                view.name,
                view.created_at,
                len(view.changes.consumers),
                len(view.changes.removed_producers),
                result,
            )
        )
    return baseline, rows


@get("/city/scenarios", name="web-city-scenarios")
async def scenarios_page(
    member: Member,
    db: Db,
    settings: AppSettings,
    material: FromQuery[str | None] = None,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
) -> Template:
    if not member.regulator:
        return _forbidden(member)
    materials = await lookups.materials(db)
    choice = _choice(materials, material, year, month)
    context: dict[str, Any] = {
        **_labels(materials),
        "choice": choice,
        "materials": materials,
        "error": None,
    }
    try:
        baseline, rows = await _scenario_rows(db, settings, choice)
    except Problem as exc:
        context.update(error=_problem_text(exc), baseline=None, rows=[])
        return page("city_scenarios.html", member, status=exc.status, **context)
    context.update(baseline=baseline, rows=rows)
    return page("city_scenarios.html", member, **context)


async def allocation_panel(
    *, db: AsyncSession, settings: Settings, stats_filter: StatsFilter, **_known: Any
) -> dict[str, Any]:
    """The /city page's "potential vs actual" panel for its material and year (the
    baseline allocation of open listings and demands); without both, a pointer to choose.
    The page's district, park and enterprise filters narrow the listings (their producers)
    and the actual figures; the demands stay city-wide."""
    f = stats_filter
    place = f.district is not None or f.park is not None or f.org_ids is not None
    panel: dict[str, Any] = {"report": None, "error": None, "map_svg": None, "place": place}
    if f.material is not None and f.year is not None:
        try:
            report = await run_allocation(
                db, settings, AllocationQuery(f.material, f.year, f.month, place=f)
            )
        except Problem as exc:
            panel["error"] = _problem_text(exc)
        else:
            # Panels get no app state; the regions table itself (one small read).
            locator = await load_locator(db)
            panel.update(report=report, map_svg=_map(locator.regions, report.result))
    return {
        "allocation_panel": panel,
        "city_panel_templates": ["_city_allocation_panel.html"],
    }


CITY_PANELS.append(allocation_panel)

routes = [allocation_page, scenarios_page]
