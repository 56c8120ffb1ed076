"""The traceability report for the national platform, and packs overdue for reporting.

**Export.** One row per pack per load that left in the period (China dates, ``from`` and
``to`` inclusive): the pack code, VIN, battery type, the outbound (dispatch) date, the sender
and the receiver with their 统一社会信用代码, and what became of it (received on a date,
missing, or in transit). The parties' names and codes are those copied into the chain of
custody when the pack moved, so a later rename does not rewrite the record. Shaped like the
national platform's upload of 退役动力蓄电池 outbound records; the platform's exact column
set is **UNCONFIRMED** (DOMAIN.md does not give it).

**Overdue.** The receiver has to report a received pack within 15 working days. Working
days are Monday to Friday; public holidays and make-up working days are **not modelled**
(DOMAIN.md lists none), so the due date can be a few days early around holidays. A receipt is
reported when its holder says so (``POST /battery-packs/reported``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.catalogue import pack_codes
from market.core.errors import Invalid, NotFound
from market.core.spreadsheets import safe_cell
from market.trading.pack_models import BatteryPack, BatteryPackEvent
from market.trading.packs import PacksRejected

CHINA = ZoneInfo("Asia/Shanghai")
#: Working days the receiver has to report a received pack.
REPORT_WITHIN_WORKING_DAYS = 15
#: The longest period one export may cover.
MAX_PERIOD_DAYS = 366


def china_date(at: datetime) -> date:
    return at.astimezone(CHINA).date()


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th Monday–Friday after ``day`` (holidays not modelled)."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def working_days_between(after: date, until: date) -> int:
    """Mondays–Fridays in (after, until]."""
    count, day = 0, after
    while day < until:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class TraceRow:
    pack_code: str
    vin: str | None
    battery_type: str
    chemistry: str
    outbound_date: date
    sender_name: str
    sender_uscc: str
    receiver_name: str
    receiver_uscc: str
    received_date: date | None
    status: str | None
    deal_id: int | None
    shipment_id: int | None


def _battery_type(code: str) -> str:
    letter = code[4]
    return f"{letter} {pack_codes.BATTERY_TYPES.get(letter, '')}".strip()


async def trace_rows(session: AsyncSession, start: date, end: date) -> list[TraceRow]:
    """Every pack that left on a load between ``start`` and ``end`` (China dates, inclusive),
    by outbound time then code."""
    for name, day in (("from", start), ("to", end)):
        if not 2000 <= day.year <= 2100:
            raise Invalid(name, "must be a date in the years 2000–2100")
    if end < start:
        raise Invalid("to", "is before from")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise Invalid("to", f"a period is at most {MAX_PERIOD_DAYS} days")
    lo, hi = _day_start(start), _day_start(end + timedelta(days=1))
    shipped = (
        await session.exec(
            select(BatteryPackEvent, BatteryPack)
            .join(BatteryPack, col(BatteryPack.id) == col(BatteryPackEvent.pack_id))
            .where(
                BatteryPackEvent.kind == "shipped",
                col(BatteryPackEvent.at) >= lo,
                col(BatteryPackEvent.at) < hi,
            )
            .order_by(col(BatteryPackEvent.at), col(BatteryPack.code))
        )
    ).all()
    shipment_ids = {e.shipment_id for e, _ in shipped if e.shipment_id is not None}
    outcome: dict[tuple[int, int | None], BatteryPackEvent] = {}
    if shipment_ids:
        ends = await session.exec(
            select(BatteryPackEvent).where(
                col(BatteryPackEvent.kind).in_(("received", "missing")),
                col(BatteryPackEvent.shipment_id).in_(shipment_ids),
            )
        )
        outcome = {(e.pack_id, e.shipment_id): e for e in ends.all()}
    rows = []
    for e, p in shipped:
        end_event = outcome.get((e.pack_id, e.shipment_id))
        received = end_event is not None and end_event.kind == "received"
        rows.append(
            TraceRow(
                pack_code=p.code,
                vin=p.vin,
                battery_type=_battery_type(p.code),
                chemistry=p.chemistry,
                outbound_date=china_date(e.at),
                sender_name=e.from_org_name,
                sender_uscc=e.from_uscc,
                receiver_name=e.to_org_name,
                receiver_uscc=e.to_uscc,
                received_date=china_date(end_event.at) if received and end_event else None,
                status=end_event.kind if end_event is not None else None,
                deal_id=e.deal_id,
                shipment_id=e.shipment_id,
            )
        )
    return rows


COLUMNS: tuple[tuple[str, str], ...] = (
    ("pack_code", "电池编码 pack_code"),
    ("vin", "车辆识别代号 VIN"),
    ("battery_type", "电池类型 battery_type"),
    ("chemistry", "化学体系 chemistry"),
    ("outbound_date", "出库日期 outbound_date"),
    ("sender_name", "移出企业名称 sender_name"),
    ("sender_uscc", "移出企业统一社会信用代码 sender_uscc"),
    ("receiver_name", "接收企业名称 receiver_name"),
    ("receiver_uscc", "接收企业统一社会信用代码 receiver_uscc"),
    ("received_date", "入库日期 received_date"),
    ("status", "状态 status"),
    ("deal_id", "交易编号 deal_id"),
    ("shipment_id", "运单编号 shipment_id"),
)


def _values(row: TraceRow) -> list[Any]:
    values = []
    for key, _ in COLUMNS:
        v = getattr(row, key)
        if key == "status":
            v = v or "in_transit"
        values.append("" if v is None else v.isoformat() if isinstance(v, date) else v)
    return values


def to_csv(rows: Sequence[TraceRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([safe_cell(v) for v in _values(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[TraceRow], start: date, end: date) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "battery_trace"
    sheet.append([title for _, title in COLUMNS])
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in _values(row)])
    sheet.freeze_panes = "B2"
    notes = book.create_sheet("notes")
    notes.append(["from", start.isoformat()])
    notes.append(["to", end.isoformat()])
    notes.append(["rows", len(rows)])
    notes.append(["dates", "China Standard Time (UTC+8)"])
    notes.append(["columns", "national platform upload shape: UNCONFIRMED"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reporting and the overdue list -------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    pack_code: str
    vin: str | None
    holder_name: str
    holder_uscc: str
    received_at: datetime
    due_date: date
    working_days_late: int
    shipment_id: int | None


async def overdue(session: AsyncSession, now: datetime | None = None) -> list[OverdueRow]:
    """Received packs not reported within 15 working days, the longest overdue first."""
    now = now or datetime.now(UTC)
    today = china_date(now)
    # 15 working days are at least 15 calendar days: an index-friendly first cut.
    stmt = (
        select(BatteryPackEvent, BatteryPack)
        .join(BatteryPack, col(BatteryPack.id) == col(BatteryPackEvent.pack_id))
        .where(
            BatteryPackEvent.kind == "received",
            col(BatteryPackEvent.reported_at).is_(None),
            col(BatteryPackEvent.at) <= now - timedelta(days=REPORT_WITHIN_WORKING_DAYS),
        )
        .order_by(col(BatteryPackEvent.at), col(BatteryPack.code))
    )
    out = []
    for e, p in (await session.exec(stmt)).all():
        due = add_working_days(china_date(e.at), REPORT_WITHIN_WORKING_DAYS)
        if today > due:
            out.append(
                OverdueRow(
                    pack_code=p.code,
                    vin=p.vin,
                    holder_name=e.to_org_name,
                    holder_uscc=e.to_uscc,
                    received_at=e.at,
                    due_date=due,
                    working_days_late=working_days_between(due, today),
                    shipment_id=e.shipment_id,
                )
            )
    return out


async def mark_reported(
    session: AsyncSession, user: User, codes: Sequence[str], now: datetime | None = None
) -> int:
    """The receiver says it reported these packs' receipts to the national platform: each
    code's latest unreported receipt by one of the user's organisations is marked (422 per
    row for a code with none, nothing written)."""
    now = now or datetime.now(UTC)
    mine = await member_org_ids(session, user)
    wanted = [pack_codes.normalise(c) for c in codes]
    stmt = (
        select(BatteryPackEvent, BatteryPack)
        .join(BatteryPack, col(BatteryPack.id) == col(BatteryPackEvent.pack_id))
        .where(
            col(BatteryPack.code).in_(wanted),
            BatteryPackEvent.kind == "received",
            col(BatteryPackEvent.reported_at).is_(None),
            col(BatteryPackEvent.to_org_id).in_(mine),
        )
        .order_by(col(BatteryPackEvent.at))
    )
    latest: dict[str, BatteryPackEvent] = {}
    for e, p in (await session.exec(stmt)).all():
        latest[p.code] = e
    bad = [
        {"row": str(i), "field": "code", "reason": f"{c}: no unreported receipt of yours"}
        for i, c in enumerate(wanted, start=1)
        if c not in latest
    ]
    if bad:
        raise PacksRejected(
            f"{len(bad)} of {len(wanted)} codes have no unreported receipt; nothing was marked",
            errors=bad[:200],
        )
    for e in latest.values():
        e.reported_at = now
        session.add(e)
        session.add(
            BatteryPackEvent(
                pack_id=e.pack_id,
                kind="reported",
                from_org_id=e.to_org_id,
                from_org_name=e.to_org_name,
                from_uscc=e.to_uscc,
                to_org_id=e.to_org_id,
                to_org_name=e.to_org_name,
                to_uscc=e.to_uscc,
                deal_id=e.deal_id,
                shipment_id=e.shipment_id,
                at=now,
                by_user_id=user.id,
            )
        )
    await session.flush()
    return len(latest)


async def pack_history(
    session: AsyncSession, user: User, raw_code: str
) -> tuple[BatteryPack, list[BatteryPackEvent]]:
    """One pack's chain of custody, oldest step first: for regulators and for every
    organisation that held or took it (others: 404, as for a code never seen)."""
    code = pack_codes.normalise(raw_code)
    pack = (await session.exec(select(BatteryPack).where(BatteryPack.code == code))).first()
    if pack is None:
        raise NotFound(f"pack {code} is not known")
    stmt = (
        select(BatteryPackEvent)
        .where(BatteryPackEvent.pack_id == pack.id)
        .order_by(col(BatteryPackEvent.at), col(BatteryPackEvent.id))
    )
    events = list((await session.exec(stmt)).all())
    if not sees_everything(user):
        mine = await member_org_ids(session, user)
        if not any(e.from_org_id in mine or e.to_org_id in mine for e in events):
            raise NotFound(f"pack {code} is not known")
    return pack, events
