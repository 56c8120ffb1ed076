"""Utilisation by the official formula on a city worked out by hand (see conftest.py).

综合利用率 = 综合利用量 ÷ (产生量 + 综合利用往年贮存量) × 100 %, with
综合利用量 = in-house + outside the exchange + exchange receipts (receiver's weighbridge).

Ledgers (t)                 gen    in-house  outside  exchange  from stockpile  stored  disposed (stockpile)
A phosphogypsum 2025-03    1000    200       0        300       0               400     100 (0)
A phosphogypsum 2025-04     800    500       100      250       150             0       100 (0)
B fly ash       2025-03     500    0         0        200.5     0               299.5   0
C phosphogypsum 2025-03    2000    600       0        0         0               1300    150 (50)

Hand-worked figures:
* phosphogypsum: utilised 500 + 850 + 600 = 1950; base 3800 + 150 = 3950;
  rate 1950 / 3950 = 49.3670… → 49.37 %; exchange 550 / 1950 = 28.2051… → 28.21 %.
* fly ash: 200.5 / 500 = 40.10 %; exchange share 100.00 %.
* city: utilised 2150.5; base 4300 + 150 = 4450; 2150.5 / 4450 = 48.3258… → 48.33 %;
  exchange 750.5 / 2150.5 = 34.8988… → 34.90 %.
* 东宝区 (A, B): utilised 1550.5; base 2300 + 150 = 2450; 63.2857… → 63.29 %.
  钟祥市 (C): 600 / 2000 = 30.00 %.
* 2025-03: utilised 500 + 200.5 + 600 = 1300.5; base 3500; 37.1571… → 37.16 %.
  2025-04: utilised 850; base 800 + 150 = 950; 89.4736… → 89.47 %.
* stockpile: March stored 400 + 299.5 + 1300 = 1999.5, drawn 50 → +1949.5;
  April stored 0, drawn 150 → −150; cumulative 1799.5.
* organisations: A 1350 / 1950 = 69.2307… → 69.23 %; B 40.10 %; C 30.00 %.
"""

from __future__ import annotations

from typing import Any

from market.core.settings import Settings
from tests.city import City, ledger_body, make_regulator, post_ledger, receipt
from tests.conftest import Actors, assert_problem

URL = "/api/v1/stats/utilisation"


def by_key(report: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {g["key"]: g for g in report["groups"]}


async def test_hand_worked_city_by_material_district_month_org(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    regulator = await make_regulator(settings, actors)
    r = await client.get(URL, headers=regulator, params={"year": 2025, "group_by": "material"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["scope"] == "city"
    pg, fa = by_key(report)["phosphogypsum"], by_key(report)["fly_ash"]
    assert pg["label"] == "磷石膏"
    assert pg["generated_t"] == "3800.000" and pg["utilised_t"] == "1950.000"
    assert pg["exchange_received_t"] == "550.000"  # received, not the 301 t dispatched
    assert pg["utilised_from_stockpile_t"] == "150.000"
    assert pg["utilisation_rate_pct"] == "49.37"
    assert pg["exchange_share_pct"] == "28.21"
    assert fa["utilisation_rate_pct"] == "40.10" and fa["exchange_share_pct"] == "100.00"
    totals = report["totals"]
    assert totals["generated_t"] == "4300.000" and totals["utilised_t"] == "2150.500"
    assert totals["utilisation_rate_pct"] == "48.33"
    assert totals["exchange_share_pct"] == "34.90"
    assert totals["ledgers"] == 4 and report["city"] == totals
    assert report["checks"]["unbalanced_count"] == 0
    assert report["checks"]["receipts_without_ledger_t"] == "0.000"
    assert "综合利用往年贮存量" in report["formula"]["rate"]

    districts = by_key(
        (
            await client.get(URL, headers=regulator, params={"year": 2025, "group_by": "district"})
        ).json()
    )
    assert districts["420802"]["label"] == "东宝区"
    assert districts["420802"]["utilisation_rate_pct"] == "63.29"
    assert districts["420881"]["utilisation_rate_pct"] == "30.00"

    months = (
        await client.get(URL, headers=regulator, params={"year": 2025, "group_by": "month"})
    ).json()
    assert by_key(months)["2025-03"]["utilisation_rate_pct"] == "37.16"
    assert by_key(months)["2025-04"]["utilisation_rate_pct"] == "89.47"
    trend = {p["month"]: p for p in months["stockpile_trend"]}
    assert trend["2025-03"]["change_t"] == "1949.500"
    assert trend["2025-04"]["change_t"] == "-150.000"
    assert trend["2025-04"]["cumulative_change_t"] == "1799.500"

    orgs = by_key(
        (
            await client.get(
                URL, headers=regulator, params={"year": 2025, "group_by": "organization"}
            )
        ).json()
    )
    assert orgs[city.org["a"]]["utilisation_rate_pct"] == "69.23"
    assert orgs[city.org["a"]]["label"] == "企业A"
    assert orgs[city.org["b"]]["utilisation_rate_pct"] == "40.10"
    assert orgs[city.org["c"]]["utilisation_rate_pct"] == "30.00"

    parks = by_key((await client.get(URL, headers=regulator, params={"group_by": "park"})).json())
    assert parks["P-ZXHUJI"]["generated_t"] == "2000.000"  # C, in the 胡集 park
    assert parks[None]["generated_t"] == "2300.000" and "not in a park" in parks[None]["label"]

    years = by_key((await client.get(URL, headers=regulator, params={"group_by": "year"})).json())
    assert years[2025]["utilisation_rate_pct"] == "48.33"

    april = (
        await client.get(
            URL, headers=regulator, params={"year": 2025, "month": 4, "material": "phosphogypsum"}
        )
    ).json()
    # April alone: 850 / 950 = 89.47 %; exchange 250 / 850 = 29.41 %.
    assert april["totals"]["utilisation_rate_pct"] == "89.47"
    assert april["totals"]["exchange_share_pct"] == "29.41"


async def test_an_organisation_sees_its_own_figures_and_city_totals(
    client, actors: Actors, city: City
) -> None:
    r = await client.get(URL, headers=city.c, params={"year": 2025, "group_by": "organization"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["scope"] == "organization" and report["organization_ids"] == [city.org["c"]]
    assert [g["key"] for g in report["groups"]] == [city.org["c"]]
    assert report["totals"]["utilisation_rate_pct"] == "30.00"
    assert report["city"]["utilisation_rate_pct"] == "48.33"
    by_district = (await client.get(URL, headers=city.c, params={"group_by": "district"})).json()
    assert list(by_key(by_district)) == ["420881"]
    stranger = await actors.user()
    empty = (await client.get(URL, headers=stranger)).json()
    assert empty["groups"] == [] and empty["totals"]["ledgers"] == 0
    assert empty["totals"]["utilisation_rate_pct"] is None
    assert empty["city"]["utilisation_rate_pct"] == "48.33"


async def test_a_late_receipt_unbalances_a_ledger_and_is_flagged(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    # C's March ledger balanced with no exchange receipts; C now ships 100 t on the exchange
    # received in March, so C's March utilisation becomes 700 and the identity overshoots:
    # 2000 − (700 + 1300 + 100) = −100 t, beyond the 1 t + 2 % × 100 t = 3 t tolerance.
    c_listing = await _listing(client, city)
    await receipt(
        client,
        city.c,
        city.d,
        c_listing,
        city.site["d"]["id"],
        "gypsum_retarder",
        "100",
        "100",
        "2025-03-25T02:00:00+00:00",
        settings=settings,
    )
    regulator = await make_regulator(settings, actors)
    report = (await client.get(URL, headers=regulator, params={"year": 2025})).json()
    checks = report["checks"]
    assert checks["unbalanced_count"] == 1
    flagged = checks["unbalanced"][0]
    assert flagged["site_id"] == city.site["c"]["id"] and flagged["month"] == "2025-03"
    assert flagged["balance_difference_t"] == "-100.000"
    # The receipt still counts (once): phosphogypsum utilised 1950 + 100 = 2050 of 3950.
    assert by_key(report)["phosphogypsum"]["utilised_t"] == "2050.000"
    # The producer corrects the ledger by storing 100 t less: balanced again.
    await post_ledger(
        client,
        city.c,
        ledger_body(
            city.site["c"]["id"],
            "phosphogypsum",
            "2025-03",
            generated_t="2000",
            used_inhouse_t="600",
            stored_t="1200",
            disposed_t="150",
            disposed_from_stockpile_t="50",
        ),
    )
    again = (await client.get(URL, headers=regulator, params={"year": 2025})).json()
    assert again["checks"]["unbalanced_count"] == 0


async def test_receipts_without_a_ledger_are_reported_not_counted(
    client, actors: Actors, settings: Settings, city: City
) -> None:
    c_listing = await _listing(client, city)
    await receipt(
        client,
        city.c,
        city.d,
        c_listing,
        city.site["d"]["id"],
        "gypsum_retarder",
        "40",
        "40",
        "2025-05-05T02:00:00+00:00",
        settings=settings,
    )
    regulator = await make_regulator(settings, actors)
    report = (await client.get(URL, headers=regulator, params={"year": 2025})).json()
    assert report["checks"]["receipts_without_ledger_t"] == "40.000"
    assert report["checks"]["receipts_without_ledger_months"] == 1
    assert report["totals"]["utilised_t"] == "2150.500"  # unchanged: no ledger to divide by


async def test_utilisation_bad_input(client, city: City) -> None:
    cases = [
        ({"group_by": "colour"}, "group_by", "must be one of"),
        ({"month": 13, "year": 2025}, "month", "1–12"),
        ({"month": 3}, "month", "needs year"),
        ({"year": 1900}, "year", "between 2000 and 2100"),
        ({"material": "unobtainium"}, "material", "unknown material"),
    ]
    for params, field, reason in cases:
        problem = assert_problem(
            await client.get(URL, headers=city.a, params=params), 422, field, reason
        )
        assert problem["errors"][0]["field"] == field
    assert_problem(await client.get(URL, headers=city.a, params={"year": "soon"}), 422, "year")
    assert_problem(await client.get(URL), 401, "log in")


async def _listing(client, city: City) -> int:
    from tests.city import listing

    return await listing(client, city.c, city.site["c"]["id"], "phosphogypsum", "1000")
