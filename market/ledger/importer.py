"""Bulk ledger import from CSV or Excel, and the template producers fill in.

Producers keep their 台账 in Excel and often export CSV from it, so both are read; CSV may be
UTF-8 (with or without BOM) or GB18030 (what Chinese Excel writes by default). Column headers
may be the English keys or the Chinese terms of the official ledger, with or without a unit
or the key in brackets: ``产生量``, ``产生量（吨）``, ``产生量 (generated_t)`` and
``generated_t`` are the same column. Materials may be given by code or Chinese name.

Row numbers in errors are the spreadsheet's own (the header is row 1), so a producer can go
straight to the cell. Parsing problems and domain checks are collected for every row before
anything is written; :func:`market.ledger.service.import_entries` then writes all or none.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids
from market.accounts.models import Site, User
from market.accounts.service import normalise_email
from market.catalogue.models import Material
from market.core.errors import Invalid, NotFound
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES
from market.ledger.rules import LedgerEntry
from market.ledger.service import ImportRejected, ImportResult, import_entries, material_names

#: Column key → (Chinese header used in the template, other accepted spellings).
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "site_id": ("场所编号", ("场所id", "站点编号", "站点id", "厂区编号", "site")),
    "site_name": ("场所名称", ("站点名称", "厂区名称")),
    "material_code": ("固废种类", ("物料代码", "固体废物种类", "固废代码", "物料", "material")),
    "month": ("月份", ("年月", "统计月份", "报告月份", "period")),
    "generated_t": ("产生量", ("generated",)),
    "stored_t": ("贮存量", ("stored",)),
    "disposed_t": ("处置量", ("disposed",)),
    "disposed_from_stockpile_t": ("处置往年贮存量", ("disposed_from_stockpile",)),
    "used_inhouse_t": ("自行利用量", ("自行综合利用量", "used_inhouse")),
    "shipped_outside_exchange_t": (
        "平台外委托利用量",
        ("委托利用量", "平台外利用量", "shipped_outside_exchange"),
    ),
    "utilised_from_stockpile_t": (
        "利用往年贮存量",
        ("综合利用往年贮存量", "utilised_from_stockpile"),
    ),
    "dumped_t": ("倾倒丢弃量", ("dumped",)),
    "note": ("备注", ()),
}
REQUIRED = ("site_id", "material_code", "month", "generated_t")
_UNITS = {"吨", "t", "tonnes", "单位:吨", "单位：吨"}
_PARENS = re.compile(r"[(（]([^)）]*)[)）]")
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))\s*$")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


_ALIASES: dict[str, str] = {}
for _key, (_zh, _others) in COLUMNS.items():
    for _name in (_key, _zh, *_others):
        _ALIASES[_norm(_name)] = _key


def column_for(header: str) -> str | None:
    """The column key a header means, or None. Brackets may hold a unit or the key."""
    text = _norm(header)
    if not text:
        return None
    outside = _PARENS.sub("", text)
    inside = [
        part for group in _PARENS.findall(text) for part in re.split(r"[,，/;；]", group) if part
    ]
    for candidate in (text, outside, *inside):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None


# --------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------


def is_xlsx(content: bytes) -> bool:
    """An .xlsx file is a ZIP archive; anything else is read as CSV text."""
    return content[:4] == b"PK\x03\x04"


def decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise Invalid("file", "CSV must be UTF-8 or GB18030 text") from exc


def read_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) for every row of the file's first sheet."""
    if is_xlsx(content):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise Invalid("file", f"not a readable .xlsx workbook: {exc}") from exc
        sheet = book["台账"] if "台账" in book.sheetnames else book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
        book.close()
        return
    reader = csv.reader(io.StringIO(decode_csv(content)))
    for number, values in enumerate(reader, start=1):
        yield number, list(values)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_month(value: Any) -> tuple[int, int]:
    if isinstance(value, datetime | date):
        return value.year, value.month
    text = str(value).strip()
    m = _MONTH.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a month; write it as 2026-03")
    return int(m.group(1)), int(m.group(2) or m.group(3))


def parse_tonnes(value: Any) -> Decimal:
    if _blank(value):
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc


def parse_site(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a site number") from exc


def map_header(values: Sequence[Any]) -> dict[str, int]:
    """Column key → index; 422 naming row 1 for unknown, repeated or missing columns."""
    columns: dict[str, int] = {}
    errors: list[dict[str, str]] = []
    for index, raw in enumerate(values):
        if _blank(raw):
            continue
        key = column_for(str(raw))
        if key is None:
            errors.append({"row": "1", "field": str(raw), "reason": "unknown column"})
        elif key in columns:
            errors.append({"row": "1", "field": str(raw), "reason": f"{key} appears twice"})
        else:
            columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            errors.append(
                {"row": "1", "field": key, "reason": f"missing column ({COLUMNS[key][0]} / {key})"}
            )
    if errors:
        raise ImportRejected(
            "the header row is not a ledger header; nothing was imported", errors=errors
        )
    return columns


def parse_row(
    values: Sequence[Any], columns: dict[str, int], materials: dict[str, str]
) -> LedgerEntry | list[tuple[str, str]]:
    """One entry, or every parse error of the row as (field, reason)."""

    def cell(key: str) -> Any:
        i = columns.get(key)
        return values[i] if i is not None and i < len(values) else None

    errors: list[tuple[str, str]] = []
    site_id = year = month = 0
    try:
        site_id = parse_site(cell("site_id"))
    except ValueError as exc:
        errors.append(("site_id", str(exc)))
    raw_material = "" if _blank(cell("material_code")) else str(cell("material_code")).strip()
    material = materials.get(raw_material) or materials.get(raw_material.lower())
    if material is None:
        errors.append(("material_code", f"unknown material {raw_material!r}"))
    try:
        year, month = parse_month(cell("month"))
    except ValueError as exc:
        errors.append(("month", str(exc)))
    if _blank(cell("generated_t")):
        errors.append(("generated_t", "is required"))
    tonnes: dict[str, Decimal] = {}
    for name in LEDGER_TONNES:
        try:
            tonnes[name] = parse_tonnes(cell(name))
        except ValueError as exc:
            errors.append((name, str(exc)))
    note = "" if _blank(cell("note")) else str(cell("note")).strip()[:500]
    if errors or material is None:
        return errors
    return LedgerEntry(site_id, material, year, month, tonnes, note)


async def reporting_user(session: AsyncSession, email: str) -> User:
    """The user a CLI import reports as, by e-mail."""
    user = (await session.exec(select(User).where(User.email == normalise_email(email)))).first()
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


async def import_file(
    session: AsyncSession,
    actor: User | None,
    content: bytes,
    settings: Settings,
    progress: Callable[[int], Any] | None = None,
) -> ImportResult:
    """Parse and import a whole file in the caller's transaction (all rows or none).

    ``actor`` None is the trusted CLI operator: any site, no reporting user recorded.
    """
    if not content.strip():
        raise Invalid("file", "the file is empty")
    materials = await material_names(session)
    rows: list[tuple[int, LedgerEntry | list[tuple[str, str]]]] = []
    columns: dict[str, int] | None = None
    for number, values in read_rows(content):
        if all(_blank(v) for v in values):
            continue
        if columns is None:
            columns = map_header(values)
            continue
        rows.append((number, parse_row(values, columns, materials)))
    return await import_entries(session, actor, rows, settings, progress)


def count_rows(content: bytes) -> int:
    """Data rows in a file (for a progress bar's length); 0 if unreadable."""
    try:
        return max(sum(1 for _, v in read_rows(content) if not all(_blank(x) for x in v)) - 1, 0)
    except Invalid:
        return 0


# --------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------

TEMPLATE_ORDER = (
    "site_id",
    "site_name",
    "material_code",
    "month",
    *LEDGER_TONNES,
    "note",
)
NOTES = (
    "每行填写一个场所、一种固废、一个月的数据；重复导入同一月份将覆盖原数据。",
    "One row per site, material and month; importing the same month again replaces it.",
    "平衡关系 identity: 产生量 = (综合利用量 − 利用往年贮存量) + 贮存量 + (处置量 − 处置往年贮存量) + 倾倒丢弃量",
    "综合利用量 = 自行利用量 + 平台外委托利用量 + 平台交易签收量（平台自动计入，勿重复填报为自行利用量）",
    "utilised = in-house + outside the exchange + exchange receipts (counted by the platform; "
    "never report shipped tonnes as in-house use)",
    "月份 month: 2026-03; 吨 tonnes, at most 3 decimals; 固废种类: code or Chinese name (see 物料 sheet)",
)


async def template_xlsx(session: AsyncSession, user: User) -> bytes:
    """The import template, with the user's own sites and the catalogue as reference sheets."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "台账"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, key in enumerate(TEMPLATE_ORDER, start=1):
        c = sheet.cell(row=1, column=index, value=f"{COLUMNS[key][0]} ({key})")
        c.font, c.fill = bold, fill
        sheet.column_dimensions[c.column_letter].width = max(14, len(str(c.value)) + 4)
    sheet.freeze_panes = "A2"
    sites_sheet = book.create_sheet("场所 sites")
    sites_sheet.append(
        ["场所编号 (site_id)", "场所名称 (name)", "地址 (address)", "区县 (district)"]
    )
    org_ids = await member_org_ids(session, user)
    if org_ids:
        stmt = select(Site).where(col(Site.organization_id).in_(org_ids)).order_by(col(Site.id))
        for site in (await session.exec(stmt)).all():
            sites_sheet.append([site.id, site.name, site.address, site.district_code or ""])
    mats = book.create_sheet("物料 materials")
    mats.append(["代码 (code)", "名称 (name_zh)", "name (en)"])
    for m in (await session.exec(select(Material).order_by(Material.code))).all():
        mats.append([m.code, m.name_zh, m.name_en])
    notes = book.create_sheet("说明 notes")
    for line in NOTES:
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
