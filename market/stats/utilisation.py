"""City utilisation statistics by the official formula (DOMAIN.md §3).

For any set of producer-months (ledgers)::

    综合利用量 utilised  = Σ used_inhouse_t + Σ shipped_outside_exchange_t + Σ exchange receipts
    综合利用率 rate      = utilised ÷ (Σ generated_t + Σ utilised_from_stockpile_t) × 100 %

Exchange receipts are the receivers' weighbridge tonnes of confirmed receipts
(:mod:`market.trading.receipts`) joined onto the ledger of their origin site, material and
China-time month. A received tonne is therefore counted once, for its producer, and never
for the receiver (receivers do not report the material they take in). Receipts with no
ledger at their origin are *not* added to any rate (there is no generation to divide by);
they are reported under ``checks`` so a regulator can chase the missing ledger.

Breakdowns follow the city's "1 + B + C" monitoring network: the city (totals), industrial
parks (``park``) and enterprises (``organization``), plus material, county-level district,
year and month. Sums run in SQL on exact integer kilograms; rates are Decimals quantised to
0.01 %, never floats.

Access: regulators (and the platform admin) see everything; anybody else sees the city
totals plus the groups, checks and trend of their own organisations only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, ColumnElement, func, type_coerce
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from geodata.places import PLACES_BY_CODE
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Forbidden, Invalid
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger, UtilisationTarget
from market.ledger.service import check_filter, dialect_name, month_label
from market.trading.receipts import execute_core, received_by_origin_month

GROUP_BY = ("material", "district", "park", "organization", "month", "year")
FORMULA = {
    "rate": "综合利用率 = 综合利用量 ÷ (产生量 + 综合利用往年贮存量) × 100 %",
    "utilised": "综合利用量 = 自行利用量 + 平台外委托利用量 + 平台交易签收量 "
    "(in-house + outside the exchange + exchange receipts, receiver's weighbridge)",
    "balance": "产生量 = (综合利用量 − 利用往年贮存量) + 贮存量 + (处置量 − 处置往年贮存量) + 倾倒丢弃量",
    "stockpile_change": "贮存变化 = 贮存量 − 利用往年贮存量 − 处置往年贮存量",
    "source": "DOMAIN.md §3 (official definitions)",
}
_PCT = Decimal("0.01")
_KG = 3
CHECK_LIMIT = 100

L = Ledger.__table__  # type: ignore[attr-defined]
S = Site.__table__  # type: ignore[attr-defined]
ORG = Organization.__table__  # type: ignore[attr-defined]


def kg(column: Any) -> ColumnElement[int]:
    """A tonnes column as the integer kilograms it stores, for exact SQL arithmetic."""
    return type_coerce(column, BigInteger)


def tonnes_from_kg(value: Any) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-_KG)


def pct(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator * 100 / denominator).quantize(_PCT, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class StatsFilter:
    """Which producer-months count. ``org_ids`` None means the whole city."""

    year: int | None = None
    month: int | None = None
    material: str | None = None
    org_ids: frozenset[int] | None = None


async def viewer_scope(session: AsyncSession, viewer: User) -> frozenset[int] | None:
    """None for regulators (the whole city), else the viewer's organisations."""
    if sees_everything(viewer):
        return None
    return frozenset(await member_org_ids(session, viewer))


class Facts:
    """The ledger rows joined with their site, organisation and exchange receipts."""

    def __init__(self, dialect: str, year: int | None = None) -> None:
        # Limiting receipts to the filter's year keeps other years out of the aggregate.
        self.received = received_by_origin_month(dialect, year)
        r = self.received
        self.recv = func.coalesce(kg(r.c.received_t), 0)
        self.district = func.coalesce(S.c.district_code, ORG.c.district_code)
        self.source = (
            L.join(S, S.c.id == L.c.site_id)
            .join(ORG, ORG.c.id == L.c.organization_id)
            .outerjoin(
                r,
                sa.and_(
                    r.c.origin_site_id == L.c.site_id,
                    r.c.material_code == L.c.material_code,
                    r.c.year == L.c.year,
                    r.c.month == L.c.month,
                ),
            )
        )

    def sums(self) -> list[ColumnElement[Any]]:
        cols: list[ColumnElement[Any]] = [
            func.coalesce(func.sum(kg(L.c[name])), 0).label(name) for name in LEDGER_TONNES
        ]
        cols.append(func.coalesce(func.sum(self.recv), 0).label("exchange_received_t"))
        cols.append(func.count(L.c.id).label("ledgers"))
        return cols

    def conditions(self, f: StatsFilter) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if f.year is not None:
            conds.append(L.c.year == f.year)
        if f.month is not None:
            conds.append(L.c.month == f.month)
        if f.material is not None:
            conds.append(L.c.material_code == f.material)
        if f.org_ids is not None:
            conds.append(L.c.organization_id.in_(sorted(f.org_ids)))
        return conds

    def difference(self) -> ColumnElement[int]:
        """generated − (utilised − from stockpile + stored + disposed − from stockpile + dumped), kg."""
        c = {name: kg(L.c[name]) for name in LEDGER_TONNES}
        return c["generated_t"] - (
            c["used_inhouse_t"]
            + c["shipped_outside_exchange_t"]
            + self.recv
            - c["utilised_from_stockpile_t"]
            + c["stored_t"]
            + c["disposed_t"]
            - c["disposed_from_stockpile_t"]
            + c["dumped_t"]
        )

    def unbalanced(self, settings: Settings) -> ColumnElement[bool]:
        """The write-time checks in SQL: |difference| > tolerance, or stockpile share > total."""
        tol_kg = int(settings.ledger_balance_tolerance_t * 1000)
        bp = int((settings.receipt_tolerance_pct * 100).to_integral_value())
        util = kg(L.c.used_inhouse_t) + kg(L.c.shipped_outside_exchange_t) + self.recv
        return sa.or_(
            func.abs(self.difference()) * 10000 > tol_kg * 10000 + self.recv * bp,
            kg(L.c.utilised_from_stockpile_t) > util,
        )


def figures(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Tonnes, rate, exchange share and stockpile change from summed kilograms."""
    t = {name: tonnes_from_kg(row[name]) for name in (*LEDGER_TONNES, "exchange_received_t")}
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + t["exchange_received_t"]
    base = t["generated_t"] + t["utilised_from_stockpile_t"]
    stock_change = t["stored_t"] - t["utilised_from_stockpile_t"] - t["disposed_from_stockpile_t"]
    return {
        "ledgers": int(row["ledgers"]),
        **{name: dec.t(v) for name, v in t.items()},
        "utilised_t": dec.t(utilised),
        "utilisation_rate_pct": pct(utilised, base),
        "exchange_share_pct": pct(t["exchange_received_t"], utilised),
        "stockpile_change_t": dec.t(stock_change),
    }


async def _labels(session: AsyncSession, group_by: str, keys: set[Any]) -> dict[Any, str]:
    if group_by == "material":
        rows = (await session.exec(select(Material.code, Material.name_zh))).all()
        return {code: name for code, name in rows}
    if group_by == "organization":
        ids = [k for k in keys if k is not None]
        stmt = select(Organization.id, Organization.name).where(Organization.id.in_(ids))  # type: ignore[union-attr]
        return {i: n for i, n in (await session.exec(stmt)).all()}
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


async def grouped(session: AsyncSession, f: StatsFilter, group_by: str) -> list[dict[str, Any]]:
    """Figures per group, ordered by key; park None is "not in a park"."""
    if group_by not in GROUP_BY:
        raise Invalid("group_by", f"must be one of {', '.join(GROUP_BY)}")
    facts = Facts(dialect_name(session), f.year)
    keys = _key_columns(facts, group_by)
    stmt = (
        sa.select(*keys, *facts.sums())
        .select_from(facts.source)
        .where(*facts.conditions(f))
        .group_by(*keys)
    )
    rows = [dict(r._mapping) for r in (await execute_core(session, stmt)).all()]
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


async def totals(session: AsyncSession, f: StatsFilter) -> dict[str, Any]:
    facts = Facts(dialect_name(session), f.year)
    stmt = sa.select(*facts.sums()).select_from(facts.source).where(*facts.conditions(f))
    return figures((await execute_core(session, stmt)).one()._mapping)


async def stockpile_trend(session: AsyncSession, f: StatsFilter) -> list[dict[str, Any]]:
    """Month by month: stored, drawn from stockpiles, net change and the running change."""
    facts = Facts(dialect_name(session), f.year)
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


async def checks(session: AsyncSession, f: StatsFilter, settings: Settings) -> dict[str, Any]:
    """Ledgers that no longer add up, and receipts with no ledger at their origin."""
    facts = Facts(dialect_name(session), f.year)
    where = [*facts.conditions(f), facts.unbalanced(settings)]
    count = (
        await execute_core(session, sa.select(func.count()).select_from(facts.source).where(*where))
    ).scalar_one()
    listed = (
        await execute_core(
            session,
            sa.select(
                L.c.id,
                L.c.organization_id,
                L.c.site_id,
                L.c.material_code,
                L.c.year,
                L.c.month,
                facts.difference().label("difference"),
                facts.recv.label("received"),
            )
            .select_from(facts.source)
            .where(*where)
            .order_by(L.c.year, L.c.month, L.c.site_id, L.c.material_code)
            .limit(CHECK_LIMIT),
        )
    ).all()
    r = facts.received
    orphan_where: list[ColumnElement[bool]] = [L.c.id.is_(None)]
    if f.year is not None:
        orphan_where.append(r.c.year == f.year)
    if f.month is not None:
        orphan_where.append(r.c.month == f.month)
    if f.material is not None:
        orphan_where.append(r.c.material_code == f.material)
    if f.org_ids is not None:
        orphan_where.append(S.c.organization_id.in_(sorted(f.org_ids)))
    orphan = (
        await execute_core(
            session,
            sa.select(func.count(), func.coalesce(func.sum(kg(r.c.received_t)), 0))
            .select_from(
                r.join(S, S.c.id == r.c.origin_site_id).outerjoin(
                    L,
                    sa.and_(
                        L.c.site_id == r.c.origin_site_id,
                        L.c.material_code == r.c.material_code,
                        L.c.year == r.c.year,
                        L.c.month == r.c.month,
                    ),
                )
            )
            .where(*orphan_where),
        )
    ).one()
    return {
        "unbalanced_count": int(count),
        "unbalanced": [
            {
                "ledger_id": row.id,
                "organization_id": row.organization_id,
                "site_id": row.site_id,
                "material_code": row.material_code,
                "month": month_label(row.year, row.month),
                "balance_difference_t": dec.t(tonnes_from_kg(row.difference)),
                "exchange_received_t": dec.t(tonnes_from_kg(row.received)),
            }
            for row in listed
        ],
        "receipts_without_ledger_months": int(orphan[0]),
        "receipts_without_ledger_t": dec.t(tonnes_from_kg(orphan[1])),
        "tolerance": {
            "absolute_t": dec.t(settings.ledger_balance_tolerance_t),
            "receipt_pct": settings.receipt_tolerance_pct,
            "meaning": "a ledger balances when |generated − accounted| ≤ absolute_t + "
            "receipt_pct % of its exchange receipts",
        },
    }


async def utilisation(
    session: AsyncSession,
    viewer: User,
    settings: Settings,
    *,
    year: int | None,
    month: int | None,
    material: str | None,
    group_by: str,
) -> dict[str, Any]:
    """The utilisation report for ``GET /stats/utilisation`` and the exports."""
    check_filter(year, month)
    if group_by not in GROUP_BY:
        raise Invalid("group_by", f"must be one of {', '.join(GROUP_BY)}")
    if material is not None and await session.get(Material, material) is None:
        raise Invalid("material", f"unknown material {material!r}")
    scope = await viewer_scope(session, viewer)
    city = StatsFilter(year, month, material)
    mine = StatsFilter(year, month, material, scope)
    city_totals = await totals(session, city)
    return {
        "scope": "city" if scope is None else "organization",
        "organization_ids": None if scope is None else sorted(scope),
        "filters": {"year": year, "month": month, "material": material},
        "group_by": group_by,
        "formula": FORMULA,
        "groups": await grouped(session, mine, group_by),
        "totals": city_totals if scope is None else await totals(session, mine),
        "city": city_totals,
        "stockpile_trend": await stockpile_trend(session, mine),
        "checks": await checks(session, mine, settings),
    }


# --------------------------------------------------------------------------------------
# Targets (以用定产)
# --------------------------------------------------------------------------------------


def require_regulator(user: User) -> None:
    if not sees_everything(user):
        raise Forbidden("only regulators can set utilisation targets")


async def set_target(
    session: AsyncSession,
    actor: User,
    *,
    organization_id: int,
    material_code: str,
    year: int,
    target_pct: Decimal,
) -> tuple[UtilisationTarget, bool]:
    """Create or replace a target; regulators only."""
    require_regulator(actor)
    check_filter(year, None)
    if await session.get(Organization, organization_id) is None:
        raise Invalid("organization_id", f"organisation {organization_id} does not exist")
    if await session.get(Material, material_code) is None:
        raise Invalid("material_code", f"unknown material {material_code!r}")
    stmt = select(UtilisationTarget).where(
        UtilisationTarget.organization_id == organization_id,
        UtilisationTarget.material_code == material_code,
        UtilisationTarget.year == year,
    )
    target = (await session.exec(stmt)).first()
    created = target is None
    if target is None:
        target = UtilisationTarget(
            organization_id=organization_id,
            material_code=material_code,
            year=year,
            target_pct=target_pct,
        )
    target.target_pct = target_pct
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
    facts = Facts(dialect_name(session), year)
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
    """Organisations whose utilisation for the year is below their target, worst gap first.

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
    return {"year": year, "count": len(rows), "items": rows, "formula": FORMULA["rate"]}


def target_view(t: UtilisationTarget) -> dict[str, Any]:
    return {
        "id": t.id,
        "organization_id": t.organization_id,
        "material_code": t.material_code,
        "year": t.year,
        "target_pct": dec.cny(t.target_pct),
        "set_by_user_id": t.set_by_user_id,
        "updated_at": t.updated_at,
    }
