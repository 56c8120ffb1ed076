"""Jinja filters and labels: how numbers, prices and statuses read on a Chinese page.

Kept out of the templates so that the rules (a negative price is a disposal fee the producer
pays; tonnes with thousands separators and no trailing zeros) are written once and tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2 import Environment

STATUS_ZH: dict[str, str] = {
    "draft": "草稿",
    "open": "开放",
    "reserved": "已预订",
    "closed": "已成交",
    "withdrawn": "已撤回",
    "expired": "已过期",
}
CADENCE_ZH: dict[str, str] = {"one_off": "一次性", "monthly": "每月"}
ORG_KIND_ZH: dict[str, str] = {
    "producer": "产废企业",
    "consumer": "利用企业",
    "recycler": "再生利用企业",
    "carrier": "运输企业",
    "regulator": "监管部门",
}
VERDICT_ZH: dict[str, str] = {"meets": "符合", "fails": "不符合", "incomplete": "数据不全"}


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def number(value: Any, places: int = 3) -> str:
    """``12345.500`` → ``12,345.5``; at most ``places`` decimals, none when whole."""
    d = _decimal(value)
    if d is None:
        return "–"
    text = f"{d:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct(value: Any) -> str:
    """A rate as the stats service quantises it (0.01 %), trailing zeros kept: "60.00"."""
    d = _decimal(value)
    return "–" if d is None else f"{d:,.2f}"


def tonnes(value: Any) -> str:
    return number(value, 3)


def price(value: Any) -> dict[str, str]:
    """How a price reads: CNY/t for a sale, or a disposal fee (处置费) the producer pays."""
    d = _decimal(value)
    if d is None:
        return {"kind": "none", "zh": "面议", "en": "negotiable", "amount": "–"}
    if d < 0:
        return {
            "kind": "fee",
            "zh": "处置费",
            "en": "producer pays",
            "amount": number(-d, 2),
        }
    return {"kind": "sale", "zh": "售价", "en": "buyer pays", "amount": number(d, 2)}


def status_zh(value: str | None) -> str:
    return STATUS_ZH.get(value or "", value or "")


def cadence_zh(value: str | None) -> str:
    return CADENCE_ZH.get(value or "", value or "")


def org_kind_zh(value: str | None) -> str:
    return ORG_KIND_ZH.get(value or "", value or "")


def verdict_zh(value: str | None) -> str:
    return VERDICT_ZH.get(value or "", value or "")


def register(env: Environment) -> None:
    """Install the filters on the Jinja environment the pages render with."""
    env.filters.update(
        number=number,
        tonnes=tonnes,
        pct=pct,
        price=price,
        status_zh=status_zh,
        cadence_zh=cadence_zh,
        org_kind_zh=org_kind_zh,
        verdict_zh=verdict_zh,
    )


def spec_in_order(spec: dict[str, object], params: Mapping[str, Any]) -> list[tuple[str, object]]:
    """Spec items in catalogue order; keys the catalogue no longer knows come last."""
    known = [(k, spec[k]) for k in params if k in spec]
    return known + sorted((k, v) for k, v in spec.items() if k not in params)
