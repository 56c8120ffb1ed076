"""A battery lot's packs from a spreadsheet (.xlsx or CSV), and the template to fill in.

The file is read by the ledger import's bounded reader (:func:`market.ledger.reading.read_rows`,
within the same ``MARKET_LEDGER_IMPORT_*`` limits, off the event loop); rows then go through
:func:`market.trading.packs.add_packs` like typed packs, all or none, with each problem
named by its spreadsheet row (the header is row 1). Headers may be English keys or the
Chinese names of :data:`COLUMNS`, in any order.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.core.errors import Invalid
from market.core.settings import Settings
from market.ledger.reading import Limits, blank, read_rows
from market.trading.pack_models import BatteryPack
from market.trading.packs import MAX_PACKS, PackInput, PacksRejected, add_packs

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: key → (Chinese header, required)
COLUMNS: dict[str, tuple[str, bool]] = {
    "code": ("电池编码", True),
    "chemistry": ("化学体系", True),
    "rated_kwh": ("额定能量kWh", True),
    "soh_pct": ("健康状态%", True),
    "mass_kg": ("质量kg", True),
    "vin": ("车辆识别代号", False),
}
_BY_HEADER = {
    **{k: k for k in COLUMNS},
    **{zh.lower(): k for k, (zh, _) in COLUMNS.items()},
    "vin": "vin",
}


def _columns(header: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    errors = []
    for i, raw in enumerate(header):
        if blank(raw):
            continue
        text = str(raw).strip().lower()
        key = _BY_HEADER.get(text) or _BY_HEADER.get(text.split()[0] if text else "")
        if key is None:
            errors.append({"row": "1", "field": str(raw), "reason": "unknown column"})
        elif key in found:
            errors.append({"row": "1", "field": str(raw), "reason": f"{key} appears twice"})
        else:
            found[key] = i
    for key, (zh, required) in COLUMNS.items():
        if required and key not in found:
            errors.append({"row": "1", "field": key, "reason": f"missing column ({zh} / {key})"})
    if errors:
        raise PacksRejected(
            "the header row is not a pack sheet; nothing was imported", errors=errors
        )
    return found


def parse(content: bytes, limits: Limits) -> list[tuple[int, PackInput | list[tuple[str, str]]]]:
    """(row number, pack) for every data row of the file."""
    rows = read_rows(content, limits)
    if not rows:
        raise Invalid("file", "the file is empty")
    (_, header), *data = rows
    columns = _columns(header)
    if len(data) > MAX_PACKS:
        raise Invalid("file", f"at most {MAX_PACKS:,} packs per file")
    out: list[tuple[int, PackInput | list[tuple[str, str]]]] = []
    for number, values in data:

        def cell(key: str, values: tuple[Any, ...] = values) -> Any:
            i = columns.get(key)
            v = values[i] if i is not None and i < len(values) else None
            return None if blank(v) else v

        missing = [(k, "is empty") for k, (_, req) in COLUMNS.items() if req and cell(k) is None]
        if missing:
            out.append((number, missing))
            continue
        out.append(
            (
                number,
                PackInput(
                    code=str(cell("code")),
                    chemistry=str(cell("chemistry")),
                    rated_kwh=cell("rated_kwh"),
                    soh_pct=cell("soh_pct"),
                    mass_kg=cell("mass_kg"),
                    vin=None if cell("vin") is None else str(cell("vin")),
                ),
            )
        )
    return out


async def import_file(
    session: AsyncSession, user: User, listing_id: int, content: bytes, settings: Settings
) -> list[BatteryPack]:
    limits = Limits.from_settings(settings)
    rows = await asyncio.to_thread(parse, content, limits)
    if not rows:
        raise PacksRejected("the file has no pack rows", errors=[])
    return await add_packs(session, user, listing_id, rows)


def template_xlsx() -> bytes:
    """Headers (Chinese name and key) and a notes sheet; no example row to import by mistake."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "packs"
    sheet.append([f"{zh} {key}" for key, (zh, _) in COLUMNS.items()])
    for c in sheet[1]:
        c.font = Font(bold=True)
    notes = book.create_sheet("notes")
    for line in (
        ("电池编码 code", "GB/T 34014, 24 characters (our reading of the standard: unconfirmed)"),
        ("化学体系 chemistry", "LFP NCM NCA LMO LCO LTO NIMH OTHER; must match code position 5"),
        ("额定能量kWh rated_kwh", "rated energy, up to 3 decimals"),
        ("健康状态% soh_pct", "measured state of health 0-100, 1 decimal"),
        ("质量kg mass_kg", "whole kilograms"),
        ("车辆识别代号 vin", "optional: 17 characters with the ISO 3779 check digit"),
    ):
        notes.append(list(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
