"""Reporting one ledger: the upsert, who may, and every rule a ledger must obey."""

from __future__ import annotations

from typing import Any

from market.core.settings import Settings
from tests.city import City, ledger_body, make_regulator, post_ledger
from tests.conftest import Actors, assert_problem

URL = "/api/v1/ledger"


def balanced(site_id: int, month: str = "2025-06", **over: str) -> dict[str, Any]:
    # 1000 = (300 in-house + 100 outside − 50 from stockpile) + 600 stored
    #        + (80 − 30 from stockpile) disposed + 0 dumped
    body = ledger_body(
        site_id,
        "phosphogypsum",
        month,
        generated_t="1000",
        used_inhouse_t="300",
        shipped_outside_exchange_t="100",
        utilised_from_stockpile_t="50",
        stored_t="600",
        disposed_t="80",
        disposed_from_stockpile_t="30",
    )
    body.update(over)
    return body


async def test_report_then_replace_a_month(client, actors: Actors) -> None:
    headers, org, site = await actors.producer()
    r = await client.post(URL, headers=headers, json=balanced(site["id"]))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["month"] == "2025-06" and first["organization_id"] == org["id"]
    assert first["generated_t"] == "1000.000" and first["utilised_t"] == "400.000"
    assert first["exchange_received_t"] == "0.000" and first["balanced"] is True
    again = await client.post(
        URL, headers=headers, json=balanced(site["id"], generated_t="1010", stored_t="610")
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"] and again.json()["generated_t"] == "1010.000"
    listed = (await client.get(URL, headers=headers, params={"year": 2025})).json()
    assert listed["total"] == 1 and listed["items"][0]["stored_t"] == "610.000"


async def test_ledger_list_is_a_page(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    for month in ("2025-05", "2025-06"):
        await post_ledger(client, headers, balanced(site["id"], month))
    first = (await client.get(URL, headers=headers, params={"page_size": 1})).json()
    assert first["total"] == 2 and first["page"] == 1 and first["page_size"] == 1
    assert [i["month"] for i in first["items"]] == ["2025-06"]
    second = (await client.get(URL, headers=headers, params={"page": 2, "page_size": 1})).json()
    assert [i["month"] for i in second["items"]] == ["2025-05"]
    assert_problem(
        await client.get(URL, headers=headers, params={"page_size": 0}), 422, "page_size"
    )


async def test_ledger_bad_input(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    sid = site["id"]
    cases = [
        (balanced(sid, generated_t="-1"), "generated_t", "greater than or equal to 0"),
        (balanced(sid, stored_t="1.2345"), "stored_t", "decimal places"),
        (balanced(sid, month="2025-6"), "month", "pattern"),
        (balanced(sid, month="2025-13"), "month", "1–12"),
        (balanced(sid, month="2999-01"), "month", "in the future"),
        (balanced(987654), "site_id", "does not exist"),
        (balanced(sid, material_code="unobtainium"), "material_code", "unknown material"),
        (balanced(sid, stored_t="500"), "balance", "difference 100.000 t"),
        (
            balanced(sid, disposed_from_stockpile_t="90"),
            "disposed_from_stockpile_t",
            "exceeds disposed_t",
        ),
        (
            balanced(sid, utilised_from_stockpile_t="500"),
            "utilised_from_stockpile_t",
            "exceeds the month's utilisation",
        ),
        ({"site_id": sid, "material_code": "fly_ash"}, "month", "required"),
    ]
    for body, field, reason in cases:
        r = await client.post(URL, headers=headers, json=body)
        problem = assert_problem(r, 422, field, reason)
        assert any(e["field"].endswith(field) for e in problem["errors"]), problem
    assert (await client.get(URL, headers=headers)).json()["total"] == 0


async def test_shipped_tonnes_reported_as_in_house_are_rejected(
    client, actors: Actors, city: City
) -> None:
    # A's March: 300 t left on the exchange. Reporting them as in-house too (200 + 300) makes
    # the identity overshoot by exactly 300 t (tolerance 1 + 2 % × 300 = 7 t).
    body = ledger_body(
        city.site["a"]["id"],
        "phosphogypsum",
        "2025-03",
        generated_t="1000",
        used_inhouse_t="500",
        stored_t="400",
        disposed_t="100",
    )
    r = await client.post(URL, headers=city.a, json=body)
    assert_problem(r, 422, "balance", "difference -300.000 t", "do not report them as in-house")
    # Within the weighbridge tolerance (1 t + 2 % × 300 t = 7 t) it still balances.
    ok = await post_ledger(client, city.a, {**body, "used_inhouse_t": "200", "stored_t": "405"})
    assert ok["balanced"] is True and ok["balance_difference_t"] == "-5.000"


async def test_only_members_of_the_site_owner_report(
    client, actors: Actors, settings: Settings
) -> None:
    headers, _, site = await actors.producer()
    other = await actors.user()
    await actors.org(other)
    assert_problem(
        await client.post(URL, headers=other, json=balanced(site["id"])), 403, "not a member"
    )
    regulator = await make_regulator(settings, actors)
    assert_problem(
        await client.post(URL, headers=regulator, json=balanced(site["id"])), 403, "not a member"
    )
    assert_problem(await client.post(URL, json=balanced(site["id"])), 401)
    await post_ledger(client, headers, balanced(site["id"]))
    assert (await client.get(URL, headers=other)).json()["total"] == 0
    assert (await client.get(URL, headers=regulator)).json()["total"] == 1


async def test_ledger_list_rejects_impossible_months(client, actors) -> None:
    from tests.conftest import assert_problem

    headers = await actors.user()
    assert_problem(
        await client.get("/api/v1/ledger?year=2026&month=13", headers=headers), 422, "month", "1–12"
    )
    assert_problem(await client.get("/api/v1/ledger?year=0", headers=headers), 422, "year")
    assert_problem(
        await client.get("/api/v1/ledger?month=3", headers=headers), 422, "month", "needs year"
    )
