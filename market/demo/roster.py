"""The demo's roster, streams and market ranges, read from ``market/data/demo/*.toml``.

Who the fictional firms are, where their sites stand, what each site offers or asks for and
the price and quantity ranges are data a demo maintainer edits; :mod:`market.demo.seed` and
:mod:`market.demo.specs` keep only the generators. The files are checked at import against
the catalogue and the place tables (known districts, materials, uses, grades, anchors; unique
keys; ranges low <= high), so a bad edit fails with the file and entry named instead of
producing a demo that the services then refuse half-way through ``market demo load``.

What an entry may contain (types, key patterns, bounds) is the file schema in
:mod:`market.demo.roster_rows`; this module checks what needs the catalogue, the place
tables or another entry, and builds the dataclasses the generators read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from typing import Final, Literal

from geodata.datums import out_of_china
from geodata.districts import DISTRICT_CODES
from geodata.places import PLACES_BY_CODE
from market.catalogue.seed import MATERIALS_BY_CODE, USES
from market.core.datafiles import DATA_DIR as MARKET_DATA_DIR
from market.core.datafiles import DataFileError, first_duplicate, read_toml, validate_row
from market.demo.roster_rows import (
    AnchorRow,
    DemandRow,
    MarketFile,
    Num,
    OrgKind,
    OrgRow,
    SiteRow,
    SupplyRow,
)

__all__ = [
    "DATA_DIR",
    "PROFILES",
    "ROSTER",
    "Cadence",
    "DemandStream",
    "DemoDataError",
    "Market",
    "OrgKind",
    "OrgSpec",
    "PriceRange",
    "QuantityRange",
    "Roster",
    "SiteSpec",
    "Status",
    "SupplyStream",
    "load_roster",
]

Cadence = Literal["one_off", "monthly"]
Status = Literal["open", "draft", "closed"]

#: Variants of a stream that the spec generators know (see :mod:`market.demo.specs`).
PROFILES: Final = frozenset({"", "fresh", "stack", "wet", "maker", "fleet", "dismantler"})

DATA_DIR: Final[Traversable] = MARKET_DATA_DIR / "demo"


class DemoDataError(DataFileError):
    """A demo data file that cannot be loaded; the message names the file and the entry."""


# --------------------------------------------------------------------------------------
# Shapes handed to the generators
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteSpec:
    """A site as written in the roster: GCJ-02 base point and how far to jitter it."""

    suffix: str
    name: str
    address: str
    lon: float
    lat: float
    jitter_km: float


@dataclass(frozen=True)
class OrgSpec:
    """An organisation as written in the roster; permits are (HW class, valid until)."""

    key: str
    name: str
    kind: OrgKind
    district: str
    sites: tuple[SiteSpec, ...]
    miit_listed: bool = False
    permits: tuple[tuple[str, date], ...] = ()
    login: str | None = None


@dataclass(frozen=True)
class SupplyStream:
    """``listings`` listings of ``material`` at ``site``, drawn with the spec ``profile``."""

    site: str
    material: str
    listings: int
    profile: str


@dataclass(frozen=True)
class DemandStream:
    """``demands`` requests for ``material`` for ``use`` at ``site``, optionally a grade."""

    site: str
    material: str
    use: str
    grade: str | None
    demands: int


@dataclass(frozen=True)
class QuantityRange:
    """Listing quantities of one material: monthly and one-off (lo, hi), step, monthly share."""

    monthly: tuple[Num, Num]
    one_off: tuple[Num, Num]
    step: Num
    monthly_share: Num


@dataclass(frozen=True)
class PriceRange:
    """A price range in CNY/t and the step prices are rounded to."""

    low: Num
    high: Num
    step: Num


@dataclass(frozen=True)
class Market:
    """The ranges of ``market.toml``, by material (listings, caps) or use (demand sizes)."""

    listing_quantity: dict[str, QuantityRange]
    listing_price: dict[str, PriceRange]
    demand_quantity: dict[str, tuple[Num, Num]]
    demand_max_price: dict[str, PriceRange]
    monthly_uses: frozenset[str]


@dataclass(frozen=True)
class Roster:
    """Everything the demo is built from, in file order (the order fixes the draws)."""

    orgs: tuple[OrgSpec, ...]
    regulator: OrgSpec
    supply: tuple[SupplyStream, ...]
    demand: tuple[DemandStream, ...]
    market: Market


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def _anchors(path: Traversable, raw: object) -> dict[str, tuple[float, float]]:
    if not isinstance(raw, Mapping):
        raise DemoDataError(f"{path}: [anchors] must be a table")
    anchors = {}
    for name, value in raw.items():
        where = f"{path}: anchor {name!r}"
        row = validate_row(AnchorRow, value, where)
        if row.place is not None and row.lon is None and row.lat is None:
            place = PLACES_BY_CODE.get(row.place)
            if place is None:
                raise DemoDataError(f"{where}: unknown place {row.place!r}")
            anchors[name] = (place.lon, place.lat)
        elif row.place is None and row.lon is not None and row.lat is not None:
            anchors[name] = (row.lon, row.lat)
        else:
            raise DemoDataError(f"{where}: give either place or lon and lat")
    return anchors


def _site(where: str, row: SiteRow, anchors: Mapping[str, tuple[float, float]]) -> SiteSpec:
    if row.anchor is not None:
        if row.lon is not None or row.lat is not None:
            raise DemoDataError(f"{where}: give either anchor or lon/lat, not both")
        if row.anchor not in anchors:
            raise DemoDataError(f"{where}: unknown anchor {row.anchor!r}")
        base_lon, base_lat = anchors[row.anchor]
        lon, lat = base_lon + (row.dlon or 0.0), base_lat + (row.dlat or 0.0)
    elif row.lon is not None and row.lat is not None:
        if row.dlon is not None or row.dlat is not None:
            raise DemoDataError(f"{where}: dlon/dlat offset an anchor; this site has none")
        lon, lat = row.lon, row.lat
    else:
        raise DemoDataError(f"{where}: needs lon and lat, or an anchor")
    if out_of_china(lon, lat):
        raise DemoDataError(f"{where}: point ({lon}, {lat}) is not a GCJ-02 point in China")
    return SiteSpec(row.suffix, row.name, row.address, lon, lat, row.jitter_km)


def _org(where: str, raw: object, anchors: Mapping[str, tuple[float, float]]) -> OrgSpec:
    if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
        where = f"{where} {raw['key']!r}"
    row = validate_row(OrgRow, raw, where)
    if row.district not in DISTRICT_CODES:
        raise DemoDataError(f"{where}: unknown district {row.district!r}")
    if row.miit_listed and row.kind != "recycler":
        raise DemoDataError(f"{where}: only recyclers can be MIIT-listed")
    twice = first_duplicate(s.suffix for s in row.sites)
    if twice is not None:
        raise DemoDataError(f"{where}: two sites {twice!r}")
    sites = tuple(_site(f"{where} site {s.suffix!r}", s, anchors) for s in row.sites)
    permits = tuple((p.kind, p.valid_until) for p in row.permits)
    return OrgSpec(
        row.key, row.name, row.kind, row.district, sites, row.miit_listed, permits, row.login
    )


def _load_orgs(path: Traversable) -> tuple[tuple[OrgSpec, ...], OrgSpec]:
    doc = read_toml(path)
    unknown = set(doc) - {"anchors", "regulator", "org"}
    if unknown:
        raise DemoDataError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    anchors = _anchors(path, doc.get("anchors", {}))
    raw_orgs = doc.get("org")
    if not isinstance(raw_orgs, list) or not raw_orgs:
        raise DemoDataError(f"{path}: no [[org]] entries")
    orgs = tuple(_org(f"{path}: org", raw, anchors) for raw in raw_orgs)
    regulator = _org(f"{path}: regulator", doc.get("regulator"), anchors)
    if regulator.kind != "regulator" or any(o.kind == "regulator" for o in orgs):
        raise DemoDataError(f"{path}: kind 'regulator' belongs to [regulator] only")
    twice = first_duplicate(o.key for o in (*orgs, regulator))
    if twice is not None:
        raise DemoDataError(f"{path}: org {twice!r} written twice")
    twice = first_duplicate(f"{o.key}_{s.suffix}" for o in (*orgs, regulator) for s in o.sites)
    if twice is not None:
        raise DemoDataError(f"{path}: two sites have the key {twice!r}")
    return orgs, regulator


def _pair(values: list[Num]) -> tuple[Num, Num]:
    return values[0], values[1]


def _load_market(path: Traversable) -> Market:
    m = validate_row(MarketFile, read_toml(path), str(path))
    for name, pair in (
        *((f"listing_quantity_t.{k}.monthly", q.monthly) for k, q in m.listing_quantity_t.items()),
        *((f"listing_quantity_t.{k}.one_off", q.one_off) for k, q in m.listing_quantity_t.items()),
        *((f"listing_price_cny_t.{k}", p.range) for k, p in m.listing_price_cny_t.items()),
        *((f"demand_quantity_t.{k}", r) for k, r in m.demand_quantity_t.items()),
        *((f"demand_max_price_cny_t.{k}", p.range) for k, p in m.demand_max_price_cny_t.items()),
    ):
        if pair[0] > pair[1]:
            raise DemoDataError(f"{path}: {name}: low {pair[0]} > high {pair[1]}")
    unknown = [u for u in (*m.monthly_uses, *m.demand_quantity_t) if u not in USES]
    unknown += [
        k
        for k in (*m.listing_quantity_t, *m.listing_price_cny_t, *m.demand_max_price_cny_t)
        if k not in MATERIALS_BY_CODE
    ]
    if unknown:
        raise DemoDataError(f"{path}: unknown use or material {unknown[0]!r}")
    return Market(
        listing_quantity={
            k: QuantityRange(_pair(q.monthly), _pair(q.one_off), q.step, q.monthly_share)
            for k, q in m.listing_quantity_t.items()
        },
        listing_price={
            k: PriceRange(p.range[0], p.range[1], p.step) for k, p in m.listing_price_cny_t.items()
        },
        demand_quantity={k: _pair(r) for k, r in m.demand_quantity_t.items()},
        demand_max_price={
            k: PriceRange(p.range[0], p.range[1], p.step)
            for k, p in m.demand_max_price_cny_t.items()
        },
        monthly_uses=frozenset(m.monthly_uses),
    )


def _stream_entries(path: Traversable, doc: Mapping[str, object], name: str) -> list[object]:
    entries = doc.get(name)
    if not isinstance(entries, list) or not entries:
        raise DemoDataError(f"{path}: {name} must be a non-empty list")
    return entries


def _supply_problem(s: SupplyRow, sites: set[str], market: Market) -> str | None:
    if s.site not in sites:
        return f"unknown site {s.site!r}"
    if s.material not in MATERIALS_BY_CODE:
        return f"unknown material {s.material!r}"
    if s.profile not in PROFILES:
        return f"unknown profile {s.profile!r}"
    if s.material not in market.listing_quantity or s.material not in market.listing_price:
        return "market.toml has no listing quantity or price range for it"
    return None


def _demand_problem(d: DemandRow, sites: set[str], market: Market) -> str | None:
    material = MATERIALS_BY_CODE.get(d.material)
    if d.site not in sites:
        return f"unknown site {d.site!r}"
    if material is None:
        return f"unknown material {d.material!r}"
    if d.use not in {u[0] for u in material.typical_uses}:
        return f"use {d.use!r} is not a typical use of {d.material!r}"
    if d.grade is not None and material.grade(d.grade) is None:
        return f"{d.material!r} has no grade {d.grade!r}"
    if d.use not in market.demand_quantity or d.material not in market.demand_max_price:
        return "market.toml has no demand quantity or max price range for it"
    return None


def _load_streams(
    path: Traversable, sites: set[str], market: Market
) -> tuple[tuple[SupplyStream, ...], tuple[DemandStream, ...]]:
    doc = read_toml(path)
    unknown = set(doc) - {"supply", "demand"}
    if unknown:
        raise DemoDataError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    supply = []
    for i, raw in enumerate(_stream_entries(path, doc, "supply"), 1):
        s = validate_row(SupplyRow, raw, f"{path}: supply {i}")
        problem = _supply_problem(s, sites, market)
        if problem is not None:
            raise DemoDataError(f"{path}: supply {i} ({s.site}, {s.material}): {problem}")
        supply.append(SupplyStream(s.site, s.material, s.listings, s.profile))
    demand = []
    for i, raw in enumerate(_stream_entries(path, doc, "demand"), 1):
        d = validate_row(DemandRow, raw, f"{path}: demand {i}")
        problem = _demand_problem(d, sites, market)
        if problem is not None:
            raise DemoDataError(f"{path}: demand {i} ({d.site}, {d.material}): {problem}")
        demand.append(DemandStream(d.site, d.material, d.use, d.grade, d.demands))
    return tuple(supply), tuple(demand)


def load_roster(directory: Traversable = DATA_DIR) -> Roster:
    """Read and check ``roster.toml``, ``market.toml`` and ``streams.toml``."""
    try:
        orgs, regulator = _load_orgs(directory / "roster.toml")
        market = _load_market(directory / "market.toml")
        sites = {f"{o.key}_{s.suffix}" for o in orgs for s in o.sites}
        supply, demand = _load_streams(directory / "streams.toml", sites, market)
    except DemoDataError:
        raise
    except DataFileError as exc:
        raise DemoDataError(str(exc)) from None
    return Roster(orgs, regulator, supply, demand, market)


#: The shipped demo roster.
ROSTER: Final[Roster] = load_roster()
