"""The city page's query: year, month, material, district, park and enterprise, as typed.

The page reads its query itself rather than through Litestar's typed parameters, so that a
bad value (``month=13``, ``year=abc``, an unknown district) is answered by a page in the
viewer's language naming every bad field at once, never by a JSON validation error. A valid
query becomes the same :class:`~market.stats.filters.StatsFilter` the API builds, so the
page, its exports and ``GET /api/v1/stats/utilisation`` count the same rows.

Also here: how the page names things (materials, districts, parks in the page's language)
and how it states the period beside a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from geodata.districts import DISTRICT_NAMES
from geodata.places import PARK_CODES, PLACES_BY_CODE
from market.catalogue.models import Material
from market.ledger.rules import EARLIEST_YEAR
from market.stats.filters import StatsFilter
from market.web.i18n import current_locale
from market.web.i18n import gettext as _

LATEST_YEAR = 2100
GROUPS = ("material", "district", "park", "organization", "month", "year")


class BadQuery(Exception):
    """Every bad field of the query, as messages in the page's language."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class CityQuery:
    year: int | None = None
    month: int | None = None
    material: str | None = None
    district: str | None = None
    park: str | None = None
    organization_id: int | None = None
    group_by: str = "material"
    #: The query as typed, for the filter form and the export links.
    raw: dict[str, str] = field(default_factory=dict)

    def stats_filter(self) -> StatsFilter:
        return StatsFilter(
            year=self.year,
            month=self.month,
            material=self.material,
            org_ids=None if self.organization_id is None else frozenset({self.organization_id}),
            district=self.district,
            park=self.park,
        )

    def query_string(self, **override: Any) -> str:
        """The filters (and ``override``) as a URL query, for links that keep them."""
        values = {
            "year": self.year,
            "month": self.month,
            "material": self.material,
            "district": self.district,
            "park": self.park,
            "org": self.organization_id,
            "group_by": None if self.group_by == "material" else self.group_by,
            **override,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _int(raw: str, low: int, high: int) -> int | None:
    text = raw.strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_city_query(
    raw: Mapping[str, str], materials: Mapping[str, Material], org_ids: set[int]
) -> CityQuery:
    """The typed query, or :class:`BadQuery` naming every field that is wrong."""
    values = {k: str(v).strip() for k, v in raw.items() if str(v).strip()}
    problems: list[str] = []
    year = month = organization_id = None
    if "year" in values:
        year = _int(values["year"], EARLIEST_YEAR, LATEST_YEAR)
        if year is None:
            problems.append(
                _("Year must be a number from %(low)s to %(high)s, not “%(value)s”.")
                % {"low": EARLIEST_YEAR, "high": LATEST_YEAR, "value": values["year"]}
            )
    if "month" in values:
        month = _int(values["month"], 1, 12)
        if month is None:
            problems.append(
                _("Month must be a number from 1 to 12, not “%(value)s”.")
                % {"value": values["month"]}
            )
        elif "year" not in values:
            problems.append(_("Choose a year for the month."))
    material = values.get("material")
    if material is not None and material not in materials:
        problems.append(_("Unknown material “%(value)s”.") % {"value": material})
    district = values.get("district")
    if district is not None and district not in DISTRICT_NAMES:
        problems.append(_("Unknown district “%(value)s”.") % {"value": district})
    park = values.get("park")
    if park is not None and park not in PARK_CODES:
        problems.append(_("Unknown industrial park “%(value)s”.") % {"value": park})
    if "org" in values:
        organization_id = _int(values["org"], 1, 2**62)
        if organization_id is None or organization_id not in org_ids:
            problems.append(_("Unknown enterprise “%(value)s”.") % {"value": values["org"]})
    group_by = values.get("group_by", "material")
    if group_by not in GROUPS:
        problems.append(_("Unknown breakdown “%(value)s”.") % {"value": group_by})
    if problems:
        raise BadQuery(problems)
    return CityQuery(year, month, material, district, park, organization_id, group_by, raw=values)


def period_label(year: int | None, month: int | None) -> str:
    """What a figure covers: "2025年3月", "2025年", or every year on record."""
    if year is None:
        return _("all years on record")
    if month is None:
        return _("year %(year)s") % {"year": year}
    return _("%(year)s, month %(month)s") % {"year": year, "month": month}


def english() -> bool:
    return current_locale() == "en"


def material_name(materials: Mapping[str, Material], code: str | None) -> str:
    m = materials.get(code or "")
    if m is None:
        return code or ""
    return m.name_en if english() and m.name_en else m.name_zh


def place_name(code: str | None) -> str:
    """A district or park by its code, in the page's language."""
    if code is None:
        return _("not in a park")
    place = PLACES_BY_CODE.get(code)
    if place is None:
        return DISTRICT_NAMES.get(code, code)
    return place.name_en if english() and place.name_en else place.name_zh


def district_options() -> list[tuple[str, str]]:
    return [(code, place_name(code)) for code in DISTRICT_NAMES]


def park_options() -> list[tuple[str, str]]:
    return [(code, place_name(code)) for code in PARK_CODES]


#: Breakdown names (msgids) for the group-by choice.
GROUP_MSGIDS = {
    "material": "by material",
    "district": "by district",
    "park": "by industrial park",
    "organization": "by enterprise",
    "month": "by month",
    "year": "by year",
}


def group_options() -> list[tuple[str, str]]:
    return [(key, _(GROUP_MSGIDS[key])) for key in GROUPS]
