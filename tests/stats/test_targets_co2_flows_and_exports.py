"""Targets (以用定产), CO2 avoided per receipt, flows for maps, and the exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from geodata.distance import geodesic_km
from market.core import decimals as dec
from market.core.settings import Settings
from tests.city import City, make_regulator
from tests.conftest import Actors, assert_problem


async def test_targets_and_producers_below_them(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    regulator = await make_regulator(settings, actors)
    url = "/api/v1/stats/targets"
    for org, material, target in (
        ("a", "phosphogypsum", "65"),  # A: 69.23 % → meets it
        ("c", "phosphogypsum", "50"),  # C: 30.00 % → 20.00 below
        ("b", "fly_ash", "45"),  # B: 40.10 % → 4.90 below
        ("c", "fly_ash", "10"),  # C reports no fly ash → listed as not reporting
    ):
        r = await client.post(
            url,
            headers=regulator,
            json={
                "organization_id": city.org[org],
                "material_code": material,
                "year": 2025,
                "target_pct": target,
            },
        )
        assert r.status_code == 201, r.text
    replaced = await client.post(
        url,
        headers=regulator,
        json={
            "organization_id": city.org["b"],
            "material_code": "fly_ash",
            "year": 2025,
            "target_pct": "45.00",
        },
    )
    assert replaced.status_code == 200 and replaced.json()["target_pct"] == "45.00"
    below = (
        await client.get("/api/v1/stats/below-target", headers=regulator, params={"year": 2025})
    ).json()
    rows = [
        (i["organization_id"], i["material_code"], i["utilisation_rate_pct"], i["gap_pct"])
        for i in below["items"]
    ]
    assert rows == [
        (city.org["c"], "fly_ash", None, None),
        (city.org["c"], "phosphogypsum", "30.00", "20.00"),
        (city.org["b"], "fly_ash", "40.10", "4.90"),
    ]
    assert below["items"][0]["reason"] == "no ledgers reported"
    own = (
        await client.get("/api/v1/stats/below-target", headers=city.b, params={"year": 2025})
    ).json()
    assert [i["organization_id"] for i in own["items"]] == [city.org["b"]]
    assert (
        await client.get("/api/v1/stats/below-target", headers=city.a, params={"year": 2025})
    ).json()["total"] == 0


async def test_target_permissions_and_bad_input(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    url = "/api/v1/stats/targets"
    body = {
        "organization_id": city.org["a"],
        "material_code": "phosphogypsum",
        "year": 2025,
        "target_pct": "60",
    }
    assert_problem(await client.post(url, headers=city.a, json=body), 403, "only regulators")
    assert_problem(await client.post(url, json=body), 401)
    regulator = await make_regulator(settings, actors)
    cases = [
        ({**body, "target_pct": "101"}, "target_pct", "less than or equal to 100"),
        ({**body, "target_pct": "-1"}, "target_pct", "greater than or equal to 0"),
        ({**body, "target_pct": "50.123"}, "target_pct", "decimal places"),
        ({**body, "year": 1999}, "year", "greater than or equal to 2000"),
        ({**body, "organization_id": 987654}, "organization_id", "does not exist"),
        ({**body, "material_code": "unobtainium"}, "material_code", "unknown material"),
    ]
    for data, field, reason in cases:
        assert_problem(await client.post(url, headers=regulator, json=data), 422, field, reason)
    below = "/api/v1/stats/below-target"
    assert_problem(await client.get(below, headers=regulator), 422, "year")
    assert_problem(await client.get(below, headers=regulator, params={"year": 3000}), 422, "year")


def expected_co2(city: City, origin: str, tonnes: Decimal, factor: Decimal) -> dict[str, Decimal]:
    """The formula by hand: haul km = geodesic × 1.3 (0.1 km); road 0.09 kg CO2e per t·km."""
    o, d = city.site[origin], city.site["d"]
    km = dec.km(Decimal(repr(geodesic_km(o["lon"], o["lat"], d["lon"], d["lat"]))) * Decimal("1.3"))
    haul = tonnes * km * Decimal("0.09") / 1000
    gross = tonnes * factor
    return {"km": km, "gross": dec.t(gross), "haul": dec.t(haul), "net": dec.t(gross - haul)}


async def test_co2_by_use_with_factors_and_sources(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    regulator = await make_regulator(settings, actors)
    r = await client.get("/api/v1/stats/co2", headers=regulator, params={"year": 2025})
    assert r.status_code == 200, r.text
    body = r.json()
    # B→D fly ash, clinker substitute: 200.5 t × 0.52 = 104.26 t CO2 gross, minus the haul.
    fa = expected_co2(city, "b", Decimal("200.5"), Decimal("0.52"))
    # A→D phosphogypsum, gypsum retarder: factor 0 (unconfirmed), so only the haul: negative.
    pg = expected_co2(city, "a", Decimal("550"), Decimal("0"))
    uses = {u["use"]: u for u in body["figures"]["by_use"]}
    assert uses["clinker_substitute"]["gross_avoided_t_co2"] == "104.260"
    assert uses["clinker_substitute"]["haul_t_co2"] == str(fa["haul"])
    assert uses["clinker_substitute"]["net_avoided_t_co2"] == str(fa["net"])
    assert uses["gypsum_retarder"]["received_t"] == "550.000"
    assert uses["gypsum_retarder"]["receipts"] == 3
    assert uses["gypsum_retarder"]["net_avoided_t_co2"] == str(pg["net"])
    assert uses["gypsum_retarder"]["factor_confirmed"] is False
    total_net = dec.t(Decimal(fa["net"]) + Decimal(pg["net"]))
    assert Decimal(body["figures"]["net_avoided_t_co2"]) == total_net
    factors = {f["use"]: f for f in body["factors"]["uses"]}
    assert factors["clinker_substitute"]["t_co2_per_t"] == "0.52"
    assert "IPCC" in factors["clinker_substitute"]["source"]
    assert factors["limestone_substitute"]["t_co2_per_t"] == "0.43971"
    assert factors["battery_recycling"]["t_co2_per_t"] is None
    assert "PLACEHOLDER" in factors["battery_recycling"]["source"]
    assert body["factors"]["road_freight"]["kg_co2e_per_t_km"] == "0.09"
    assert "UNCONFIRMED" in body["factors"]["road_freight"]["source"]

    # Per receipt, newest first; the producer B sees only its own receipt, plus city totals.
    page = (
        await client.get("/api/v1/stats/co2/receipts", headers=city.b, params={"year": 2025})
    ).json()
    assert page["total"] == 1
    (item,) = page["items"]
    assert item["haul_km"] == str(fa["km"]) and item["received_t"] == "200.500"
    assert item["net_avoided_t_co2"] == str(fa["net"]) and item["month"] == "2025-03"
    own = (await client.get("/api/v1/stats/co2", headers=city.b)).json()
    assert own["scope"] == "organization" and own["figures"]["receipts"] == 1
    assert own["city"]["receipts"] == 4
    everything = (
        await client.get("/api/v1/stats/co2/receipts", headers=regulator, params={"page_size": 2})
    ).json()
    assert everything["total"] == 4 and len(everything["items"]) == 2
    assert everything["items"][0]["received_at"].startswith("2025-04-15")
    assert_problem(
        await client.get("/api/v1/stats/co2", headers=regulator, params={"month": 2}), 422, "year"
    )
    assert_problem(await client.get("/api/v1/stats/co2/receipts"), 401)
    assert_problem(
        await client.get("/api/v1/stats/co2/receipts", headers=regulator, params={"page": 0}),
        422,
        "page",
    )


async def test_flows_for_maps(client, actors: Actors, settings: Settings, city: City) -> None:
    regulator = await make_regulator(settings, actors)
    url = "/api/v1/stats/flows"
    sites = (await client.get(url, headers=regulator, params={"year": 2025})).json()
    assert sites["level"] == "site" and sites["total_t"] == "750.500"
    top = sites["items"][0]
    assert top["origin"]["site_id"] == city.site["a"]["id"] and top["received_t"] == "550.000"
    assert top["destination"]["district_code"] == "420881" and top["receipts"] == 3
    assert sites["by_material"] == {"fly_ash": "200.500", "phosphogypsum": "550.000"}
    april = (await client.get(url, headers=regulator, params={"year": 2025, "month": 4})).json()
    assert april["total_t"] == "250.000"  # includes the receipt of 31 March 17:00 UTC
    mine = (await client.get(url, headers=city.b)).json()
    assert [i["material_code"] for i in mine["items"]] == ["fly_ash"]
    stranger = await actors.user()
    assert (await client.get(url, headers=stranger)).json()["items"] == []
    districts = (await client.get(url, headers=stranger, params={"level": "district"})).json()
    (flow,) = districts["items"][:1]
    assert (
        flow["origin"]["district_name"] == "东宝区"
        and flow["destination"]["district_code"] == "420881"
    )
    assert "lon" in flow["origin"] and districts["total_t"] == "750.500"
    assert_problem(
        await client.get(url, headers=regulator, params={"level": "street"}), 422, "level"
    )
    assert_problem(await client.get(url), 401)


async def test_exports(client, actors: Actors, settings: Settings, city: City) -> None:
    regulator = await make_regulator(settings, actors)
    r = await client.get(
        "/api/v1/stats/export.csv", headers=regulator, params={"year": 2025, "group_by": "district"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "utilisation_2025_district.csv" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "分组 key" and "综合利用率 % utilisation_rate_pct" in rows[0]
    rate = rows[0].index("综合利用率 % utilisation_rate_pct")
    table = {row[0]: row for row in rows[1:]}
    assert table["420802"][rate] == "63.29" and table["total"][rate] == "48.33"
    x = await client.get(
        "/api/v1/stats/export.xlsx", headers=city.a, params={"year": 2025, "group_by": "month"}
    )
    assert x.status_code == 200
    book = load_workbook(io.BytesIO(x.content))
    sheet = list(book["utilisation"].iter_rows(values_only=True))
    labels = [row[0] for row in sheet[1:]]
    assert labels == ["2025-03", "2025-04", "total", "city"]  # A's months, A's total, the city
    notes = {row[0]: row for row in book["notes"].iter_rows(values_only=True) if row}
    assert notes["scope"][1] == "organization"
    assert "IPCC" in notes["clinker_substitute"][3]
    assert_problem(
        await client.get("/api/v1/stats/export.csv", headers=regulator, params={"group_by": "x"}),
        422,
        "group_by",
    )
    assert_problem(await client.get("/api/v1/stats/export.xlsx"), 401)
