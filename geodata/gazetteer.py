"""Offline place look-up, shaped like a geopy geocoder.

Most listings give an address like "荆门市钟祥市胡集镇xx路" rather than coordinates. Online
geocoders need keys, quotas and a network the deployment may not have, and they answer in
several datums. :class:`Gazetteer` resolves the places in :mod:`geodata.places` to WGS84 with
no network at all, and :func:`get_geocoder` hands out either it or a real geopy geocoder behind
the same ``geocode`` call, so callers can switch by configuration.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopy.exc
from geopy.geocoders import get_geocoder_for_service
from geopy.location import Location

from geodata.datums import to_wgs84
from geodata.places import KIND_RANK, PLACES, Place

USER_AGENT: Final = "jingmen-exchange"

#: Suffixes stripped to form short aliases ("胡集镇" → "胡集"), longest first.
_SUFFIXES: Final = ("管理区", "街道", "新区", "镇", "乡", "区", "县", "市")

#: Datum of the coordinates each online service returns, by geopy class name. Baidu answers
#: in BD-09 unless asked otherwise, and geopy does not ask.
_SERVICE_CRS: Final[dict[str, str]] = {"Baidu": "bd09", "BaiduV3": "bd09"}

_PROVINCE: Final = "湖北省"


def _normalise(text: str) -> str:
    """Fold full-width forms, case and spacing so that pasted addresses compare equal."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s,，、;；:：()（）·\-]+", " ", folded).strip()


def _is_ascii(text: str) -> bool:
    return all(ord(c) < 128 for c in text)


@dataclass(frozen=True)
class _Alias:
    text: str
    place: Place
    pattern: re.Pattern[str] | None  # word-bounded pattern for Latin aliases


def _aliases_for(place: Place, by_code: Mapping[str, Place]) -> list[tuple[str, bool]]:
    """(alias, is_short) pairs; short aliases yield to a less specific place on collision."""
    out: list[tuple[str, bool]] = [(place.name_zh, False)]
    parent = by_code.get(place.parent) if place.parent else None
    if parent is not None and parent.kind == "district":
        out.append((parent.name_zh + place.name_zh, False))
    for suffix in _SUFFIXES:
        if place.name_zh.endswith(suffix) and len(place.name_zh) - len(suffix) >= 2:
            out.append((place.name_zh[: -len(suffix)], True))
            break
    out.append((place.name_en, False))
    out.extend((a, False) for a in place.aliases)
    return out


def _build_aliases(places: Sequence[Place]) -> list[_Alias]:
    """Map each normalised alias to one place.

    Full names and explicit aliases are claimed first; short aliases only fill names nobody
    claimed in full. When two places share a name the broader place keeps it ("沙洋" is the
    county, not its seat town), since that is what a bare name usually means.
    """
    by_code = {p.code: p for p in places}
    owners: dict[str, Place] = {}
    for want_short in (False, True):
        claimed = set(owners)
        for place in places:
            for text, is_short in _aliases_for(place, by_code):
                key = _normalise(text)
                if is_short != want_short or not key or key in claimed:
                    continue
                current = owners.get(key)
                if current is None or KIND_RANK[place.kind] < KIND_RANK[current.kind]:
                    owners[key] = place
    aliases = []
    for key, place in owners.items():
        pattern = (
            re.compile(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])") if _is_ascii(key) else None
        )
        aliases.append(_Alias(key, place, pattern))
    return aliases


def _spans(alias: _Alias, query: str) -> list[tuple[int, int]]:
    if alias.pattern is not None:
        return [m.span() for m in alias.pattern.finditer(query)]
    spans = []
    start = query.find(alias.text)
    while start >= 0:
        spans.append((start, start + len(alias.text)))
        start = query.find(alias.text, start + 1)
    return spans


class Gazetteer:
    """geopy-compatible offline geocoder over the Jingmen place table (answers in WGS84).

    Scoring: a place scores the number of query characters covered by its own aliases *and*
    those of its ancestors. "荆门市钟祥市胡集镇xx路" gives 胡集镇 nine characters (its name,
    钟祥市 and 荆门市) against six for 钟祥市, so the most specific consistent place wins,
    while "京山市长寿路" goes to 京山市 (three characters) rather than to 长寿镇 in 钟祥
    (two). Ties go to the more specific kind.
    """

    def __init__(self, places: Sequence[Place] = PLACES) -> None:
        self._places = {p.code: p for p in places}
        self._aliases = _build_aliases(places)

    def _ancestors(self, place: Place) -> list[Place]:
        chain = []
        code = place.parent
        while code is not None and code in self._places:
            parent = self._places[code]
            chain.append(parent)
            code = parent.parent
        return chain

    def _scored(self, query: str) -> list[tuple[int, int, Place]]:
        text = _normalise(query)
        if not text:
            return []
        matched: dict[str, set[int]] = {}
        for alias in self._aliases:
            for a, b in _spans(alias, text):
                matched.setdefault(alias.place.code, set()).update(range(a, b))
        scored = []
        for code in matched:
            place = self._places[code]
            covered = set(matched[code])
            for ancestor in self._ancestors(place):
                covered |= matched.get(ancestor.code, set())
            scored.append((len(covered), KIND_RANK[place.kind], place))
        scored.sort(key=lambda t: (-t[0], -t[1], t[2].code))
        return scored

    def geocode(
        self, query: str, exactly_one: bool = True, **kwargs: Any
    ) -> Location | list[Location] | None:
        """Best match (or all matches, best first) as geopy Locations in WGS84.

        Extra keyword arguments that online geocoders take (``timeout``, ``language``…) are
        accepted and ignored, so the two are interchangeable.
        """
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}")
        scored = self._scored(query)
        if not scored:
            return None
        locations = [self._location(place) for _, _, place in scored]
        return locations[0] if exactly_one else locations

    def place(self, query: str) -> Place | None:
        """The best matching :class:`Place` itself (GCJ-02 point, codes, precision)."""
        scored = self._scored(query)
        return scored[0][2] if scored else None

    def _location(self, place: Place) -> Location:
        lon, lat = place.wgs84()
        names = [place.name_zh, *(a.name_zh for a in self._ancestors(place))]
        address = _PROVINCE + "".join(reversed(names))
        raw = {
            "code": place.code,
            "name_zh": place.name_zh,
            "name_en": place.name_en,
            "kind": place.kind,
            "district_code": place.district_code,
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
            "gcj02": (place.lon, place.lat),
            "approximate": True,
            "precision_km": place.precision_km,
            "source": "geodata.places (offline, approximate)",
        }
        return Location(address, (lat, lon, 0.0), raw)


def get_geocoder(name: str | None, timeout: float = 5, **options: Any) -> object:
    """The offline :class:`Gazetteer` for None/""/"offline", else a geopy geocoder by name.

    ``options`` go to the geopy constructor (e.g. ``api_key``). Unknown names, and services
    that cannot be built without more configuration, raise ValueError saying so.
    """
    if name is None or not name.strip() or name.strip().lower() == "offline":
        return Gazetteer()
    service = name.strip()
    try:
        cls = get_geocoder_for_service(service)
    except geopy.exc.GeocoderNotFound:
        raise ValueError(
            f"unknown geocoder {service!r}: use 'offline' or a geopy service name "
            "such as 'nominatim'"
        ) from None
    try:
        return cls(user_agent=USER_AGENT, timeout=timeout, **options)
    except (TypeError, geopy.exc.ConfigurationError) as exc:
        raise ValueError(f"geocoder {service!r} needs more configuration: {exc}") from exc


class GeocoderUnavailable(RuntimeError):
    """The configured online geocoder could not answer (network, quota, timeout)."""


def geocode_place(
    geocoder: Any, query: str, *, crs: str | None = None
) -> tuple[float, float] | None:
    """Geocode ``query`` to WGS84 ``(lon, lat)``, or None if nothing matched.

    Online failures become :class:`GeocoderUnavailable` so callers can fall back (e.g. ask the
    user for coordinates) without knowing geopy's exception tree. Results are converted to
    WGS84 from ``crs``, which defaults to the service's known datum (BD-09 for Baidu, WGS84
    otherwise).
    """
    service = type(geocoder).__name__
    try:
        location = geocoder.geocode(query, exactly_one=True)
    except (geopy.exc.GeocoderServiceError, TimeoutError, OSError) as exc:
        raise GeocoderUnavailable(f"geocoder {service} unreachable: {exc}") from exc
    if location is None:
        return None
    if isinstance(location, list):
        if not location:
            return None
        location = location[0]
    source_crs = crs if crs is not None else _SERVICE_CRS.get(service, "wgs84")
    return to_wgs84(float(location.longitude), float(location.latitude), source_crs)
