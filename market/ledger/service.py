"""Writing monthly ledgers: who may, what must hold, and the upsert that makes imports idempotent.

**Key.** One ledger per (site, material, month); writing the same key again *replaces* the
figures (POST and re-imports alike), so importing a corrected file twice changes nothing.

**Who.** Members of the organisation owning the site. Regulators read, they do not report.

**Checks** (each one an error naming the field, so an import can report it per row):

* tonnes non-negative, at most 3 decimals (kg), month not in the future (China time);
* the parts cannot exceed their totals: ``disposed_from_stockpile_t ≤ disposed_t`` and
  ``utilised_from_stockpile_t ≤`` the producer-month's whole utilisation;
* the balance identity of DOMAIN.md §3 with the producer-month's 综合利用量 defined as
  ``used_inhouse_t + shipped_outside_exchange_t + exchange receipts``::

      generated = (utilised − utilised_from_stockpile) + stored
                  + (disposed − disposed_from_stockpile) + dumped

  Exchange receipts *are* part of the identity: the shipped tonnes left the producer as
  utilisation, and the producer must not also report them as in-house use. A ledger that
  counts them twice overshoots by exactly the received tonnes and is rejected. The slack is
  ``settings.ledger_balance_tolerance_t`` (rounding) plus ``settings.receipt_tolerance_pct``
  of the receipts, because the receiver's weighbridge may differ from the producer's by that
  much before a shipment is disputed. A receipt confirmed *after* the ledger was written can
  unbalance it later; :mod:`market.stats.utilisation` flags such ledgers instead of hiding them.

**Months.** The identity is official for a year; applied to a month, "earlier years'
stockpiles" reads "stockpiles from before this month" (the only reading under which a month
that draws on January's storage in March can balance with non-negative figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Site, User
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Forbidden, Invalid, Problem
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger
from market.trading.receipts import execute_core, received_by_origin_month

CHINA_TZ_OFFSET = timedelta(hours=8)
EARLIEST_YEAR = 2000
_KG = Decimal("0.001")

Key = tuple[int, str, int, int]


@dataclass(frozen=True)
class LedgerEntry:
    """One reported producer-month; ``tonnes`` maps every name of LEDGER_TONNES to a Decimal."""

    site_id: int
    material_code: str
    year: int
    month: int
    tonnes: Mapping[str, Decimal]
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.site_id, self.material_code, self.year, self.month)


@dataclass
class LedgerContext:
    """What the checks need, loaded once for a whole import rather than once per row."""

    sites: dict[int, Site]
    writable_org_ids: set[int]
    materials: dict[str, str]
    received: dict[Key, Decimal]
    this_month: tuple[int, int]
    settings: Settings
    existing: dict[Key, Ledger] = field(default_factory=dict)


class ImportRejected(Problem):
    """422 for a whole file: ``errors`` has one entry per bad row (``row``, ``field``, ``reason``)."""

    status = 422


def china_month(now: datetime | None = None) -> tuple[int, int]:
    local = (now or datetime.now(UTC)) + CHINA_TZ_OFFSET
    return local.year, local.month


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def check_filter(year: int | None, month: int | None) -> None:
    """A period filter that makes sense: a month needs its year; years 2000–2100."""
    if month is not None and not 1 <= month <= 12:
        raise Invalid("month", f"must be 1–12, got {month}")
    if month is not None and year is None:
        raise Invalid("month", "needs year")
    if year is not None and not 2000 <= year <= 2100:
        raise Invalid("year", f"must be between 2000 and 2100, got {year}")


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def material_names(session: AsyncSession) -> dict[str, str]:
    """Lookup of material code, code in any case and Chinese name → code (imports use names)."""
    names: dict[str, str] = {}
    for m in (await session.exec(select(Material))).all():
        names[m.code] = m.code
        names[m.code.lower()] = m.code
        names[m.name_zh] = m.code
    return names


async def received_for(session: AsyncSession, keys: Iterable[Key]) -> dict[Key, Decimal]:
    """Exchange receipts (tonnes) per (origin site, material, year, month) for these keys."""
    keys = set(keys)
    if not keys:
        return {}
    r = received_by_origin_month(dialect_name(session))
    stmt = sa.select(
        r.c.origin_site_id, r.c.material_code, r.c.year, r.c.month, r.c.received_t
    ).where(r.c.origin_site_id.in_({k[0] for k in keys}), r.c.year.in_({k[2] for k in keys}))
    rows = (await execute_core(session, stmt)).all()
    return {
        (int(s), str(m), int(y), int(mo)): t for s, m, y, mo, t in rows if (s, m, y, mo) in keys
    }


async def load_context(
    session: AsyncSession, actor: User | None, entries: Sequence[LedgerEntry], settings: Settings
) -> LedgerContext:
    site_ids = {e.site_id for e in entries}
    sites = {
        s.id: s
        for s in (await session.exec(select(Site).where(Site.id.in_(site_ids)))).all()  # type: ignore[union-attr]
        if s.id is not None
    }
    keys = [e.key for e in entries]
    existing: dict[Key, Ledger] = {}
    if site_ids:
        stmt = select(Ledger).where(Ledger.site_id.in_(site_ids))  # type: ignore[attr-defined]
        wanted = set(keys)
        for led in (await session.exec(stmt)).all():
            k = (led.site_id, led.material_code, led.year, led.month)
            if k in wanted:
                existing[k] = led
    if actor is None:  # the trusted CLI operator
        writable = {s.organization_id for s in sites.values()}
    else:
        writable = await member_org_ids(session, actor)
    return LedgerContext(
        sites=sites,
        writable_org_ids=writable,
        materials=await material_names(session),
        received=await received_for(session, keys),
        this_month=china_month(),
        settings=settings,
        existing=existing,
    )


def check_entry(ctx: LedgerContext, e: LedgerEntry) -> list[tuple[str, str]]:
    """Every problem with one entry as (field, reason); empty when it may be written."""
    errors: list[tuple[str, str]] = []
    site = ctx.sites.get(e.site_id)
    if site is None:
        errors.append(("site_id", f"site {e.site_id} does not exist"))
    elif site.organization_id not in ctx.writable_org_ids:
        errors.append(
            ("site_id", f"site {e.site_id} belongs to an organisation you are not a member of")
        )
    if e.material_code not in ctx.materials.values():
        errors.append(("material_code", f"unknown material {e.material_code!r}"))
    if not 1 <= e.month <= 12:
        errors.append(("month", f"month must be 1–12, got {e.month}"))
    elif e.year < EARLIEST_YEAR:
        errors.append(("month", f"must be {EARLIEST_YEAR} or later"))
    elif (e.year, e.month) > ctx.this_month:
        errors.append(("month", f"{month_label(e.year, e.month)} is in the future"))
    bad_number = False
    for name in LEDGER_TONNES:
        value = e.tonnes[name]
        if not value.is_finite():
            errors.append((name, "must be a number"))
            bad_number = True
        elif value < 0:
            errors.append((name, f"must not be negative, got {value}"))
            bad_number = True
        elif value != value.quantize(_KG) or value >= Decimal("1e12"):
            errors.append((name, "at most 3 decimal places (kg) and below 10^12 t"))
            bad_number = True
    if bad_number:
        return errors
    errors += check_balance(ctx, e)
    return errors


def check_balance(ctx: LedgerContext, e: LedgerEntry) -> list[tuple[str, str]]:
    """The parts-within-totals rules and the balance identity, receipts included."""
    t = e.tonnes
    received = ctx.received.get(e.key, Decimal(0))
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    errors: list[tuple[str, str]] = []
    if t["disposed_from_stockpile_t"] > t["disposed_t"]:
        errors.append(
            ("disposed_from_stockpile_t", f"exceeds disposed_t ({dec.t(t['disposed_t'])} t)")
        )
    if t["utilised_from_stockpile_t"] > utilised:
        errors.append(
            (
                "utilised_from_stockpile_t",
                f"exceeds the month's utilisation ({dec.t(utilised)} t incl. "
                f"{dec.t(received)} t received on the exchange)",
            )
        )
    if errors:
        return errors
    accounted = balance_rhs(t, received)
    difference = t["generated_t"] - accounted
    tolerance = balance_tolerance(ctx.settings, received)
    if abs(difference) > tolerance:
        errors.append(
            (
                "balance",
                f"产生量 generated {dec.t(t['generated_t'])} t ≠ {dec.t(accounted)} t accounted for "
                f"(utilised {dec.t(utilised)} t incl. {dec.t(received)} t received on the exchange, "
                f"− {dec.t(t['utilised_from_stockpile_t'])} t from stockpile, + stored "
                f"{dec.t(t['stored_t'])}, + disposed {dec.t(t['disposed_t'])} − "
                f"{dec.t(t['disposed_from_stockpile_t'])} from stockpile, + dumped "
                f"{dec.t(t['dumped_t'])}); difference {dec.t(difference)} t exceeds the "
                f"tolerance of {dec.t(tolerance)} t. Tonnes shipped on the exchange count "
                "from their receipts: do not report them as in-house use",
            )
        )
    return errors


def balance_rhs(t: Mapping[str, Decimal], received: Decimal) -> Decimal:
    """Right-hand side of the identity: where the month's generation went."""
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    return (
        (utilised - t["utilised_from_stockpile_t"])
        + t["stored_t"]
        + (t["disposed_t"] - t["disposed_from_stockpile_t"])
        + t["dumped_t"]
    )


def balance_tolerance(settings: Settings, received: Decimal) -> Decimal:
    return settings.ledger_balance_tolerance_t + received * settings.receipt_tolerance_pct / 100


def _apply(ctx: LedgerContext, actor: User | None, e: LedgerEntry) -> tuple[Ledger, bool]:
    site = ctx.sites[e.site_id]
    now = datetime.now(UTC)
    ledger = ctx.existing.get(e.key)
    created = ledger is None
    if ledger is None:
        ledger = Ledger.model_validate(
            {
                "organization_id": site.organization_id,
                "site_id": e.site_id,
                "material_code": e.material_code,
                "year": e.year,
                "month": e.month,
                **{name: e.tonnes[name] for name in LEDGER_TONNES},
            }
        )
        ctx.existing[e.key] = ledger
    for name in LEDGER_TONNES:
        setattr(ledger, name, e.tonnes[name])
    ledger.organization_id = site.organization_id
    ledger.note = e.note
    ledger.reported_by_user_id = actor.id if actor is not None else None
    ledger.updated_at = now
    return ledger, created


async def record_ledger(
    session: AsyncSession, actor: User, entry: LedgerEntry, settings: Settings
) -> tuple[Ledger, bool]:
    """Create or replace one ledger; 403 for someone else's site, 422 naming the field."""
    ctx = await load_context(session, actor, [entry], settings)
    errors = check_entry(ctx, entry)
    for name, reason in errors:
        if name == "site_id" and "not a member" in reason:
            raise Forbidden(reason)
    if errors:
        raise Problem(
            "; ".join(f"{f}: {r}" for f, r in errors),
            errors=[{"field": f, "reason": r} for f, r in errors],
            status=422,
        )
    ledger, created = _apply(ctx, actor, entry)
    session.add(ledger)
    await session.flush()
    return ledger, created


@dataclass
class ImportResult:
    rows: int
    created: int
    replaced: int


async def import_entries(
    session: AsyncSession,
    actor: User | None,
    rows: Sequence[tuple[int, LedgerEntry | list[tuple[str, str]]]],
    settings: Settings,
    progress: Any = None,
) -> ImportResult:
    """Write all rows or none: any bad row rejects the file with one error per problem.

    ``rows`` pairs the file's row number with a parsed entry or the parse errors of that row.
    ``progress`` (optional) is called with the number of rows checked, for a CLI bar.
    """
    entries = [r for _, r in rows if isinstance(r, LedgerEntry)]
    ctx = await load_context(session, actor, entries, settings)
    errors: list[dict[str, str]] = []
    seen: dict[Key, int] = {}
    for number, item in rows:
        problems = item if not isinstance(item, LedgerEntry) else check_entry(ctx, item)
        if isinstance(item, LedgerEntry):
            if item.key in seen:
                problems = [
                    *problems,
                    ("month", f"duplicates row {seen[item.key]} (same site, material and month)"),
                ]
            seen.setdefault(item.key, number)
        errors += [{"row": str(number), "field": f, "reason": r} for f, r in problems]
        if progress is not None:
            progress(1)
    if not rows:
        raise ImportRejected("the file has no ledger rows", errors=[])
    if errors:
        bad_rows = len({e["row"] for e in errors})
        raise ImportRejected(
            f"{bad_rows} of {len(rows)} rows are invalid; nothing was imported",
            errors=errors,
        )
    created = 0
    for entry in entries:
        ledger, is_new = _apply(ctx, actor, entry)
        created += is_new
        session.add(ledger)
    await session.flush()
    return ImportResult(rows=len(entries), created=created, replaced=len(entries) - created)


def ledger_view(led: Ledger, received: Decimal, settings: Settings) -> dict[str, Any]:
    """A ledger with its exchange receipts, utilisation and whether it balances now."""
    t = {name: getattr(led, name) for name in LEDGER_TONNES}
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    difference = t["generated_t"] - balance_rhs(t, received)
    view: dict[str, Any] = {
        "id": led.id,
        "organization_id": led.organization_id,
        "site_id": led.site_id,
        "material_code": led.material_code,
        "month": month_label(led.year, led.month),
        **{name: dec.t(v) for name, v in t.items()},
        "exchange_received_t": dec.t(received),
        "utilised_t": dec.t(utilised),
        "balance_difference_t": dec.t(difference),
        "balanced": abs(difference) <= balance_tolerance(settings, received)
        and t["utilised_from_stockpile_t"] <= utilised,
        "note": led.note,
        "reported_by_user_id": led.reported_by_user_id,
        "created_at": led.created_at,
        "updated_at": led.updated_at,
    }
    return view


async def ledger_views(
    session: AsyncSession, ledgers: Sequence[Ledger], settings: Settings
) -> list[dict[str, Any]]:
    received = await received_for(
        session, [(x.site_id, x.material_code, x.year, x.month) for x in ledgers]
    )
    return [
        ledger_view(
            x, received.get((x.site_id, x.material_code, x.year, x.month), Decimal(0)), settings
        )
        for x in ledgers
    ]


async def list_ledgers(
    session: AsyncSession,
    viewer: User,
    *,
    year: int | None,
    month: int | None,
    site_id: int | None,
    material: str | None,
    limit: int,
) -> list[Ledger]:
    """Ledgers the viewer may read (own organisations', or all for regulators), newest first."""
    stmt = select(Ledger)
    if not sees_everything(viewer):
        stmt = stmt.where(Ledger.organization_id.in_(await member_org_ids(session, viewer)))  # type: ignore[attr-defined]
    if year is not None:
        stmt = stmt.where(Ledger.year == year)
    if month is not None:
        stmt = stmt.where(Ledger.month == month)
    if site_id is not None:
        stmt = stmt.where(Ledger.site_id == site_id)
    if material is not None:
        stmt = stmt.where(Ledger.material_code == material)
    stmt = stmt.order_by(
        col(Ledger.year).desc(),
        col(Ledger.month).desc(),
        col(Ledger.site_id),
        col(Ledger.material_code),
    ).limit(limit)
    return list((await session.exec(stmt)).all())
