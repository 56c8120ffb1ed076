"""Writing monthly ledgers: who may, and the upsert that makes imports idempotent.

**Key.** One ledger per (site, material, month); writing the same key again *replaces* the
figures (POST and re-imports alike), so importing a corrected file twice changes nothing.

**Who.** Members of the organisation owning the site. Regulators read, they do not report.

**Checks** are :mod:`market.ledger.rules` (the balance identity with exchange receipts, and
the field rules); this module loads what they need once per request or file, then writes all
rows or none. Reading ledgers back is :mod:`market.ledger.views`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids
from market.accounts.models import Site, User
from market.catalogue.models import Material
from market.core.errors import Forbidden, Problem
from market.core.settings import Settings
from market.ledger.bulk import write_entries
from market.ledger.models import LEDGER_TONNES, Ledger
from market.ledger.rules import (
    Key,
    LedgerContext,
    LedgerEntry,
    check_entry,
    check_filter,
    china_month,
    month_label,
)
from market.trading.receipts import execute_core, received_by_origin_month

#: Names other packages import from here (the rules moved to market.ledger.rules).
__all__ = [
    "MAX_LISTED_ERRORS",
    "ImportRejected",
    "ImportResult",
    "LedgerEntry",
    "check_filter",
    "china_month",
    "dialect_name",
    "import_entries",
    "load_context",
    "material_names",
    "month_label",
    "received_for",
    "record_ledger",
]


class ImportRejected(Problem):
    """422 for a whole file: ``errors`` has one entry per bad row (``row``, ``field``, ``reason``)."""

    status = 422


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


async def booked_for(
    session: AsyncSession, keys: Iterable[Key]
) -> tuple[dict[Key, Decimal], dict[Key, Decimal]]:
    """Exchange loads as the producers booked them out, and the slack of settled loads, per
    key: what the balance identity accounts for (:mod:`market.ledger.rules`)."""
    keys = set(keys)
    if not keys:
        return {}, {}
    r = received_by_origin_month(dialect_name(session))
    stmt = sa.select(
        r.c.origin_site_id, r.c.material_code, r.c.year, r.c.month, r.c.booked_t, r.c.booked_slack_t
    ).where(r.c.origin_site_id.in_({k[0] for k in keys}), r.c.year.in_({k[2] for k in keys}))
    booked: dict[Key, Decimal] = {}
    slack: dict[Key, Decimal] = {}
    for s, m, y, mo, t, extra in (await execute_core(session, stmt)).all():
        key = (int(s), str(m), int(y), int(mo))
        if key in keys:
            booked[key], slack[key] = t, extra
    return booked, slack


async def load_context(
    session: AsyncSession,
    actor: User | None,
    entries: Sequence[LedgerEntry],
    settings: Settings,
    *,
    with_existing: bool = True,
) -> LedgerContext:
    """What the checks need for these entries. ``with_existing=False`` leaves out the
    ledgers already stored (a bulk import finds their ids itself: :mod:`market.ledger.bulk`)."""
    site_ids = {e.site_id for e in entries}
    sites = {
        s.id: s
        for s in (await session.exec(select(Site).where(Site.id.in_(site_ids)))).all()  # type: ignore[union-attr]
        if s.id is not None
    }
    keys = [e.key for e in entries]
    existing: dict[Key, Ledger] = {}
    if site_ids and with_existing:
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
    booked, slack = await booked_for(session, keys)
    return LedgerContext(
        sites=sites,
        writable_org_ids=writable,
        materials=await material_names(session),
        received=await received_for(session, keys),
        this_month=china_month(),
        settings=settings,
        existing=existing,
        booked=booked,
        booked_slack=slack,
    )


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


#: Row errors listed in a rejected import's problem; the rest are counted, not listed.
MAX_LISTED_ERRORS = 200
#: Rows checked or written between two yields to the event loop.
CHUNK = 500


async def import_entries(
    session: AsyncSession,
    actor: User | None,
    rows: Sequence[tuple[int, LedgerEntry | list[tuple[str, str]]]],
    settings: Settings,
    progress: Any = None,
) -> ImportResult:
    """Write all rows or none: any bad row rejects the file with one error per problem.

    ``rows`` pairs the file's row number with a parsed entry or the parse errors of that row.
    ``progress`` (optional) is called with the number of rows checked, for a CLI bar. The
    problem lists the first :data:`MAX_LISTED_ERRORS` errors and counts the others. Checks
    and writes go in chunks of :data:`CHUNK` rows with a yield to the event loop between,
    so a large file does not hold up the worker's other requests.
    """
    entries = [r for _, r in rows if isinstance(r, LedgerEntry)]
    ctx = await load_context(session, actor, entries, settings, with_existing=False)
    errors: list[dict[str, str]] = []
    error_count = 0
    bad_rows: set[int] = set()
    seen: dict[Key, int] = {}
    for i, (number, item) in enumerate(rows):
        if i and i % CHUNK == 0:
            await asyncio.sleep(0)
        problems = item if not isinstance(item, LedgerEntry) else check_entry(ctx, item)
        if isinstance(item, LedgerEntry):
            if item.key in seen:
                problems = [
                    *problems,
                    ("month", f"duplicates row {seen[item.key]} (same site, material and month)"),
                ]
            seen.setdefault(item.key, number)
        if problems:
            bad_rows.add(number)
            error_count += len(problems)
            room = MAX_LISTED_ERRORS - len(errors)
            errors += [{"row": str(number), "field": f, "reason": r} for f, r in problems[:room]]
        if progress is not None:
            progress(1)
    if not rows:
        raise ImportRejected("the file has no ledger rows", errors=[])
    if error_count:
        listed = (
            ""
            if error_count == len(errors)
            else (f" (the first {len(errors)} of {error_count:,} problems are listed)")
        )
        raise ImportRejected(
            f"{len(bad_rows)} of {len(rows)} rows are invalid; nothing was imported{listed}",
            errors=errors,
        )
    created = await write_entries(session, ctx, actor, entries)
    return ImportResult(rows=len(entries), created=created, replaced=len(entries) - created)
