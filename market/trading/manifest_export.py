"""A transfer manifest as JSON and as a one-sheet workbook (.xlsx) for the paper trail.

The workbook lists the manifest field by field (Chinese and English labels), tonnes as
numbers to the kilogram and times in China time, so it can be printed, signed and filed by
the producer, the receiver and the regulator. Every text cell is neutralised against formula
injection the same way as the statistics export (an organisation named "=HYPERLINK(…)" is
written as text, not run).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Site
from market.core import decimals as dec
from market.core.spreadsheets import safe_text
from market.trading.models import Manifest
from market.trading.schemas import DealPartyOut, DealSiteOut, ManifestOut

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHINA = timezone(timedelta(hours=8), "CST")


def _party(org: Organization | None) -> DealPartyOut | None:
    return None if org is None else DealPartyOut.model_validate(org)


def _site(site: Site | None) -> DealSiteOut | None:
    if site is None:
        return None
    return DealSiteOut.model_validate(
        {
            "id": site.id,
            "name": site.name,
            "address": site.address,
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "district_code": site.district_code,
        }
    )


async def manifest_view(session: AsyncSession, m: Manifest) -> ManifestOut:
    """The manifest with both parties and sites in full (its readers are parties or regulators)."""
    return ManifestOut.model_validate(
        {
            "id": m.id,
            "number": m.number,
            "number_source": m.number_source,
            "status": m.status,
            "shipment_id": m.shipment_id,
            "deal_id": m.deal_id,
            "producer": _party(await session.get(Organization, m.producer_org_id)),
            "producer_site": _site(await session.get(Site, m.producer_site_id)),
            "receiver": _party(await session.get(Organization, m.receiver_org_id)),
            "receiver_site": _site(await session.get(Site, m.receiver_site_id)),
            "carrier": m.carrier,
            "vehicle_plate": m.vehicle_plate,
            "material_code": m.material_code,
            "hw_code": m.hw_code,
            "dispatched_t": dec.t(m.dispatched_t),
            "dispatched_at": m.dispatched_at,
            "received_t": None if m.received_t is None else dec.t(m.received_t),
            "received_at": m.received_at,
            "created_at": m.created_at,
            "closed_at": m.closed_at,
        }
    )


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M:%S (UTC+8)")


def _cell(value: Any) -> Any:
    """Numbers as numbers (tonnes exact to the kg), everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return dec.t(value)
    if isinstance(value, int | float):
        return value
    return safe_text(str(value))


def _rows(view: ManifestOut) -> list[tuple[str, Any]]:
    producer, receiver = view.producer, view.receiver
    psite, rsite = view.producer_site, view.receiver_site
    return [
        ("联单编号 manifest number", view.number),
        ("编号来源 numbered by", view.number_source),
        ("状态 status", view.status),
        ("移出单位 producer", producer.name if producer else ""),
        ("移出地点 producer site", f"{psite.name} {psite.address}".strip() if psite else ""),
        ("移出地行政区划 producer district", psite.district_code if psite else ""),
        ("承运单位 carrier", view.carrier),
        ("车牌号 vehicle plate", view.vehicle_plate),
        ("接受单位 receiver", receiver.name if receiver else ""),
        ("接受地点 receiver site", f"{rsite.name} {rsite.address}".strip() if rsite else ""),
        ("废物代码 HW code", view.hw_code),
        ("物料 material", view.material_code),
        ("移出量 (t) dispatched", view.dispatched_t),
        ("移出时间 dispatched at", _when(view.dispatched_at)),
        ("接受量 (t) received", view.received_t),
        ("接受时间 received at", _when(view.received_at)),
        ("联单关闭 closed at", _when(view.closed_at)),
        ("交易 deal", view.deal_id),
        ("运输 shipment", view.shipment_id),
    ]


def to_xlsx(view: ManifestOut) -> bytes:
    """One sheet, two columns: label and value."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "转移联单 manifest"
    sheet.append(["危险废物转移联单 hazardous waste transfer manifest", ""])
    sheet["A1"].font = Font(bold=True)
    for label, value in _rows(view):
        sheet.append([label, _cell(value)])
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 48
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
