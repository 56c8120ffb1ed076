"""City-wide allocation and its saved what-if scenarios (regulators and the platform admin).

``POST /stats/allocation`` runs one material and period, optionally with a saved scenario
(``scenario_id``) or one given inline (``scenario``): then the baseline and the difference
come beside it. Nothing is written by a run; scenarios are stored only by
``POST /stats/scenarios``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from litestar import delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.core.deps import AppSettings, Db
from market.core.openapi import problems
from market.core.schemas import Page
from market.stats import scenarios
from market.stats.allocation import AllocationQuery, check_changes, run_allocation
from market.stats.allocation_schemas import AllocationIn, AllocationOut, ScenarioIn, ScenarioOut

PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]
_REGULATORS = problems(403)
#: The solve runs in a worker process with a time limit (market.stats.allocation_worker).
_TOO_SLOW = {
    503: replace(
        problems(503)[503],
        description=(
            "The database is unavailable or busy, or the allocation took longer than "
            "MARKET_ALLOCATION_SECONDS (the detail says which); retry shortly"
        ),
    )
}


@post(
    "/stats/allocation",
    tags=["statistics"],
    summary="City-wide allocation of one material over a year or month, with a scenario",
    description=(
        "One min-cost flow over every feasible pair of open listings and demands (the "
        "matcher's rules); the potential utilisation beside the actual one of the period. "
        "With `scenario_id` or an inline `scenario`: the scenario's result, the baseline and "
        "their difference. Regulators only; nothing is written. A solve longer than "
        "MARKET_ALLOCATION_SECONDS is stopped: 503 naming that setting."
    ),
    status_code=200,
    guards=[regulators],
    responses={**_REGULATORS, **problems(404), **_TOO_SLOW},
)
async def allocation(
    data: JSONBody[AllocationIn], user: CurrentUser, db: Db, settings: AppSettings
) -> AllocationOut:
    changes, name = data.scenario, None
    if data.scenario_id is not None:
        row = await scenarios.get_scenario(db, data.scenario_id)
        changes, name = scenarios.changes_of(row), row.name
    elif changes is not None:
        await check_changes(db, changes, "scenario.")
    report = await run_allocation(
        db,
        settings,
        AllocationQuery(
            data.material,
            data.year,
            data.month,
            changes=changes,
            scenario_id=data.scenario_id,
            scenario_name=name,
        ),
    )
    return AllocationOut.model_validate(report)


@post(
    "/stats/scenarios",
    tags=["statistics"],
    summary="Save a named what-if scenario for the allocation (regulators)",
    guards=[regulators],
    responses=_REGULATORS,
)
async def create_scenario(data: JSONBody[ScenarioIn], user: CurrentUser, db: Db) -> ScenarioOut:
    return ScenarioOut.model_validate(await scenarios.create_scenario(db, user, data))


@get(
    "/stats/scenarios",
    tags=["statistics"],
    summary="Saved allocation scenarios, newest first (regulators)",
    guards=[regulators],
    responses=_REGULATORS,
)
async def list_scenarios(
    user: CurrentUser, db: Db, page: PageNumber = 1, page_size: PageSize = 50
) -> Page[ScenarioOut]:
    items, total = await scenarios.list_scenarios(db, page, page_size)
    return Page[ScenarioOut](
        items=[ScenarioOut.model_validate(i) for i in items],
        total=total,
        page=page,
        page_size=page_size,
    )


@get(
    "/stats/scenarios/{scenario_id:int}",
    tags=["statistics"],
    summary="One saved allocation scenario (regulators)",
    guards=[regulators],
    responses=_REGULATORS,
)
async def get_scenario(scenario_id: FromPath[int], user: CurrentUser, db: Db) -> ScenarioOut:
    row = await scenarios.get_scenario(db, scenario_id)
    return ScenarioOut.model_validate(scenarios.view(row))


@delete(
    "/stats/scenarios/{scenario_id:int}",
    tags=["statistics"],
    summary="Delete a saved allocation scenario (regulators)",
    guards=[regulators],
    responses=_REGULATORS,
)
async def delete_scenario(scenario_id: FromPath[int], user: CurrentUser, db: Db) -> None:
    await scenarios.delete_scenario(db, scenario_id)


routes = [allocation, create_scenario, list_scenarios, get_scenario, delete_scenario]
