"""Saved allocation scenarios: create, list, read, delete (regulators; the API guards it).

The body is checked twice before it is stored: its shape by the schema
(:class:`~market.stats.allocation_schemas.ScenarioChanges`), what needs the database by
:func:`market.stats.allocation.check_changes`; both answer 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.core.errors import NotFound
from market.stats.allocation import check_changes
from market.stats.allocation_schemas import ScenarioChanges, ScenarioIn
from market.stats.scenario_models import AllocationScenario


@dataclass(frozen=True)
class ScenarioView:
    id: int
    name: str
    created_by_user_id: int | None
    created_at: datetime
    changes: ScenarioChanges


def view(row: AllocationScenario) -> ScenarioView:
    assert row.id is not None
    return ScenarioView(
        id=row.id,
        name=row.name,
        created_by_user_id=row.created_by_user_id,
        created_at=row.created_at,
        changes=changes_of(row),
    )


def changes_of(row: AllocationScenario) -> ScenarioChanges:
    return ScenarioChanges.model_validate(row.body)


async def create_scenario(session: AsyncSession, user: User, data: ScenarioIn) -> ScenarioView:
    await check_changes(session, data.changes, "changes.")
    row = AllocationScenario(
        name=data.name,
        created_by_user_id=user.id,
        body=data.changes.model_dump(mode="json"),
    )
    session.add(row)
    await session.flush()
    return view(row)


async def get_scenario(session: AsyncSession, scenario_id: int) -> AllocationScenario:
    row = await session.get(AllocationScenario, scenario_id)
    if row is None:
        raise NotFound(f"scenario {scenario_id} does not exist")
    return row


async def list_scenarios(
    session: AsyncSession, page: int, page_size: int
) -> tuple[list[ScenarioView], int]:
    total = (await session.exec(select(func.count()).select_from(AllocationScenario))).one()
    rows = (
        await session.exec(
            select(AllocationScenario)
            .order_by(col(AllocationScenario.id).desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return [view(r) for r in rows], int(total)


async def delete_scenario(session: AsyncSession, scenario_id: int) -> None:
    await session.delete(await get_scenario(session, scenario_id))
    await session.flush()
