"""Utilisation targets (以用定产): regulators set them, producers below them are listed.

Jingmen ties a phosphate producer's output to how much of its phosphogypsum it utilises, so
a regulator sets a target rate per organisation, material and year, and reads who falls
short. The rate is the official one (:mod:`market.stats.facts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import sees_everything
from market.accounts.models import Organization, User
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Forbidden, Invalid
from market.ledger.models import UtilisationTarget
from market.ledger.service import check_filter
from market.stats.facts import FORMULA, Facts, L, figures
from market.stats.filters import StatsFilter, viewer_scope
from market.stats.schemas import TargetIn
from market.trading.receipts import execute_core


def require_regulator(user: User) -> None:
    """The service's own gate: the CLI and pages reach it without the API's guard."""
    if not sees_everything(user):
        raise Forbidden("only regulators can set utilisation targets")


async def set_target(
    session: AsyncSession, actor: User, data: TargetIn
) -> tuple[UtilisationTarget, bool]:
    """Create or replace a target; regulators only (the API's guard says so too)."""
    require_regulator(actor)
    check_filter(data.year, None)
    if await session.get(Organization, data.organization_id) is None:
        raise Invalid("organization_id", f"organisation {data.organization_id} does not exist")
    if await session.get(Material, data.material_code) is None:
        raise Invalid("material_code", f"unknown material {data.material_code!r}")
    stmt = select(UtilisationTarget).where(
        UtilisationTarget.organization_id == data.organization_id,
        UtilisationTarget.material_code == data.material_code,
        UtilisationTarget.year == data.year,
    )
    target = (await session.exec(stmt)).first()
    created = target is None
    if target is None:
        target = UtilisationTarget(
            organization_id=data.organization_id,
            material_code=data.material_code,
            year=data.year,
            target_pct=data.target_pct,
        )
    target.target_pct = data.target_pct
    target.set_by_user_id = actor.id
    target.updated_at = datetime.now(UTC)
    session.add(target)
    await session.flush()
    return target, created


async def org_material_rates(
    session: AsyncSession, year: int, org_ids: Sequence[int]
) -> dict[tuple[int, str], dict[str, Any]]:
    """Figures per (organisation, material) for one year."""
    if not org_ids:
        return {}
    facts = Facts(year)
    f = StatsFilter(year=year, org_ids=frozenset(org_ids))
    stmt = (
        sa.select(L.c.organization_id, L.c.material_code, *facts.sums())
        .select_from(facts.source)
        .where(*facts.conditions(f))
        .group_by(L.c.organization_id, L.c.material_code)
    )
    return {
        (r.organization_id, r.material_code): figures(r._mapping)
        for r in (await execute_core(session, stmt)).all()
    }


async def below_target(session: AsyncSession, viewer: User, year: int) -> dict[str, Any]:
    """Organisations whose utilisation for the year is below their target, worst gap first,
    as one page holding every row.

    An organisation with a target but no ledgers for that material is listed too (rate
    None): not reporting is not meeting the target. Non-regulators see their own rows only.
    """
    check_filter(year, None)
    scope = await viewer_scope(session, viewer)
    stmt = (
        select(UtilisationTarget, Organization.name)
        .join(Organization, Organization.id == UtilisationTarget.organization_id)  # type: ignore[arg-type]
        .where(UtilisationTarget.year == year)
    )
    if scope is not None:
        stmt = stmt.where(UtilisationTarget.organization_id.in_(sorted(scope)))  # type: ignore[attr-defined]
    targets = (await session.exec(stmt)).all()
    rates = await org_material_rates(session, year, sorted({t.organization_id for t, _ in targets}))
    rows: list[dict[str, Any]] = []
    for target, name in targets:
        fig = rates.get((target.organization_id, target.material_code))
        rate = fig["utilisation_rate_pct"] if fig else None
        if rate is not None and rate >= target.target_pct:
            continue
        rows.append(
            {
                "organization_id": target.organization_id,
                "organization_name": name,
                "material_code": target.material_code,
                "year": year,
                "target_pct": dec.cny(target.target_pct),
                "utilisation_rate_pct": rate,
                "gap_pct": None if rate is None else dec.cny(target.target_pct - rate),
                "utilised_t": fig["utilised_t"] if fig else dec.t(Decimal(0)),
                "generated_t": fig["generated_t"] if fig else dec.t(Decimal(0)),
                "ledgers": fig["ledgers"] if fig else 0,
                "reason": "no ledgers reported" if fig is None else "below target",
            }
        )
    rows.sort(key=lambda r: (r["gap_pct"] is not None, -(r["gap_pct"] or 0), r["organization_id"]))
    return {
        "year": year,
        "items": rows,
        "total": len(rows),
        "page": 1,
        "page_size": len(rows),
        "formula": FORMULA["rate"],
    }


def target_view(t: UtilisationTarget) -> dict[str, Any]:
    """A target as the API answers it (percent with two decimals)."""
    return {
        "id": t.id,
        "organization_id": t.organization_id,
        "material_code": t.material_code,
        "year": t.year,
        "target_pct": dec.cny(t.target_pct),
        "set_by_user_id": t.set_by_user_id,
        "updated_at": t.updated_at,
    }
