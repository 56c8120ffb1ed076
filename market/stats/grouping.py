"""Utilisation figures grouped for the report: by material, district, park, enterprise, time.

The groups follow the city's "1 + B + C" monitoring network: the city (totals), industrial
parks (``park``) and enterprises (``organization``), plus material, county-level district,
year and month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from geodata.places import PLACES_BY_CODE
from market.accounts.models import Organization
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Invalid
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES
from market.ledger.service import month_label
from market.stats.facts import Facts, Found, L, S, figures, kg, tonnes_from_kg
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core

GROUP_BY = ("material", "district", "park", "organization", "month", "year")
#: More enterprises than this are named from one read of every name (two columns) rather
#: than an IN list of as many parameters (0.13 s for 5,000 on PostgreSQL).
_IN_LIMIT = 500


async def _labels(session: AsyncSession, group_by: str, keys: set[Any]) -> dict[Any, str]:
    if group_by == "material":
        rows = (await session.exec(select(Material.code, Material.name_zh))).all()
        return {code: name for code, name in rows}
    if group_by == "organization":
        ids = [k for k in keys if k is not None]
        stmt = select(Organization.id, Organization.name)
        if len(ids) <= _IN_LIMIT:
            stmt = stmt.where(Organization.id.in_(ids))  # type: ignore[union-attr]
        wanted = set(ids)
        return {i: n for i, n in (await session.exec(stmt)).all() if i in wanted}
    if group_by == "district":
        return dict(DISTRICT_NAMES)
    if group_by == "park":
        return {
            k: PLACES_BY_CODE[k].name_zh if k in PLACES_BY_CODE else str(k)
            for k in keys
            if k is not None
        }
    return {}


def _key_columns(facts: Facts, group_by: str) -> list[ColumnElement[Any]]:
    return {
        "material": [L.c.material_code.label("k1")],
        "district": [facts.district.label("k1")],
        "park": [S.c.park_code.label("k1")],
        "organization": [L.c.organization_id.label("k1")],
        "month": [L.c.year.label("k1"), L.c.month.label("k2")],
        "year": [L.c.year.label("k1")],
    }[group_by]


async def _rows(
    session: AsyncSession, f: StatsFilter, group_by: str, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Summed kilograms per group, in one query.

    With ``settings`` (the report) each group also counts its ledgers that no longer
    balance (``unbalanced``) and the first and last month (``year × 100 + month``) with one,
    and one more row (``orphan`` 1) gives the receipt months with no ledger at their origin
    (``ledgers``: how many, ``exchange_received_t``: their kilograms), from the kept receipt
    months (``receipt_months``) both.
    """
    if group_by not in GROUP_BY:
        raise Invalid("group_by", f"must be one of {', '.join(GROUP_BY)}")
    places = group_by in ("district", "park")
    facts = Facts(f.year, month=f.month, places=places)
    keys = _key_columns(facts, group_by)
    stmt: sa.Select[Any] | sa.CompoundSelect
    if settings is None:
        stmt = sa.select(*keys, *facts.sums()).select_from(facts.source)
        stmt = stmt.where(*facts.conditions(f)).group_by(*keys)
        return [dict(r._mapping) for r in (await execute_core(session, stmt)).all()]
    # One row per ledger with its month if it no longer balances, then the sums: OFFSET 0
    # keeps the subquery apart, so each ledger's balance is worked out once, not per use.
    month = L.c.year * 100 + L.c.month
    per_ledger = (
        sa.select(
            *keys,
            *(kg(L.c[name]).label(name) for name in LEDGER_TONNES),
            facts.recv.label("received"),
            L.c.id.label("ledger_id"),
            sa.case((facts.unbalanced(settings), month)).label("flagged"),
        )
        .select_from(facts.source)
        .where(*facts.conditions(f))
        .offset(0)
        .subquery("facts")
    )
    p = per_ledger.c
    group_keys = [p[k.name] for k in keys]
    stmt = (
        sa.select(
            *group_keys,
            *(func.coalesce(func.sum(p[name]), 0).label(name) for name in LEDGER_TONNES),
            func.coalesce(func.sum(p.received), 0).label("exchange_received_t"),
            func.count(p.ledger_id).label("ledgers"),
            func.count(p.flagged).label("unbalanced"),
            func.min(p.flagged).label("first_flagged"),
            func.max(p.flagged).label("last_flagged"),
            sa.literal_column("0").label("orphan"),
        )
        .select_from(per_ledger)
        .group_by(*group_keys)
    )
    o = facts.orphans(f).subquery("orphans")
    zero: ColumnElement[int] = sa.literal_column("0")
    stmt = sa.union_all(
        stmt,
        sa.select(
            *(sa.null() for _ in keys),
            *(zero for _ in LEDGER_TONNES),
            o.c.received,
            o.c.months,
            zero,
            sa.null(),
            sa.null(),
            sa.literal_column("1"),
        ).select_from(o),
    )
    return [dict(r._mapping) for r in (await execute_core(session, stmt)).all()]


async def _groups(
    session: AsyncSession, group_by: str, *, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    labels = await _labels(session, group_by, {r["k1"] for r in rows})
    out: list[dict[str, Any]] = []
    for r in rows:
        if group_by == "month":
            key: Any = month_label(r["k1"], r["k2"])
            label = key
        else:
            key = r["k1"]
            label = labels.get(key, str(key)) if key is not None else "(none)"
            if group_by == "park" and key is None:
                label = "园区外 (not in a park)"
        out.append({"key": key, "label": label, **figures(r)})
    out.sort(key=lambda g: (g["key"] is None, str(g["key"])))
    return out


def _summed(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The groups' kilograms added up: the totals, exactly (integer sums of the same rows)."""
    names = (*LEDGER_TONNES, "exchange_received_t", "ledgers", "unbalanced")
    return {name: sum(int(r.get(name) or 0) for r in rows) for name in names}


async def grouped(session: AsyncSession, f: StatsFilter, group_by: str) -> list[dict[str, Any]]:
    """Figures per group, ordered by key; park None is "not in a park"."""
    return await _groups(session, group_by, rows=await _rows(session, f, group_by))


async def grouped_with_totals(
    session: AsyncSession, f: StatsFilter, group_by: str, settings: Settings
) -> tuple[list[dict[str, Any]], dict[str, Any], Found]:
    """The groups, their totals and what the checks count, from one query (what
    :func:`grouped`, :func:`totals` and :func:`market.stats.checks.checks` query apart)."""
    rows = await _rows(session, f, group_by, settings)
    groups = [r for r in rows if not r["orphan"]]
    summed = _summed(groups)
    flagged = [r for r in groups if r["unbalanced"]]
    orphans = next(r for r in rows if r["orphan"])
    found = Found(
        unbalanced=summed["unbalanced"],
        first_flagged=min((int(r["first_flagged"]) for r in flagged), default=None),
        last_flagged=max((int(r["last_flagged"]) for r in flagged), default=None),
        orphan_months=int(orphans["ledgers"]),
        orphan_kg=int(orphans["exchange_received_t"]),
    )
    return await _groups(session, group_by, rows=groups), figures(summed), found


async def totals(session: AsyncSession, f: StatsFilter) -> dict[str, Any]:
    facts = Facts(f.year, places=False)
    stmt = sa.select(*facts.sums()).select_from(facts.source).where(*facts.conditions(f))
    return figures((await execute_core(session, stmt)).one()._mapping)


async def stockpile_trend(session: AsyncSession, f: StatsFilter) -> list[dict[str, Any]]:
    """Month by month: stored, drawn from stockpiles, net change and the running change."""
    facts = Facts(f.year, places=False)
    stmt = (
        sa.select(
            L.c.year,
            L.c.month,
            func.sum(kg(L.c.stored_t)).label("stored"),
            func.sum(kg(L.c.utilised_from_stockpile_t) + kg(L.c.disposed_from_stockpile_t)).label(
                "drawn"
            ),
        )
        .select_from(L)
        .where(*facts.conditions(f))
        .group_by(L.c.year, L.c.month)
        .order_by(L.c.year, L.c.month)
    )
    running = Decimal(0)
    trend: list[dict[str, Any]] = []
    for year, month, stored, drawn in (await execute_core(session, stmt)).all():
        change = tonnes_from_kg(stored) - tonnes_from_kg(drawn)
        running += change
        trend.append(
            {
                "month": month_label(year, month),
                "stored_t": dec.t(tonnes_from_kg(stored)),
                "drawn_from_stockpile_t": dec.t(tonnes_from_kg(drawn)),
                "change_t": dec.t(change),
                "cumulative_change_t": dec.t(running),
            }
        )
    return trend
