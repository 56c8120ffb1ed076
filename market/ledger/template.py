"""The Excel template producers fill in for a bulk ledger import.

Its first sheet is the import's header (Chinese term and key, so either reads back); the
others list the user's own sites and the catalogue's materials for reference, and the
notes. Site names and addresses are typed by users, so every text cell goes through
:func:`market.core.spreadsheets.safe_text`: a site named ``=HYPERLINK(…)`` is shown as text,
never run as a formula by whoever opens the template.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids
from market.accounts.models import Site, User
from market.catalogue.models import Material
from market.core.spreadsheets import safe_cell
from market.ledger.columns import COLUMNS
from market.ledger.models import LEDGER_TONNES

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
            row = [site.id, site.name, site.address, site.district_code or ""]
            sites_sheet.append([safe_cell(v) for v in row])
    mats = book.create_sheet("物料 materials")
    mats.append(["代码 (code)", "名称 (name_zh)", "name (en)"])
    for m in (await session.exec(select(Material).order_by(Material.code))).all():
        mats.append([safe_cell(v) for v in (m.code, m.name_zh, m.name_en)])
    notes = book.create_sheet("说明 notes")
    for line in NOTES:
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
