"""Regions, boundary import (API and CLI), geocoding and the exchange map."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from market.accounts.service import create_user
from market.cli import main as cli
from market.core.db import make_engine, make_sessionmaker, transaction
from tests.conftest import Actors, assert_problem


async def platform_admin(settings: Any, actors: Actors) -> dict[str, str]:
    engine = make_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        await create_user(session, "root@example.cn", "admin-pass-1", "平台管理员", role="admin")
    await engine.dispose()
    return await actors.login("root@example.cn", "admin-pass-1")


def square(code: str, name: str, lon: float, lat: float, half: float = 0.02) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {
        "type": "Feature",
        "properties": {"adcode": code, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


async def test_schematic_regions_are_served_as_approximate_geojson(client, actors: Actors) -> None:
    headers = await actors.user()
    r = await client.get("/api/v1/geo/regions", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    districts = {
        f["properties"]["code"] for f in fc["features"] if f["properties"]["kind"] == "district"
    }
    assert districts == {"420802", "420804", "420822", "420881", "420882"}
    assert all(f["properties"]["approximate"] for f in fc["features"])
    parks = (await client.get("/api/v1/geo/regions?kind=park", headers=headers)).json()
    assert parks["features"] and {f["properties"]["kind"] for f in parks["features"]} == {"park"}
    one = (await client.get("/api/v1/geo/regions/420881", headers=headers)).json()
    assert one["properties"]["name_zh"] == "钟祥市" and one["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )
    assert_problem(await client.get("/api/v1/geo/regions/999999", headers=headers), 404, "999999")
    assert_problem(
        await client.get("/api/v1/geo/regions?kind=county", headers=headers), 422, "kind"
    )


async def test_importing_parks_reattributes_existing_sites(
    client, actors: Actors, settings
) -> None:
    headers, org, site = await actors.producer(lon=112.40, lat=31.30)
    assert site["park_code"] is None
    admin = await platform_admin(settings, actors)
    r = await client.post(
        "/api/v1/geo/regions/import?kind=park&crs=wgs84",
        headers=admin,
        json=collection(square("P-TEST", "测试园区", 112.40, 31.30)),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"kind": "park", "regions": 1, "sites_updated": 1, "codes": ["P-TEST"]}
    url = f"/api/v1/organizations/{org['id']}/sites"
    sites = (await client.get(url, headers=headers)).json()["items"]
    assert sites[0]["park_code"] == "P-TEST" and sites[0]["district_code"] == "420881"
    park = (await client.get("/api/v1/geo/regions/P-TEST", headers=headers)).json()
    assert (
        park["properties"]["approximate"] is False and park["properties"]["parent_code"] == "420881"
    )
    # imported parks replace the schematic parks; the schematic districts stay
    parks = (await client.get("/api/v1/geo/regions?kind=park", headers=headers)).json()["features"]
    assert [f["properties"]["code"] for f in parks] == ["P-TEST"]
    new_site = await actors.site(headers, org["id"], lon=112.401, lat=31.299)
    assert new_site["park_code"] == "P-TEST"


async def test_bad_imports_are_rejected_and_change_nothing(
    client, actors: Actors, settings
) -> None:
    admin = await platform_admin(settings, actors)
    url = "/api/v1/geo/regions/import?kind=district&crs=wgs84"
    bowtie = square("420802", "东宝区", 112.2, 31.1)
    bowtie["geometry"]["coordinates"] = [
        [[112.1, 31.0], [112.3, 31.2], [112.3, 31.0], [112.1, 31.2], [112.1, 31.0]]
    ]
    cases = [
        ({"type": "Feature"}, "FeatureCollection"),
        (collection(bowtie), "Self-intersection"),
        (collection(square("420802", "东宝区", 212.2, 31.1)), "lon"),
        (
            collection(
                {
                    "type": "Feature",
                    "properties": {"name": "无码"},
                    "geometry": square("1", "x", 112, 31)["geometry"],
                }
            ),
            "adcode",
        ),
        (
            collection(
                {
                    "type": "Feature",
                    "properties": {"adcode": "420802", "name": "x"},
                    "geometry": {"type": "Point", "coordinates": [112.2, 31.0]},
                }
            ),
            "Point",
        ),
    ]
    for body, fragment in cases:
        assert_problem(await client.post(url, headers=admin, json=body), 422, fragment)
    r = await client.post(
        "/api/v1/geo/regions/import?kind=district&crs=mars",
        headers=admin,
        json=collection(square("420802", "东宝区", 112.2, 31.1)),
    )
    assert_problem(r, 422, "crs")
    r = await client.post(
        url,
        headers=admin,
        content=b"{not json",
    )
    assert_problem(r, 400)
    user = await actors.user()
    assert_problem(
        await client.post(
            url, headers=user, json=collection(square("420802", "东宝区", 112.2, 31.1))
        ),
        403,
    )
    fc = (await client.get("/api/v1/geo/regions?kind=district", headers=admin)).json()
    assert len(fc["features"]) == 5 and all(f["properties"]["approximate"] for f in fc["features"])


def test_cli_imports_the_official_datav_boundaries(
    database_url: str, jingmen_datav_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MARKET_DATABASE_URL", database_url)
    runner = CliRunner()
    strict = runner.invoke(
        cli, ["geodata", "import", str(jingmen_datav_path), "--kind", "district", "--strict"]
    )
    assert strict.exit_code != 0 and "Self-intersection" in strict.output
    result = runner.invoke(
        cli, ["geodata", "import", str(jingmen_datav_path), "--kind", "district"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 5 district boundaries" in result.output
    bad = runner.invoke(
        cli, ["geodata", "import", str(jingmen_datav_path), "--kind", "district", "--crs", "utm"]
    )
    assert bad.exit_code != 0 and "crs" in bad.output


async def test_official_boundaries_serve_as_exact(
    client, actors: Actors, settings, jingmen_datav_path: Path
) -> None:
    admin = await platform_admin(settings, actors)
    data = json.loads(jingmen_datav_path.read_text(encoding="utf-8"))
    r = await client.post(
        "/api/v1/geo/regions/import?kind=district&crs=gcj02&repair=true", headers=admin, json=data
    )
    assert r.status_code == 200 and r.json()["regions"] == 5
    fc = (await client.get("/api/v1/geo/regions?kind=district", headers=admin)).json()
    assert {f["properties"]["approximate"] for f in fc["features"]} == {False}
    # a point at 京山's seat (GCJ-02 from DOMAIN §5) now lands in 京山市 on the real boundary
    headers, org, _ = await actors.producer()
    site = (
        await client.post(
            f"/api/v1/organizations/{org['id']}/sites",
            headers=headers,
            json={"name": "京山厂", "lon": 113.1146, "lat": 31.0225, "crs": "gcj02"},
        )
    ).json()
    assert site["district_code"] == "420882"


async def test_geocode_offline_gazetteer(client, actors: Actors) -> None:
    headers = await actors.user()
    r = await client.get("/api/v1/geo/geocode", params={"q": "钟祥市胡集镇"}, headers=headers)
    assert r.status_code == 200, r.text
    place = r.json()
    assert place["crs"] == "wgs84" and place["district_code"] == "420881"
    assert 112.2 < place["lon"] < 112.4 and 31.3 < place["lat"] < 31.5
    assert_problem(
        await client.get("/api/v1/geo/geocode", params={"q": "   "}, headers=headers), 422, "q"
    )
    assert_problem(
        await client.get("/api/v1/geo/geocode", params={"q": "火星基地"}, headers=headers), 404
    )
    assert_problem(await client.get("/api/v1/geo/geocode", headers=headers), 422, "q")


async def test_map_svg_draws_regions_and_points(client, actors: Actors) -> None:
    headers, _, site = await actors.producer(lon=112.59, lat=31.17)
    await client.post(
        "/api/v1/listings",
        headers=headers,
        json={
            "site_id": site["id"],
            "material_code": "fly_ash",
            "quantity_t": "800",
            "price_cny_t": "30",
            "title": "钟祥粉煤灰",
        },
    )
    r = await client.get("/api/v1/geo/map.svg?material=fly_ash", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    assert root.tag.endswith("svg")
    assert "钟祥市" in r.text and "钟祥粉煤灰" in r.text
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f".//{ns}path[@id='region-420881']") is not None
    assert_problem(await client.get("/api/v1/geo/map.svg?show=roads", headers=headers), 422, "show")
    assert_problem(
        await client.get("/api/v1/geo/map.svg?width=99999", headers=headers), 422, "width"
    )
    assert_problem(await client.get("/api/v1/geo/map.svg"), 401)


async def test_search_centre_accepts_gcj02(client, actors: Actors) -> None:
    headers, _, site = await actors.producer(lon=112.20, lat=31.03)
    await client.post(
        "/api/v1/listings",
        headers=headers,
        json={
            "site_id": site["id"],
            "material_code": "ggbs",
            "quantity_t": "10",
            "price_cny_t": "200",
        },
    )
    # the same place as Amap shows it (GCJ-02 ≈ WGS84 + 0.005°E, − 0.002°N here)
    r = await client.get("/api/v1/listings?lat=31.0279&lon=112.2052&crs=gcj02", headers=headers)
    assert float(r.json()["items"][0]["distance_km"]) < 0.2
    assert_problem(
        await client.get("/api/v1/listings?lat=31&lon=112&crs=mars", headers=headers), 422, "crs"
    )
