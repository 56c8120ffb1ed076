"""``market allocate``: one allocation run from the command line, with progress lines.

Kept here so :mod:`market.cli` holds only the command's options; the run is read-only (the
CLI's transaction commits nothing but what it reads).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.settings import Settings
from market.stats import scenarios
from market.stats.allocation import AllocationQuery, AllocationReport, Progress, run_allocation


async def allocate_text(
    session: AsyncSession,
    settings: Settings,
    material: str,
    year: int,
    month: int | None,
    scenario_id: int | None,
    progress: Progress,
) -> str:
    changes = name = None
    if scenario_id is not None:
        row = await scenarios.get_scenario(session, scenario_id)
        changes, name = scenarios.changes_of(row), row.name
    q = AllocationQuery(
        material, year, month, changes=changes, scenario_id=scenario_id, scenario_name=name
    )
    return summary_text(await run_allocation(session, settings, q, progress))


def summary_text(report: AllocationReport) -> str:
    f = report.filters
    period = f"{f['year']}-{f['month']:02d}" if f["month"] else str(f["year"])
    lines = [f"allocation of {f['material']} over {period}"]
    if report.scenario is not None:
        lines[0] += f", scenario {report.scenario['id']} ({report.scenario['name']})"
    for label, result in (("scenario", report.result), ("baseline", report.baseline)):
        if result is None:
            continue
        s, m = result.summary, result.by_material[0]
        head = label if report.baseline is not None else "result"
        lines += [
            f"{head}: {s.listings} listings ({s.supply_t} t), {s.demands} demands ({s.demand_t} t)",
            f"  allocated {s.tonnes_allocated} t in {s.flows} flows, unallocated supply "
            f"{s.unallocated_supply_t} t, unmet demand {s.unmet_demand_t} t",
            f"  delivered cost {s.total_cost_cny} CNY, {s.tonne_km} t·km, haul CO2 "
            f"{s.haul_co2_t} t (at {s.road_kg_co2e_per_t_km} kg/t·km, freight "
            f"{s.freight_cny_per_t_km} CNY/t·km)",
            f"  utilisation: actual {_pct(m.actual_rate_pct)}, potential "
            f"{_pct(m.potential_rate_pct)} (gap {_pct(m.gap_pct)})",
        ]
    if report.difference is not None:
        d = report.difference
        lines.append(
            f"difference: {d.tonnes_allocated:+} t, {d.total_cost_cny:+} CNY, "
            f"{d.tonne_km:+} t·km, {d.haul_co2_t:+} t CO2"
        )
    return "\n".join(lines)


def _pct(value: object) -> str:
    return "n/a" if value is None else f"{value} %"
