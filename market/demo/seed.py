"""Deterministic demo data for Jingmen, as plain values.

The exchange is shown to the city, park operators and enterprises before real firms
register, so the demo must look like Jingmen: phosphate chemical plants around the 胡集
park in 钟祥 and at 石桥驿 in 东宝 with their phosphogypsum, coal power plants with fly ash
and FGD gypsum, a steel works with GGBS, cement and ready-mix plants that consume them, the
battery park in the high-tech zone, and recyclers. All firms are fictional; every login is
clearly a demo login.

Who the firms are, where their sites stand and what each offers or asks for is data in
``market/data/demo/`` (:mod:`market.demo.roster`); the qualities, prices and quantities are
drawn by :mod:`market.demo.specs`. This module walks the roster and builds the values; the
``market demo load`` command writes them to the database. One ``random.Random(20261124)``
drives every draw in a fixed order, so two calls of :func:`build_demo` return equal data and a
re-seed produces the same ids, prices and specs (screenshots and walkthrough scripts stay
valid).

Coordinates: DOMAIN.md gives Jingmen's points in GCJ-02 (the datum of Chinese web maps). The
exchange stores WGS84, so each site is placed in GCJ-02, jittered, and converted with
:func:`geodata.datums.gcj02_to_wgs84`. The offset around Jingmen is roughly -0.005° lon,
+0.002° lat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from geodata.datums import gcj02_to_wgs84, wgs84_to_gcj02
from geodata.districts import DISTRICT_NAMES
from market.accounts.uscc import make_uscc
from market.catalogue.seed import MATERIALS_BY_CODE, USES
from market.demo.roster import ROSTER, Cadence, OrgKind, OrgSpec, SiteSpec, Status
from market.demo.specs import (
    Gen,
    demand_max_price,
    demand_quantity,
    demand_requirements,
    fmt_t,
    haul_km,
    listing_cadence,
    listing_price,
    listing_quantity,
    listing_spec,
)

__all__ = [
    "DEMO_TODAY",
    "DISTRICTS",
    "EMAIL_DOMAIN",
    "SEED",
    "Cadence",
    "DemoData",
    "DemoDemand",
    "DemoListing",
    "DemoOrg",
    "DemoPermit",
    "DemoSite",
    "DemoUser",
    "OrgKind",
    "Status",
    "build_demo",
    "gcj02_to_wgs84",
    "listing_title",
    "site_district",
    "wgs84_to_gcj02",
]

SEED = 20261124
#: "Today" of the demo: dates of listings and demands are placed around it.
DEMO_TODAY = date(2026, 11, 24)
EMAIL_DOMAIN = "demo.jingmen.example"

#: The five county-level units of Jingmen (adcode -> name), from the one district table.
DISTRICTS: dict[str, str] = DISTRICT_NAMES

# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A login. Passwords are deliberately guessable demo values, never for production."""

    email: str
    password: str
    display_name: str


@dataclass(frozen=True)
class DemoSite:
    """A plant, yard or depot where material is produced or received (WGS84 lon/lat)."""

    key: str
    name: str
    address: str
    lon: float
    lat: float


class DemoPermit(NamedTuple):
    """A hazardous-waste operating permit: the HW class it covers and its expiry."""

    kind: str
    valid_until: date


@dataclass(frozen=True)
class DemoOrg:
    """An organisation with its admin user and sites.

    ``miit_listed`` marks battery recyclers on the MIIT compliant list (only they may take
    recycling lots); ``permits`` lists hazardous-waste permits (HW31, HW08).
    """

    key: str
    name: str
    uscc: str
    kind: OrgKind
    district_code: str
    admin: DemoUser
    sites: list[DemoSite]
    miit_listed: bool = False
    permits: list[DemoPermit] = field(default_factory=list)
    #: The role its login is printed under by ``market demo load`` (roster ``login``).
    login: str | None = None


@dataclass(frozen=True)
class DemoListing:
    """An offer of material from a site. ``quantity_t`` is per month when monthly."""

    key: str
    site_key: str
    material: str
    quantity_t: Decimal
    cadence: Cadence
    spec: dict[str, Decimal]
    price_cny_t: Decimal
    available_from: date
    available_until: date | None
    status: Status
    title: str


@dataclass(frozen=True)
class DemoDemand:
    """A request for material delivered to a site.

    ``requirements`` maps parameter key -> (min, max), either side None; ``grade`` names a
    catalogue grade of ``material`` whose limits apply in addition. ``use`` is the
    typical-use key (for CO2 accounting and the MIIT rule on battery recycling).
    """

    key: str
    site_key: str
    material: str
    use: str
    quantity_t: Decimal
    cadence: Cadence
    requirements: dict[str, tuple[Decimal | None, Decimal | None]]
    grade: str | None
    max_haul_km: Decimal
    max_price_cny_t: Decimal | None
    status: Status
    title: str


@dataclass(frozen=True)
class DemoData:
    """Everything the seed command loads. ``regulator`` is also the admin of its org."""

    orgs: list[DemoOrg]
    listings: list[DemoListing]
    demands: list[DemoDemand]
    regulator: DemoUser
    platform_admin: DemoUser


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------


def _user(key: str, display_name: str) -> DemoUser:
    return DemoUser(f"{key}@{EMAIL_DOMAIN}", f"demo-{key}-2026", display_name)


def _place(g: Gen, spec: SiteSpec) -> tuple[float, float]:
    """Jitter the GCJ-02 base point uniformly in a disc, then convert to WGS84."""
    r_km = spec.jitter_km * math.sqrt(g.rng.random())
    theta = g.rng.uniform(0, 2 * math.pi)
    dlat = r_km * math.sin(theta) / 111.32
    dlon = r_km * math.cos(theta) / (111.32 * math.cos(math.radians(spec.lat)))
    lon, lat = gcj02_to_wgs84(spec.lon + dlon, spec.lat + dlat)
    return round(lon, 6), round(lat, 6)


def _org(g: Gen, spec: OrgSpec, serial: int) -> DemoOrg:
    if spec.kind == "regulator":
        # A city-level government body: registered by 机构编制 (1), type 机关 (1), city code.
        uscc = make_uscc("420800", serial, registration="1", org_type="1")
    else:
        uscc = make_uscc(spec.district, serial)
    sites = []
    for s in spec.sites:
        lon, lat = _place(g, s)
        sites.append(DemoSite(f"{spec.key}_{s.suffix}", s.name, s.address, lon, lat))
    return DemoOrg(
        key=spec.key,
        name=spec.name,
        uscc=uscc,
        kind=spec.kind,
        district_code=spec.district,
        admin=_user(spec.key, f"{spec.name} 管理员"),
        sites=sites,
        miit_listed=spec.miit_listed,
        permits=[DemoPermit(k, d) for k, d in spec.permits],
        login=spec.login,
    )


def site_district(org: DemoOrg, site: DemoSite) -> str:
    """The adcode of the county-level unit a site stands in: the one its address names (a
    firm's second site may lie in another district, e.g. a depot across the line), else the
    organisation's. The roster places every site inside that unit (tests/demo check the point
    against the DataV boundaries), so a listing titled with it sits where its title says."""
    named = [code for code, name in DISTRICTS.items() if name in site.address]
    return named[0] if named else org.district_code


def listing_title(material: str, label: str, q: Decimal, cadence: Cadence, place: str) -> str:
    name = MATERIALS_BY_CODE[material].name_zh
    amount = f"月供{fmt_t(q)}吨" if cadence == "monthly" else f"一批{fmt_t(q)}吨"
    return f"{label}{name} {amount}（{place}）"


def build_demo() -> DemoData:
    """Build the whole demo data set; deterministic (same result on every call)."""
    g = Gen(SEED)
    orgs = [_org(g, spec, 1_000 + 97 * i) for i, spec in enumerate(ROSTER.orgs)]
    regulator_org = _org(g, ROSTER.regulator, 4_208_000)
    orgs.append(regulator_org)
    district_of = {s.key: DISTRICTS[site_district(o, s)] for o in orgs for s in o.sites}

    listings: list[DemoListing] = []
    for stream in ROSTER.supply:
        site_key, material, profile = stream.site, stream.material, stream.profile
        for _ in range(stream.listings):
            spec, label = listing_spec(g, material, profile)
            cadence = listing_cadence(g, material)
            if profile == "stack":
                cadence = "one_off"  # a historical stockpile is sold off, not produced
            q = listing_quantity(g, material, cadence)
            start = DEMO_TODAY + timedelta(days=g.rng.randint(-60, 90))
            if cadence == "monthly":
                until = None if g.chance(0.3) else start + timedelta(days=g.rng.randint(180, 720))
            else:
                until = start + timedelta(days=g.rng.randint(30, 120))
            listings.append(
                DemoListing(
                    key=f"L{len(listings) + 1:03d}",
                    site_key=site_key,
                    material=material,
                    quantity_t=q,
                    cadence=cadence,
                    spec=spec,
                    price_cny_t=listing_price(g, material, spec),
                    available_from=start,
                    available_until=until,
                    status=g.status(),
                    title=listing_title(material, label, q, cadence, district_of[site_key]),
                )
            )

    demands: list[DemoDemand] = []
    for want in ROSTER.demand:
        site_key, material, use, grade = want.site, want.material, want.use, want.grade
        for _ in range(want.demands):
            d_cadence: Cadence = "monthly" if use in ROSTER.market.monthly_uses else "one_off"
            qty = demand_quantity(g, material, use)
            name = MATERIALS_BY_CODE[material].name_zh
            use_zh = USES[use][0]
            amount = f"每月{fmt_t(qty)}吨" if d_cadence == "monthly" else f"{fmt_t(qty)}吨"
            demands.append(
                DemoDemand(
                    key=f"D{len(demands) + 1:03d}",
                    site_key=site_key,
                    material=material,
                    use=use,
                    quantity_t=qty,
                    cadence=d_cadence,
                    requirements=demand_requirements(g, material, use),
                    grade=grade,
                    max_haul_km=haul_km(g, material),
                    max_price_cny_t=demand_max_price(g, material, grade),
                    status=g.status(),
                    title=f"求购{name}（{use_zh}）{amount}",
                )
            )

    return DemoData(
        orgs=orgs,
        listings=listings,
        demands=demands,
        regulator=regulator_org.admin,
        platform_admin=DemoUser(f"admin@{EMAIL_DOMAIN}", "demo-admin-2026", "平台管理员"),
    )
