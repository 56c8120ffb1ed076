"""The utilisation report as a spreadsheet (.xlsx) or CSV, for the city's own reporting.

Same figures and the same access rules as ``GET /stats/utilisation`` (it is built from that
report). Tonnes are written as exact decimal text in CSV and as numbers in Excel; CSV starts
with a UTF-8 BOM so Excel on Chinese Windows opens the headers correctly. The workbook has
the formula, the balance tolerance and the CO2 factors with their sources on a second sheet,
so a figure is never shown without how it was counted.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from market.core.spreadsheets import safe_text
from market.stats.co2 import factors_view

COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "分组 key"),
    ("label", "名称 label"),
    ("ledgers", "台账条数 ledgers"),
    ("generated_t", "产生量 generated_t"),
    ("utilised_t", "综合利用量 utilised_t"),
    ("used_inhouse_t", "自行利用量 used_inhouse_t"),
    ("shipped_outside_exchange_t", "平台外委托利用量 shipped_outside_exchange_t"),
    ("exchange_received_t", "平台交易签收量 exchange_received_t"),
    ("utilised_from_stockpile_t", "利用往年贮存量 utilised_from_stockpile_t"),
    ("stored_t", "贮存量 stored_t"),
    ("disposed_t", "处置量 disposed_t"),
    ("disposed_from_stockpile_t", "处置往年贮存量 disposed_from_stockpile_t"),
    ("dumped_t", "倾倒丢弃量 dumped_t"),
    ("utilisation_rate_pct", "综合利用率 % utilisation_rate_pct"),
    ("exchange_share_pct", "平台交易占比 % exchange_share_pct"),
    ("stockpile_change_t", "贮存变化 stockpile_change_t"),
)


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    total = {"key": "total", "label": "合计 total", **report["totals"]}
    rows = [*report["groups"], total]
    if report["scope"] != "city":
        rows.append({"key": "city", "label": "全市 city", **report["city"]})
    return rows


def to_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in _rows(report):
        writer.writerow([_csv_cell(row.get(k)) for k, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return safe_text(value) if isinstance(value, str) else str(value)


def _cell(value: Any) -> Any:
    """Numbers as numbers for Excel (its cells are binary floats; the CSV keeps exact text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return safe_text(value)
    return value


def to_xlsx(report: dict[str, Any], settings: Any) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "utilisation"
    sheet.append([title for _, title in COLUMNS])
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in _rows(report):
        sheet.append([_cell(row.get(k)) for k, _ in COLUMNS])
    sheet.freeze_panes = "C2"
    notes = book.create_sheet("notes")
    filters = report["filters"]
    notes.append(["scope", report["scope"]])
    notes.append(["group_by", report["group_by"]])
    for k, v in filters.items():
        notes.append([k, "" if v is None else str(v)])
    for k, v in report["formula"].items():
        notes.append([f"formula.{k}", v])
    checks = report["checks"]
    notes.append(["unbalanced ledgers", checks["unbalanced_count"]])
    notes.append(["receipts without ledger (t)", float(checks["receipts_without_ledger_t"])])
    notes.append(["balance tolerance", checks["tolerance"]["meaning"]])
    factors = factors_view(settings)
    notes.append([])
    notes.append(["CO2 factor: use", "t CO2 / t", "confirmed", "source"])
    for f in factors["uses"]:
        per_t = f["t_co2_per_t"]
        notes.append([f["use"], "" if per_t is None else float(per_t), f["confirmed"], f["source"]])
    road = factors["road_freight"]
    notes.append(
        ["road freight kg CO2e/t·km", float(road["kg_co2e_per_t_km"]), False, road["source"]]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
