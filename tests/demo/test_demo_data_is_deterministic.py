"""The demo data set: deterministic, well-formed, and consistent with the catalogue."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from market.accounts.uscc import validate_uscc
from market.catalogue.seed import MATERIALS_BY_CODE, USES
from market.demo.seed import DISTRICTS, DemoData, build_demo, gcj02_to_wgs84, wgs84_to_gcj02


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo()


def _sites(demo: DemoData) -> dict[str, tuple[str, float, float, str]]:
    """site key -> (org key, lon, lat, address)"""
    return {s.key: (o.key, s.lon, s.lat, s.address) for o in demo.orgs for s in o.sites}


def test_deterministic(demo: DemoData) -> None:
    assert build_demo() == demo


def test_sizes(demo: DemoData) -> None:
    assert len(demo.orgs) >= 35
    assert len(demo.listings) >= 140
    assert len(demo.demands) >= 75
    assert sum(len(o.sites) for o in demo.orgs) > len(demo.orgs)  # some orgs have 2 sites
    assert {o.district_code for o in demo.orgs} == set(DISTRICTS)


def test_usccs_valid_unique_and_regional(demo: DemoData) -> None:
    codes = [o.uscc for o in demo.orgs]
    assert len(set(codes)) == len(codes)
    for o in demo.orgs:
        assert validate_uscc(o.uscc) == o.uscc
        if o.kind == "regulator":
            assert o.uscc[:8] == "11420800"
        else:
            assert o.uscc[:2] == "91" and o.uscc[2:8] == o.district_code


def test_keys_and_users(demo: DemoData) -> None:
    org_keys = [o.key for o in demo.orgs]
    assert len(set(org_keys)) == len(org_keys)
    assert len(_sites(demo)) == sum(len(o.sites) for o in demo.orgs)
    users = [o.admin for o in demo.orgs] + [demo.platform_admin]
    assert len({u.email for u in users}) == len(users)
    for o in demo.orgs:
        assert o.admin.email == f"{o.key}@demo.jingmen.example"
        assert o.admin.password == f"demo-{o.key}-2026"
    assert demo.regulator.email == "regulator@demo.jingmen.example"
    assert demo.regulator.password == "demo-regulator-2026"
    assert demo.platform_admin.email == "admin@demo.jingmen.example"
    assert demo.platform_admin.password == "demo-admin-2026"
    (reg_org,) = [o for o in demo.orgs if o.kind == "regulator"]
    assert reg_org.admin == demo.regulator and reg_org.name == "荆门市生态环境局（演示）"
    keys = [x.key for x in demo.listings] + [x.key for x in demo.demands]
    assert len(set(keys)) == len(keys)


def test_org_roles(demo: DemoData) -> None:
    kinds = Counter(o.kind for o in demo.orgs)
    assert set(kinds) == {"producer", "consumer", "recycler", "carrier", "regulator"}
    permits = {p.kind for o in demo.orgs for p in o.permits}
    assert {"HW31", "HW08"} <= permits
    assert any(o.miit_listed for o in demo.orgs)
    assert all(o.kind == "recycler" for o in demo.orgs if o.miit_listed)
    # A battery buyer that is not MIIT-listed exists, so the recycling gate has a case.
    site_org = {s.key: o for o in demo.orgs for s in o.sites}
    battery_buyers = {
        site_org[d.site_key].key
        for d in demo.demands
        if d.use == "battery_recycling" and MATERIALS_BY_CODE[d.material].battery
    }
    listed = {o.key: o.miit_listed for o in demo.orgs}
    assert any(listed[k] for k in battery_buyers)
    assert any(not listed[k] for k in battery_buyers)


def test_sites_in_jingmen_envelope_and_apart(demo: DemoData) -> None:
    sites = _sites(demo)
    for key, (_, lon, lat, _) in sites.items():
        assert 111.8 <= lon <= 113.6 and 30.3 <= lat <= 31.7, key
    for (ka, a), (kb, b) in itertools.combinations(sites.items(), 2):
        dx = (a[1] - b[1]) * 111.32 * math.cos(math.radians(31))
        dy = (a[2] - b[2]) * 111.32
        assert math.hypot(dx, dy) > 0.3, (ka, kb)


def test_sites_inside_their_district(jingmen_datav_path: Path) -> None:
    """Each site (converted back to GCJ-02) lies in the county-level unit its address names."""
    import shapely.geometry as shapely_geometry

    path = jingmen_datav_path
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    polys = {
        str(f["properties"]["adcode"]): shapely_geometry.shape(f["geometry"]) for f in features
    }
    demo = build_demo()
    for o in demo.orgs:
        for s in o.sites:
            named = [code for code, name in DISTRICTS.items() if name in s.address]
            want = named[0] if named else o.district_code
            glon, glat = wgs84_to_gcj02(s.lon, s.lat)
            assert polys[want].contains(shapely_geometry.Point(glon, glat)), (s.key, want)


def test_gcj_round_trip_and_offset() -> None:
    lon, lat = 112.204, 31.035  # city centre, GCJ-02
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    back = wgs84_to_gcj02(wlon, wlat)
    assert abs(back[0] - lon) < 1e-8 and abs(back[1] - lat) < 1e-8
    # Around Jingmen the WGS84 point lies ~550 m west and ~200 m north of the GCJ-02 one.
    assert -0.008 < wlon - lon < -0.003
    assert 0.0005 < wlat - lat < 0.004


def _in_range(material: str, key: str, value: Decimal) -> bool:
    p = MATERIALS_BY_CODE[material].parameter(key)
    assert p is not None, (material, key)
    return Decimal(p.valid_min) <= value <= Decimal(p.valid_max)


def test_listings_match_catalogue(demo: DemoData) -> None:
    sites = _sites(demo)
    for x in demo.listings:
        assert x.site_key in sites
        assert x.material in MATERIALS_BY_CODE
        assert x.spec, x.key
        for key, value in x.spec.items():
            assert isinstance(value, Decimal)
            assert _in_range(x.material, key, value), (x.key, key, value)
        assert x.quantity_t > 0
        assert x.cadence in ("one_off", "monthly")
        assert x.status in ("open", "draft", "closed")
        assert x.available_until is None or x.available_until > x.available_from
        assert x.price_cny_t == x.price_cny_t.quantize(Decimal("0.01"))
        places = Decimal("0.001") if MATERIALS_BY_CODE[x.material].battery else Decimal("0.01")
        assert x.quantity_t == x.quantity_t.quantize(places)
        assert x.title


def test_listing_mix(demo: DemoData) -> None:
    status = Counter(x.status for x in demo.listings)
    assert status["open"] > len(demo.listings) / 2 and status["draft"] and status["closed"]
    pg = [x for x in demo.listings if x.material == "phosphogypsum"]
    assert any(x.price_cny_t < 0 for x in pg)
    assert all(Decimal(-30) <= x.price_cny_t <= Decimal(10) for x in pg)
    monthly_pg = [x.quantity_t for x in pg if x.cadence == "monthly"]
    assert monthly_pg and all(20_000 <= q <= 80_000 for q in monthly_pg)
    # Fly ash spread across grades: residue in each of the I / II / III bands.
    residues = [x.spec["residue_45um_pct"] for x in demo.listings if x.material == "fly_ash"]
    assert any(r <= 12 for r in residues)
    assert any(12 < r <= 30 for r in residues)
    assert any(30 < r <= 45 for r in residues)
    for x in demo.listings:
        if x.material == "battery_lfp":
            assert 8_000 <= x.price_cny_t <= 20_000
        elif x.material == "battery_ncm":
            assert 20_000 <= x.price_cny_t <= 60_000


def test_demands_match_catalogue(demo: DemoData) -> None:
    sites = _sites(demo)
    for d in demo.demands:
        assert d.site_key in sites
        m = MATERIALS_BY_CODE[d.material]
        assert d.use in USES and d.use in {u[0] for u in m.typical_uses}, (d.key, d.use)
        if d.grade is not None:
            assert m.grade(d.grade) is not None, (d.key, d.grade)
        for key, (lo, hi) in d.requirements.items():
            assert lo is not None or hi is not None
            for bound in (lo, hi):
                if bound is not None:
                    assert _in_range(d.material, key, bound), (d.key, key, bound)
            if lo is not None and hi is not None:
                assert lo <= hi
        limit = Decimal(500) if m.battery else Decimal(300) if m.hazardous else Decimal(200)
        assert Decimal(30) <= d.max_haul_km <= limit
        assert d.quantity_t > 0
        assert d.max_price_cny_t is None or d.max_price_cny_t == d.max_price_cny_t.quantize(
            Decimal("0.01")
        )
    assert any(d.grade for d in demo.demands)
    assert any(d.max_price_cny_t is not None and d.max_price_cny_t < 0 for d in demo.demands)
