"""Battery lots pack by pack: list packs in a lot, the guard every deal passes, loads, receipts.

**One lot at most.** A pack is one row (:class:`~market.trading.pack_models.BatteryPack`, code
unique) whose ``listing_id`` is the lot holding it, so it cannot be in two. Listing a pack
that is already somewhere is refused per row, saying where: in another lot that is still
draft, open or reserved; sold to a deal and not yet received; missing; or held by another
organisation. A pack whose lot was withdrawn, expired or closed, or that its holder received,
may be listed again by its holder.

**Never sold twice.** A lot that holds packs is traded whole: :func:`whole_lot_refusal` is
part of the eligibility rule (:mod:`market.trading.eligibility`), which every path to a deal
checks (buy, bid, counter, accept, tender bid and tender award), so a bid for part of such a
lot is refused up front and a tender passes over it. When the deal is born,
:func:`claim_for_deal` moves the lot's packs to it with one conditional ``UPDATE … WHERE
listing_id = lot AND status = 'listed'``: a pack some other deal already took is no longer
matched, and a short count is a 409 that rolls the deal back. A deal closed before its packs
left gives them back to the lot (:func:`release_for_deal`).

**Custody.** Each step writes a :class:`~market.trading.pack_models.BatteryPackEvent` with
both parties' names and 统一社会信用代码 as they are at that moment. The producer names the
packs on a load (:func:`ship_packs`); the receiver confirms them one by one
(:func:`receive_packs`): a pack on the load that did not arrive is recorded ``missing``,
named in the shipment's audit trail, and both parties are told in the answer.

**Cascade use vs recycling.** A battery lot says which (:func:`set_battery_use`); a
cascade-use lot takes only packs whose state of health reaches the catalogue's cut-off, the
``soh_pct`` minimum of the material's ``battery_cascade_use`` grade (kept with its source
and ``confirmed`` flag, correctable by the platform administrator).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, User
from market.accounts.permits import require_authority
from market.catalogue import pack_codes
from market.catalogue import service as catalogue
from market.catalogue.models import Grade, GradeLimit
from market.core.audit import Actor, record
from market.core.db import metadata
from market.core.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from market.offers.models import Listing
from market.trading.models import Deal, Shipment
from market.trading.pack_models import BATTERY_USES, BatteryPack, BatteryPackEvent

#: Clocks drift; a receipt this far ahead is still accepted (as for weighbridge receipts).
CLOCK_SKEW = timedelta(minutes=10)
#: The grade whose ``soh_pct`` minimum is the cascade-use cut-off.
CASCADE_GRADE = "battery_cascade_use"
#: Lot states in which a lot still holds its packs against other lots.
ACTIVE_LOT = frozenset({"draft", "open", "reserved"})
#: The most packs one request may list (a spreadsheet is limited by the import's rows too).
MAX_PACKS = 5000
_PACKS = metadata.tables["battery_packs"]
#: The most row errors listed in a 422 (the rest are counted).
MAX_LISTED_ERRORS = 200


class PacksRejected(Problem):
    """422: some rows are wrong; nothing was written. ``errors`` carry the ``row``."""

    status = 422


@dataclass(frozen=True)
class PackInput:
    """One pack as typed or imported; values are checked by :func:`check_row`."""

    code: str
    chemistry: str
    rated_kwh: Any
    soh_pct: Any
    mass_kg: Any
    vin: str | None = None


@dataclass(frozen=True)
class CheckedPack:
    code: str
    chemistry: str
    rated_kwh: Decimal
    soh_pct: Decimal
    mass_kg: int
    vin: str | None


def _decimal(value: Any, places: int) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not d.is_finite():
        raise ValueError(f"{value!r} is not a number")
    if d != d.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"at most {places} decimal places")
    return d


def check_row(row: PackInput) -> tuple[CheckedPack | None, list[tuple[str, str]]]:
    """The row checked (code, chemistry against the code, VIN, figures), or its problems as
    (field, reason) pairs."""
    problems: list[tuple[str, str]] = []
    code = pack_codes.normalise(row.code or "")
    chemistry = (row.chemistry or "").strip().upper()
    try:
        parsed = pack_codes.parse_pack_code(code)
        try:
            pack_codes.check_chemistry(parsed, chemistry)
        except pack_codes.CodeError as exc:
            problems.append(("chemistry", str(exc)))
    except pack_codes.CodeError as exc:
        problems.append(("code", str(exc)))
        if chemistry not in pack_codes.CHEMISTRIES:
            problems.append(("chemistry", f"must be one of {', '.join(pack_codes.CHEMISTRIES)}"))
    vin: str | None = None
    if row.vin is not None and str(row.vin).strip():
        try:
            vin = pack_codes.parse_vin(str(row.vin))
        except pack_codes.CodeError as exc:
            problems.append(("vin", str(exc)))
    rated = soh = None
    mass = 0
    try:
        rated = _decimal(row.rated_kwh, 3)
        if not Decimal(0) < rated <= Decimal(10000):
            problems.append(("rated_kwh", "must be above 0 and at most 10,000 kWh"))
    except ValueError as exc:
        problems.append(("rated_kwh", str(exc)))
    try:
        soh = _decimal(row.soh_pct, 1)
        if not Decimal(0) <= soh <= Decimal(100):
            problems.append(("soh_pct", "must be 0–100"))
    except ValueError as exc:
        problems.append(("soh_pct", str(exc)))
    try:
        m = _decimal(row.mass_kg, 0)
        mass = int(m)
        if not 0 < mass <= 100_000:
            problems.append(("mass_kg", "must be a whole number of kg above 0, at most 100,000"))
    except ValueError as exc:
        problems.append(("mass_kg", str(exc)))
    if problems or rated is None or soh is None:
        return None, problems
    return CheckedPack(code, chemistry, rated, soh, mass, vin), []


# --- the cut-off and the lot's use ------------------------------------------------------------


@dataclass(frozen=True)
class CascadeCutoff:
    """The cascade-use state-of-health minimum of a material, with where it came from."""

    min_soh_pct: Decimal
    source: str
    confirmed: bool


async def cascade_cutoff(session: AsyncSession, material_code: str) -> CascadeCutoff | None:
    """The catalogue's cut-off for the material; None if the catalogue has none."""
    stmt = (
        select(GradeLimit)
        .join(Grade, col(Grade.id) == col(GradeLimit.grade_id))
        .where(
            Grade.material_code == material_code,
            Grade.key == CASCADE_GRADE,
            GradeLimit.parameter_key == "soh_pct",
        )
    )
    lim = (await session.exec(stmt)).first()
    if lim is None or lim.min is None:
        return None
    return CascadeCutoff(lim.min, lim.source, lim.confirmed)


async def _battery_lot(session: AsyncSession, user: User, listing_id: int) -> Listing:
    """A battery listing of one of the user's organisations (404 for others' lots)."""
    listing = await session.get(Listing, listing_id)
    if listing is None or listing.organization_id not in await member_org_ids(session, user):
        raise NotFound(f"listing {listing_id} does not exist")
    material = await catalogue.get_material(session, listing.material_code)
    if not material.battery:
        raise Conflict(
            f"listing {listing_id} is {listing.material_code}, not a traction-battery lot; "
            "only battery lots hold packs",
            errors=[{"field": "listing_id", "reason": "not a battery lot"}],
        )
    return listing


async def set_battery_use(session: AsyncSession, user: User, listing_id: int, use: str) -> Listing:
    """Say whether a battery lot is for cascade use or recycling (members of the producer),
    while it is draft or open. A cascade lot's packs must all reach the cut-off (422)."""
    if use not in BATTERY_USES:
        raise Invalid("battery_use", f"must be one of {', '.join(BATTERY_USES)}")
    listing = await _battery_lot(session, user, listing_id)
    if listing.status not in ("draft", "open"):
        raise Conflict(f"listing {listing_id} is {listing.status}; its use can no longer change")
    if use == "cascade":
        cutoff = await cascade_cutoff(session, listing.material_code)
        if cutoff is not None:
            low = (
                await session.exec(
                    select(BatteryPack.code).where(
                        BatteryPack.listing_id == listing_id,
                        col(BatteryPack.soh_pct) < cutoff.min_soh_pct,
                    )
                )
            ).all()
            if low:
                raise Invalid(
                    "battery_use",
                    f"{len(low)} pack(s) are below the cascade-use cut-off of "
                    f"{cutoff.min_soh_pct} % state of health, e.g. {low[0]}",
                )
    before = listing.battery_use
    listing.battery_use = use
    listing.updated_at = datetime.now(UTC)
    session.add(listing)
    await session.flush()
    actor = Actor(user.id, listing.organization_id)
    await record(
        session,
        "listing",
        listing_id,
        "battery_use",
        actor,
        {"battery_use": before},
        {"battery_use": use},
    )
    return listing


async def set_cascade_listed(
    session: AsyncSession, actor: User, organization_id: int, listed: bool
) -> Organization:
    """Regulators mark a firm as on (or off) the MIIT list as a cascade-use company."""
    require_authority(actor)
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organisation {organization_id} does not exist")
    org.miit_cascade_listed = listed
    session.add(org)
    await session.flush()
    return org


# --- listing packs --------------------------------------------------------------------------


_EVENTS = metadata.tables["battery_pack_events"]


async def _write_events(session: AsyncSession, events: list[BatteryPackEvent]) -> None:
    """Append events in one multi-row INSERT (thousands of packs move at once; the ORM's
    unit of work would add a second per few thousand rows)."""
    if not events:
        return
    columns = [c.name for c in _EVENTS.c if c.name != "id"]
    await session.flush()
    await session.exec(
        sa.insert(_EVENTS), params=[{k: getattr(e, k) for k in columns} for e in events]
    )


def _event(
    pack: BatteryPack,
    kind: str,
    giver: Organization,
    taker: Organization,
    at: datetime,
    user_id: int | None,
    *,
    listing_id: int | None = None,
    deal_id: int | None = None,
    shipment_id: int | None = None,
) -> BatteryPackEvent:
    return BatteryPackEvent(
        pack_id=pack.id or 0,
        kind=kind,
        from_org_id=giver.id or 0,
        from_org_name=giver.name,
        from_uscc=giver.uscc,
        to_org_id=taker.id or 0,
        to_org_name=taker.name,
        to_uscc=taker.uscc,
        at=at,
        by_user_id=user_id,
        listing_id=listing_id,
        deal_id=deal_id,
        shipment_id=shipment_id,
    )


async def _org(session: AsyncSession, org_id: int) -> Organization:
    org = await session.get(Organization, org_id)
    assert org is not None
    return org


def _row_errors(bad: list[tuple[int, str, str]], total: int) -> PacksRejected:
    listed = bad[:MAX_LISTED_ERRORS]
    rows = len({r for r, _, _ in bad})
    more = "" if len(listed) == len(bad) else f" (the first {len(listed)} of {len(bad)} listed)"
    return PacksRejected(
        f"{rows} of {total} packs are invalid; nothing was written{more}",
        errors=[{"row": str(r), "field": f, "reason": why} for r, f, why in listed],
    )


async def _why_not_listable(
    session: AsyncSession, pack: BatteryPack, listing: Listing
) -> str | None:
    if pack.holder_org_id != listing.organization_id:
        return "is held by another organisation"
    if pack.status == "listed" and pack.listing_id == listing.id:
        return f"is already in this lot (listing {listing.id})"
    if pack.status == "listed" and pack.listing_id is not None:
        other = await session.get(Listing, pack.listing_id)
        if other is not None and other.status in ACTIVE_LOT:
            return f"is already in lot {other.id} ({other.status}); a pack is in one lot at most"
    if pack.status in ("sold", "shipped"):
        return f"was sold in deal {pack.deal_id} and is {pack.status}, not received yet"
    if pack.status == "missing":
        return "was reported missing from a load"
    return None


async def add_packs(
    session: AsyncSession,
    user: User,
    listing_id: int,
    rows: Sequence[tuple[int, PackInput | list[tuple[str, str]]]],
    now: datetime | None = None,
) -> list[BatteryPack]:
    """List packs in a battery lot, all or none (members of the producer; draft or open lot).

    ``rows`` are (row number, pack or its parse problems); every problem of every row is
    collected first and reported together (422 with ``row``, ``field``, ``reason``)."""
    now = now or datetime.now(UTC)
    if len(rows) > MAX_PACKS:
        raise Invalid("packs", f"at most {MAX_PACKS:,} packs at a time")
    if not rows:
        raise Invalid("packs", "no packs given")
    listing = await _battery_lot(session, user, listing_id)
    if listing.status not in ("draft", "open"):
        raise Conflict(f"listing {listing_id} is {listing.status}; packs can no longer be added")
    cutoff = (
        await cascade_cutoff(session, listing.material_code)
        if listing.battery_use == "cascade"
        else None
    )
    bad: list[tuple[int, str, str]] = []
    checked: list[tuple[int, CheckedPack]] = []
    seen: dict[str, int] = {}
    for number, item in rows:
        problems = item if isinstance(item, list) else []
        pack: CheckedPack | None = None
        if isinstance(item, PackInput):
            pack, problems = check_row(item)
        if pack is not None:
            if pack.code in seen:
                problems = [("code", f"repeats row {seen[pack.code]}")]
            elif cutoff is not None and pack.soh_pct < cutoff.min_soh_pct:
                problems = [
                    (
                        "soh_pct",
                        f"{pack.soh_pct} % is below the cascade-use cut-off of "
                        f"{cutoff.min_soh_pct} % (recycling lots take it)",
                    )
                ]
            seen.setdefault(pack.code, number)
        if problems:
            bad += [(number, f, r) for f, r in problems]
        elif pack is not None:
            checked.append((number, pack))
    codes = [p.code for _, p in checked]
    existing: dict[str, BatteryPack] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        stmt = select(BatteryPack).where(col(BatteryPack.code).in_(chunk)).with_for_update()
        for p in (await session.exec(stmt.execution_options(populate_existing=True))).all():
            existing[p.code] = p
    for number, pack in checked:
        old = existing.get(pack.code)
        if old is not None and (why := await _why_not_listable(session, old, listing)):
            bad.append((number, "code", f"{pack.code} {why}"))
    if bad:
        raise _row_errors(bad, len(rows))
    org = await _org(session, listing.organization_id)
    out: list[BatteryPack] = []
    for _, pack in checked:
        row = existing.get(pack.code) or BatteryPack(
            code=pack.code,
            chemistry=pack.chemistry,
            rated_kwh=pack.rated_kwh,
            soh_pct=pack.soh_pct,
            mass_kg=pack.mass_kg,
            holder_org_id=org.id or 0,
        )
        row.chemistry, row.rated_kwh, row.soh_pct = pack.chemistry, pack.rated_kwh, pack.soh_pct
        row.mass_kg, row.vin = pack.mass_kg, pack.vin or row.vin
        row.status, row.listing_id = "listed", listing_id
        row.deal_id = row.shipment_id = None
        row.updated_at = now
        session.add(row)
        out.append(row)
    await session.flush()
    await _write_events(
        session, [_event(p, "listed", org, org, now, user.id, listing_id=listing_id) for p in out]
    )
    await session.flush()
    await record(
        session,
        "listing",
        listing_id,
        "packs_added",
        Actor(user.id, org.id),
        None,
        {"packs": len(out), "mass_kg": sum(p.mass_kg for p in out)},
    )
    return out


async def lot_packs(session: AsyncSession, listing_id: int) -> list[BatteryPack]:
    stmt = (
        select(BatteryPack)
        .where(BatteryPack.listing_id == listing_id)
        .order_by(col(BatteryPack.code))
    )
    return list((await session.exec(stmt)).all())


async def readable_lot_packs(
    session: AsyncSession, user: User, listing_id: int
) -> tuple[Listing, list[BatteryPack]]:
    """The packs a lot holds now and those its deals took (their status says where they
    are): all of them for the producer and regulators, a buyer's own for a buyer with a deal
    on it; anyone else who may read the open lot sees the packs it holds."""
    listing = await session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(f"listing {listing_id} does not exist")
    orgs = await member_org_ids(session, user)
    full = listing.organization_id in orgs or sees_everything(user)
    deals = select(Deal.id).where(Deal.listing_id == listing_id)
    if not full:
        deals = deals.where(col(Deal.buyer_org_id).in_(orgs))
    dealt = list((await session.exec(deals)).all())
    if not (full or dealt or listing.status in ("open", "reserved")):
        raise NotFound(f"listing {listing_id} does not exist")
    stmt = select(BatteryPack).where(
        sa.or_(col(BatteryPack.listing_id) == listing_id, col(BatteryPack.deal_id).in_(dealt))
    )
    return listing, list((await session.exec(stmt.order_by(col(BatteryPack.code)))).all())


# --- the guard every deal passes -----------------------------------------------------------


async def listed_count(session: AsyncSession, listing_id: int) -> int:
    stmt = (
        select(sa.func.count())
        .select_from(BatteryPack)
        .where(BatteryPack.listing_id == listing_id, BatteryPack.status == "listed")
    )
    return int((await session.exec(stmt)).one())


async def whole_lot_refusal(
    session: AsyncSession, listing: Listing, quantity_t: Decimal
) -> str | None:
    """Why a deal of ``quantity_t`` may not be made on a lot with packs (it must take every
    tonne available: the packs cannot be split by weight); None if it may."""
    if listing.id is None or quantity_t == listing.available_t:
        return None
    if await listed_count(session, listing.id) == 0:
        return None
    return (
        f"listing {listing.id} holds traction-battery packs and is traded whole: "
        f"take all {listing.available_t} t available"
    )


async def claim_for_deal(
    session: AsyncSession,
    listing: Listing,
    deal_id: int,
    buyer_org_id: int,
    user_id: int | None,
    now: datetime | None = None,
) -> int:
    """Move the lot's listed packs to the new deal (the second line of defence: a pack
    another deal took is no longer ``listed`` in this lot and is not matched). Returns how
    many; 409 if fewer were claimed than the lot held when read."""
    now = now or datetime.now(UTC)
    ids = list(
        (
            await session.exec(
                select(BatteryPack.id)
                .where(BatteryPack.listing_id == listing.id, BatteryPack.status == "listed")
                .with_for_update()
            )
        ).all()
    )
    if not ids:
        return 0
    c = _PACKS.c
    result = await session.exec(
        sa.update(_PACKS)
        .where(c.id.in_(ids), c.listing_id == listing.id, c.status == "listed")
        .values(status="sold", deal_id=deal_id, listing_id=None, updated_at=now)
    )
    if result.rowcount != len(ids):
        raise Conflict(
            f"{len(ids) - result.rowcount} pack(s) of listing {listing.id} were sold meanwhile"
        )
    packs = (
        await session.exec(
            select(BatteryPack)
            .where(col(BatteryPack.id).in_(ids))
            .execution_options(populate_existing=True)
        )
    ).all()
    seller = await _org(session, listing.organization_id)
    buyer = await _org(session, buyer_org_id)
    await _write_events(
        session,
        [
            _event(p, "sold", seller, buyer, now, user_id, listing_id=listing.id, deal_id=deal_id)
            for p in packs
        ],
    )
    await session.flush()
    return len(ids)


async def release_for_deal(
    session: AsyncSession, deal_id: int, listing_id: int, seller_org_id: int, user_id: int | None
) -> int:
    """A deal closed short gives back the packs that never left: to its lot if the lot is
    still draft/open/reserved, else they stay with the seller out of any lot (``held``)."""
    now = datetime.now(UTC)
    packs = list(
        (
            await session.exec(
                select(BatteryPack)
                .where(BatteryPack.deal_id == deal_id, BatteryPack.status == "sold")
                .with_for_update()
            )
        ).all()
    )
    if not packs:
        return 0
    listing = await session.get(Listing, listing_id)
    back = listing is not None and listing.status in ACTIVE_LOT
    seller = await _org(session, seller_org_id)
    for p in packs:
        p.status = "listed" if back else "held"
        p.listing_id = listing_id if back else None
        p.deal_id = None
        p.updated_at = now
        session.add(p)
    await session.flush()
    await _write_events(
        session,
        [
            _event(
                p, "released", seller, seller, now, user_id, listing_id=listing_id, deal_id=deal_id
            )
            for p in packs
        ],
    )
    await session.flush()
    return len(packs)


# --- loads and receipts ----------------------------------------------------------------------


async def _shipment_and_deal(session: AsyncSession, shipment_id: int) -> tuple[Shipment, Deal]:
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} does not exist")
    deal = await session.get(Deal, shipment.deal_id)
    assert deal is not None
    return shipment, deal


async def _codes_of(
    session: AsyncSession, codes: Sequence[str]
) -> tuple[dict[str, BatteryPack], list[tuple[int, str, str]]]:
    bad: list[tuple[int, str, str]] = []
    wanted: dict[str, int] = {}
    for i, raw in enumerate(codes, start=1):
        code = pack_codes.normalise(raw)
        if code in wanted:
            bad.append((i, "code", f"repeats row {wanted[code]}"))
        wanted.setdefault(code, i)
    found = {
        p.code: p
        for p in (
            await session.exec(
                select(BatteryPack)
                .where(col(BatteryPack.code).in_(list(wanted)))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    }
    for code, i in wanted.items():
        if code not in found:
            bad.append((i, "code", f"{code} is not a known pack"))
    return found, bad


async def ship_packs(
    session: AsyncSession, user: User, shipment_id: int, codes: Sequence[str]
) -> list[BatteryPack]:
    """The producer names the packs on a dispatched load: each must be sold to its deal and
    not on another load (422 per row, nothing written otherwise)."""
    shipment, deal = await _shipment_and_deal(session, shipment_id)
    mine = await member_org_ids(session, user)
    if deal.seller_org_id not in mine:
        if deal.buyer_org_id in mine or sees_everything(user):
            raise Forbidden("only the producer (the seller) names the packs on a load")
        raise NotFound(f"shipment {shipment_id} does not exist")
    if shipment.status != "dispatched":
        raise Conflict(f"shipment {shipment_id} is {shipment.status}; its packs are fixed")
    if not codes:
        raise Invalid("codes", "no packs given")
    found, bad = await _codes_of(session, codes)
    for i, raw in enumerate(codes, start=1):
        p = found.get(pack_codes.normalise(raw))
        if p is not None and (p.deal_id != deal.id or p.status != "sold"):
            where = "is on another load" if p.status == "shipped" else "is not sold in this deal"
            bad.append((i, "code", f"{p.code} {where}"))
    if bad:
        raise _row_errors(bad, len(codes))
    seller = await _org(session, deal.seller_org_id)
    buyer = await _org(session, deal.buyer_org_id)
    packs = list(found.values())
    for p in packs:
        p.status, p.shipment_id, p.updated_at = "shipped", shipment_id, datetime.now(UTC)
        session.add(p)
    await session.flush()
    await _write_events(
        session,
        [
            _event(
                p,
                "shipped",
                seller,
                buyer,
                shipment.dispatched_at,
                user.id,
                deal_id=deal.id,
                shipment_id=shipment_id,
            )
            for p in packs
        ],
    )
    await session.flush()
    await record(
        session,
        "shipment",
        shipment_id,
        "packs_shipped",
        Actor(user.id, seller.id),
        None,
        {"packs": sorted(p.code for p in packs)},
    )
    return packs


@dataclass(frozen=True)
class PackReceipt:
    received: list[BatteryPack]
    missing: list[BatteryPack]


async def receive_packs(
    session: AsyncSession,
    user: User,
    shipment_id: int,
    codes: Sequence[str],
    received_at: datetime | None = None,
) -> PackReceipt:
    """The receiver confirms the packs that arrived, pack by pack; every pack on the load
    not among ``codes`` is recorded ``missing`` (an event and an audit entry on the
    shipment). A code that was not on the load is a 422 row error. Once per load."""
    shipment, deal = await _shipment_and_deal(session, shipment_id)
    mine = await member_org_ids(session, user)
    if deal.buyer_org_id not in mine:
        if deal.seller_org_id in mine or sees_everything(user):
            raise Forbidden("only the receiver (the buyer) confirms the packs of a load")
        raise NotFound(f"shipment {shipment_id} does not exist")
    on_load = list(
        (
            await session.exec(
                select(BatteryPack)
                .where(BatteryPack.shipment_id == shipment_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    if not on_load:
        raise Conflict(f"shipment {shipment_id} carries no named packs")
    if any(p.status != "shipped" for p in on_load):
        raise Conflict(f"the packs of shipment {shipment_id} were already confirmed")
    by_code = {p.code: p for p in on_load}
    bad: list[tuple[int, str, str]] = []
    arrived: dict[str, BatteryPack] = {}
    for i, raw in enumerate(codes, start=1):
        code = pack_codes.normalise(raw)
        if code in arrived:
            bad.append((i, "code", f"repeats row {list(arrived).index(code) + 1}"))
        elif code not in by_code:
            bad.append((i, "code", f"{code} was not on this load"))
        else:
            arrived[code] = by_code[code]
    if bad:
        raise _row_errors(bad, len(codes))
    now = datetime.now(UTC)
    at = received_at or shipment.received_at or now
    if at > now + CLOCK_SKEW:
        raise Invalid("received_at", "is in the future")
    if at < shipment.dispatched_at:
        raise Invalid("received_at", "is before the load was dispatched")
    seller = await _org(session, deal.seller_org_id)
    buyer = await _org(session, deal.buyer_org_id)
    missing = [p for p in on_load if p.code not in arrived]
    for p in arrived.values():
        p.status, p.holder_org_id, p.updated_at = "received", buyer.id or 0, now
        session.add(p)
    for p in missing:
        p.status, p.updated_at = "missing", now
        session.add(p)
    await session.flush()
    await _write_events(
        session,
        [
            _event(p, kind, seller, buyer, at, user.id, deal_id=deal.id, shipment_id=shipment_id)
            for kind, group in (("received", list(arrived.values())), ("missing", missing))
            for p in group
        ],
    )
    await session.flush()
    await record(
        session,
        "shipment",
        shipment_id,
        "packs_received",
        Actor(user.id, buyer.id),
        None,
        {
            "received": sorted(arrived),
            "missing": sorted(p.code for p in missing),
        },
    )
    return PackReceipt(list(arrived.values()), missing)
