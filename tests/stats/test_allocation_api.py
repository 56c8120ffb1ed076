"""POST /stats/allocation and the saved scenarios, through the API, on both backends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from market.core.settings import Settings
from tests.city import make_regulator
from tests.conftest import Actors, assert_problem
from tests.stats.allocation_market import build_market
from tests.stats.test_allocation_service import in_session

URL = "/api/v1/stats/allocation"
SCENARIOS = "/api/v1/stats/scenarios"

PLANT: dict[str, Any] = {
    "name": "新建石膏板厂",
    "material": "fly_ash",
    "lon": 112.25,
    "lat": 31.03,
    "capacity_t_per_year": "1200",
    "max_haul_km": "30",
}


async def _real_rows(settings: Settings) -> tuple[Any, ...]:
    """Counts and sums of every table a scenario could be tempted to touch."""

    async def read(session: Any) -> tuple[Any, ...]:
        conn = await session.connection()
        out: list[Any] = []
        for table, cols in (
            ("listings", "quantity_t, reserved_t, delivered_t"),
            ("demands", "quantity_t, max_haul_km"),
        ):
            sums = ", ".join(f"SUM({c})" for c in cols.split(", "))
            row = (await conn.execute(sa.text(f"SELECT COUNT(*), {sums} FROM {table}"))).one()
            out.append(tuple(row))
        for table in ("organizations", "sites", "deals", "ledgers"):
            out.append((await conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}"))).scalar())
        return tuple(out)

    return await in_session(settings, read)


async def test_hand_worked_allocation_through_the_api(
    client, actors: Actors, settings: Settings
) -> None:
    m = await build_market(client, actors)
    regulator = await make_regulator(settings, actors)
    r = await client.post(URL, headers=regulator, json={"material": "fly_ash", "year": 2026})
    assert r.status_code == 200, r.text
    body = r.json()
    flows = {(f["listing_id"], f["demand_id"]): f["tonnes"] for f in body["result"]["flows"]}
    assert flows == {
        (m.listing["p1"], m.demand["c1"]): "80.000",
        (m.listing["p2"], m.demand["c2"]): "50.000",
        (m.listing["p1"], m.demand["c2"]): "10.000",
    }
    s = body["result"]["summary"]
    assert s["tonnes_allocated"] == "140.000" and s["unallocated_supply_t"] == "10.000"
    cross = next(
        f
        for f in body["result"]["flows"]
        if f["demand_id"] == m.demand["c2"] and f["listing_id"] == m.listing["p1"]
    )
    freight = (Decimal(cross["road_km"]) * Decimal("0.45")).quantize(Decimal("0.01"))
    assert Decimal(s["total_cost_cny"]) == 800 + 250 + 10 * (10 + freight)
    assert body["result"]["by_material"][0]["potential_rate_pct"] == "34.00"
    assert body["result"]["by_material"][0]["actual_rate_pct"] == "20.00"
    assert body["baseline"] is None and body["scenario"] is None
    assert body["filters"] == {"year": 2026, "month": None, "material": "fly_ash"}


async def test_regulators_only(client, actors: Actors, settings: Settings) -> None:
    producer = await actors.user()
    body = {"material": "fly_ash", "year": 2026}
    assert_problem(await client.post(URL, headers=producer, json=body), 403)
    assert_problem(await client.post(URL, json=body), 401)
    assert_problem(
        await client.post(SCENARIOS, headers=producer, json={"name": "x", "changes": {}}), 403
    )
    assert_problem(await client.get(SCENARIOS, headers=producer), 403)
    assert_problem(await client.get(f"{SCENARIOS}/1", headers=producer), 403)
    assert_problem(await client.delete(f"{SCENARIOS}/1", headers=producer), 403)


async def test_saved_scenario_against_the_baseline(
    client, actors: Actors, settings: Settings
) -> None:
    m = await build_market(client, actors)
    regulator = await make_regulator(settings, actors)
    r = await client.post(
        SCENARIOS,
        headers=regulator,
        json={
            "name": "东宝新建板厂, 无P2",
            "changes": {"consumers": [PLANT], "removed_producers": [m.org["p2"]]},
        },
    )
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["changes"]["consumers"][0]["capacity_t_per_year"] == "1200"
    listed = (await client.get(SCENARIOS, headers=regulator)).json()
    assert [i["id"] for i in listed["items"]] == [saved["id"]] and listed["total"] == 1
    got = await client.get(f"{SCENARIOS}/{saved['id']}", headers=regulator)
    assert got.status_code == 200 and got.json()["name"] == "东宝新建板厂, 无P2"

    before = await _real_rows(settings)
    r = await client.post(
        URL,
        headers=regulator,
        json={"material": "fly_ash", "year": 2026, "scenario_id": saved["id"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert await _real_rows(settings) == before
    assert body["scenario"] == {"id": saved["id"], "name": "东宝新建板厂, 无P2"}
    assert body["baseline"]["summary"]["tonnes_allocated"] == "140.000"
    # Without P2, P1's 100 t is all that can move (the plant could take 1,200 t a year).
    assert body["result"]["summary"]["tonnes_allocated"] == "100.000"
    assert body["difference"]["tonnes_allocated"] == "-40.000"
    assert all(f["listing_id"] == m.listing["p1"] for f in body["result"]["flows"])
    # The same changes inline answer the same.
    inline = await client.post(
        URL,
        headers=regulator,
        json={
            "material": "fly_ash",
            "year": 2026,
            "scenario": {"consumers": [PLANT], "removed_producers": [m.org["p2"]]},
        },
    )
    assert inline.json()["result"] == body["result"]
    assert await _real_rows(settings) == before

    assert (await client.delete(f"{SCENARIOS}/{saved['id']}", headers=regulator)).status_code == 204
    assert_problem(await client.get(f"{SCENARIOS}/{saved['id']}", headers=regulator), 404)
    assert_problem(
        await client.post(
            URL,
            headers=regulator,
            json={"material": "fly_ash", "year": 2026, "scenario_id": saved["id"]},
        ),
        404,
    )


async def test_bad_scenarios_are_422_naming_the_field(
    client, actors: Actors, settings: Settings
) -> None:
    regulator = await make_regulator(settings, actors)

    async def bad(changes: dict[str, Any], field: str) -> None:
        r = await client.post(
            SCENARIOS, headers=regulator, json={"name": "bad", "changes": changes}
        )
        body = assert_problem(r, 422)
        assert field in [e["field"] for e in body["errors"]], body

    await bad({"consumers": [{**PLANT, "lon": 2.35}]}, "changes.consumers.0.lon")
    await bad({"consumers": [PLANT, {**PLANT, "lat": 60.1}]}, "changes.consumers.1.lat")
    await bad(
        {"consumers": [{**PLANT, "capacity_t_per_year": "-5"}]},
        "changes.consumers.0.capacity_t_per_year",
    )
    await bad({"consumers": [{**PLANT, "material": "unobtainium"}]}, "changes.consumers.0.material")
    await bad(
        {"consumers": [{**PLANT, "requirements": {"no_such_param": {"max": "1"}}}]},
        "changes.consumers.0.requirements.no_such_param",
    )
    await bad({"removed_producers": [987654]}, "changes.removed_producers.0")
    await bad({"freight_cny_per_t_km": "-0.1"}, "changes.freight_cny_per_t_km")
    await bad({"colour": "red"}, "changes.colour")
    assert (await client.get(SCENARIOS, headers=regulator)).json()["total"] == 0
    # Inline, the path starts at scenario.
    r = await client.post(
        URL,
        headers=regulator,
        json={
            "material": "fly_ash",
            "year": 2026,
            "scenario": {"consumers": [{**PLANT, "lon": 200}]},
        },
    )
    assert "scenario.consumers.0.lon" in [e["field"] for e in assert_problem(r, 422)["errors"]]
    r = await client.post(
        URL,
        headers=regulator,
        json={
            "material": "fly_ash",
            "year": 2026,
            "scenario": {"consumers": [{**PLANT, "material": "nope"}]},
        },
    )
    assert [e["field"] for e in assert_problem(r, 422)["errors"]] == [
        "scenario.consumers.0.material"
    ]
    r = await client.post(URL, headers=regulator, json={"material": "nope", "year": 2026})
    assert [e["field"] for e in assert_problem(r, 422)["errors"]] == ["material"]
    r = await client.post(
        URL, headers=regulator, json={"material": "fly_ash", "year": 2026, "month": 13}
    )
    assert "month" in [e["field"] for e in assert_problem(r, 422)["errors"]]


async def test_empty_material_allocates_nothing(client, actors: Actors, settings: Settings) -> None:
    regulator = await make_regulator(settings, actors)
    r = await client.post(
        URL, headers=regulator, json={"material": "ggbs", "year": 2026, "month": 5}
    )
    assert r.status_code == 200, r.text
    s = r.json()["result"]["summary"]
    assert (s["listings"], s["demands"], s["flows"], s["tonnes_allocated"]) == (0, 0, 0, "0.000")
    assert r.json()["result"]["by_material"][0]["potential_rate_pct"] is None
