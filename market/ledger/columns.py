"""The ledger file's columns: what each header may be called, and the header row's check.

Column headers may be the English keys or the Chinese terms of the official ledger, with or
without a unit or the key in brackets: ``产生量``, ``产生量（吨）``, ``产生量 (generated_t)``
and ``generated_t`` are the same column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from market.ledger.reading import blank
from market.ledger.service import ImportRejected

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


def map_header(values: Sequence[Any]) -> dict[str, int]:
    """Column key → index; 422 naming row 1 for unknown, repeated or missing columns."""
    columns: dict[str, int] = {}
    errors: list[dict[str, str]] = []
    for index, raw in enumerate(values):
        if blank(raw):
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
