"""The "near …" search form shared by the listing and demand pages.

A buyer rarely knows coordinates: the form offers their own sites and the five district
seats as centres, and still accepts a typed lat/lon (in the datum of the map it was copied
from). Parsing returns the same :class:`GeoFilter` the API builds, or field messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from market.accounts.models import Organization, Site
from market.core.errors import Problem
from market.offers.common import GeoFilter
from market.offers.search import geo_filter
from market.offers.web_lookups import Seat
from market.web.forms import FormErrors, parse_decimal, problem_errors
from market.web.i18n import current_locale, gettext

DEFAULT_RADIUS_KM = "50"
CRS_CHOICES: tuple[tuple[str, str], ...] = (
    # English message ids: the templates show them through _().
    ("wgs84", "WGS84 (GPS)"),
    ("gcj02", "GCJ-02 (Amap, Tencent)"),
    ("bd09", "BD-09 (Baidu)"),
)


@dataclass
class SearchForm:
    """The inputs as typed (to refill the form) and what they mean once parsed."""

    values: dict[str, str]
    errors: FormErrors = field(default_factory=FormErrors)
    geo: GeoFilter | None = None
    centre_label: str = ""
    min_quantity_t: Decimal | None = None
    page: int = 1


def parse_search(
    raw: Mapping[str, str],
    *,
    sites: list[tuple[Site, Organization]],
    seats: list[Seat],
) -> SearchForm:
    """Read material / near / lat / lon / crs / radius_km / min_quantity_t / page.

    With no ``near`` at all (first visit) the viewer's first site is the centre, so the
    first screen already answers "what is near me".
    """
    values = {k: (v or "").strip() for k, v in raw.items()}
    if "near" not in raw:
        values["near"] = f"site:{sites[0][0].id}" if sites else ""
        values.setdefault("radius_km", DEFAULT_RADIUS_KM if sites else "")
    form = SearchForm(values=values)
    errors = form.errors
    radius = parse_decimal(values.get("radius_km"), "radius_km", errors)
    if radius is not None and not Decimal(0) < radius <= 2000:
        errors.add("radius_km", gettext("must be between 0 and 2000 km"))
        radius = None
    form.min_quantity_t = parse_decimal(values.get("min_quantity_t"), "min_quantity_t", errors)
    if form.min_quantity_t is not None and form.min_quantity_t < 0:
        errors.add("min_quantity_t", gettext("must not be negative"))
        form.min_quantity_t = None
    try:
        form.page = max(1, int(values.get("page") or "1"))
    except ValueError:
        form.page = 1

    near = values.get("near", "")
    lat = lon = None
    crs = "wgs84"
    if near.startswith("site:"):
        site = next(((s, o) for s, o in sites if f"site:{s.id}" == near), None)
        if site is None:
            errors.add("near", gettext("not one of your sites"))
        else:
            lat, lon = site[0].lat, site[0].lon
            form.centre_label = f"{site[0].name}（{site[1].name}）"
    elif near.startswith("seat:"):
        seat = next((s for s in seats if f"seat:{s.code}" == near), None)
        if seat is None:
            errors.add("near", gettext("unknown district"))
        else:
            lat, lon = seat.lat, seat.lon
            name = seat.name_zh if current_locale() == "zh" else seat.name_en
            form.centre_label = gettext("the %(district)s seat") % {"district": name}
    elif near == "point" or values.get("lat") or values.get("lon"):
        lat_d = parse_decimal(values.get("lat"), "lat", errors)
        lon_d = parse_decimal(values.get("lon"), "lon", errors)
        lat = float(lat_d) if lat_d is not None else None
        lon = float(lon_d) if lon_d is not None else None
        crs = values.get("crs") or "wgs84"
        form.centre_label = f"{values.get('lat', '')}, {values.get('lon', '')}"
    if radius is not None and lat is None and lon is None and "radius_km" not in errors:
        # A radius without a centre cannot filter anything; ignore it rather than fail.
        radius = None
    if not errors.get("lat") and not errors.get("lon"):
        try:
            form.geo = geo_filter(lat, lon, float(radius) if radius is not None else None, crs)
        except Problem as exc:
            for k, msgs in problem_errors(exc).items():
                for m in msgs:
                    errors.add(k, m)
    return form
