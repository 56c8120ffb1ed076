"""Jinja filters and labels: how numbers, prices and statuses read on a page.

Kept out of the templates so that the rules (a negative price is a disposal fee the producer
pays; tonnes with thousands separators and no trailing zeros) are written once and tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2 import Environment

from geodata.districts import DISTRICTS
from market.web.i18n import current_locale, gettext

_DISTRICTS = {d.code: d for d in DISTRICTS}

#: Labels of stored codes, as English message ids (the page's language via gettext; the
#: Chinese are in ``locale/zh/offers.po`` and ``accounts.po``).
STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "open": "Open",
    "reserved": "Reserved",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}
CADENCE_LABELS: dict[str, str] = {"one_off": "one-off", "monthly": "monthly"}
ORG_KIND_LABELS: dict[str, str] = {
    "producer": "Producer",
    "consumer": "Consumer",
    "recycler": "Recycler",
    "carrier": "Carrier",
    "regulator": "Regulator",
}
VERDICT_LABELS: dict[str, str] = {
    "meets": "Meets",
    "fails": "Fails",
    "incomplete": "Incomplete data",
}
ROLE_LABELS: dict[str, str] = {"admin": "Administrator", "member": "Member"}


def label(labels: Mapping[str, str], value: str | None) -> str:
    """The label of a stored code in the page's language; an unknown code as it is."""
    text = labels.get(value or "")
    return gettext(text) if text is not None else (value or "")


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
    """How a price reads: CNY/t for a sale, or a disposal fee the producer pays.

    ``label`` is in the page's language; ``zh``/``en`` stay for templates not yet converted.
    """
    d = _decimal(value)
    if d is None:
        return {
            "kind": "none",
            "label": gettext("negotiable"),
            "zh": "面议",
            "en": "negotiable",
            "amount": "–",
        }
    if d < 0:
        return {
            "kind": "fee",
            "label": gettext("disposal fee"),
            "zh": "处置费",
            "en": "producer pays",
            "amount": number(-d, 2),
        }
    return {
        "kind": "sale",
        "label": gettext("price"),
        "zh": "售价",
        "en": "buyer pays",
        "amount": number(d, 2),
    }


def status_label(value: str | None) -> str:
    return label(STATUS_LABELS, value)


def cadence_label(value: str | None) -> str:
    return label(CADENCE_LABELS, value)


def org_kind_label(value: str | None) -> str:
    return label(ORG_KIND_LABELS, value)


def verdict_label(value: str | None) -> str:
    return label(VERDICT_LABELS, value)


def role_label(value: str | None) -> str:
    return label(ROLE_LABELS, value)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def localised(obj: Any, field: str = "name") -> str:
    """A catalogue row's ``<field>_zh`` or ``<field>_en`` (material, parameter, grade, use) for
    the page's language, falling back to the other language and then to ``name``."""
    if obj is None:
        return ""
    zh, en = f"{field}_zh", f"{field}_en"
    order = (zh, field, en, "name") if current_locale() == "zh" else (en, field, "name", zh)
    for name in order:
        value = _field(obj, name)
        if value:
            return str(value)
    return ""


def district_name(code: str | None, fallback: str | None = None) -> str:
    """A county-level unit's name in the page's language (``fallback`` for unknown codes)."""
    district = _DISTRICTS.get(code or "")
    if district is None:
        return fallback or ""
    return district.name_zh if current_locale() == "zh" else district.name_en


def in_lang(zh: str, en: str) -> str:
    """Of a text the services give in both languages, the page's one."""
    return zh if current_locale() == "zh" else en


def register(env: Environment) -> None:
    """Install the filters on the Jinja environment the pages render with."""
    env.filters.update(
        number=number,
        tonnes=tonnes,
        pct=pct,
        price=price,
        status=status_label,
        cadence=cadence_label,
        org_kind=org_kind_label,
        verdict=verdict_label,
        role=role_label,
        loc=localised,
        # The former names, for templates not yet converted; they follow the page language.
        status_zh=status_label,
        cadence_zh=cadence_label,
        org_kind_zh=org_kind_label,
        verdict_zh=verdict_label,
    )
    env.globals["in_lang"] = in_lang
    env.globals["district_name"] = district_name


def spec_in_order(spec: dict[str, object], params: Mapping[str, Any]) -> list[tuple[str, object]]:
    """Spec items in catalogue order; keys the catalogue no longer knows come last."""
    known = [(k, spec[k]) for k in params if k in spec]
    return known + sorted((k, v) for k, v in spec.items() if k not in params)
