"""A producer books a disputed load as it left its weighbridge (or, once settled, at the
settled tonnes), so an honest monthly ledger balances: 100 t out, 97 t in, generated 100."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.city import ledger_body
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market

URL = "/api/v1/ledger"


def this_month() -> str:
    return (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m")


async def test_a_load_out_as_100_t_and_in_as_97_t_balances_generated_100(
    client: Any, actors: Actors
) -> None:
    market = Market(client, actors)
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="100")
    r = await market.receive(load["id"], buyer, received_t="97")
    assert r.json()["status"] == "disputed"
    honest = ledger_body(seller.site["id"], "fly_ash", this_month(), generated_t="100")
    r = await client.post(URL, headers=seller.headers, json=honest)
    assert r.status_code in (200, 201), r.text
    assert r.json()["balanced"] is True and r.json()["balance_difference_t"] == "0.000"
    assert r.json()["exchange_received_t"] == "97.000", "utilisation counts what arrived"
    # Counting the load twice (also as in-house use) is still refused.
    twice = {**honest, "used_inhouse_t": "100", "generated_t": "100"}
    assert_problem(await client.post(URL, headers=seller.headers, json=twice), 422, "balance")
    # Settled at 98 t: the ledger may book the settled tonnes or its own 100 t.
    url = f"/api/v1/shipments/{load['id']}/dispute"
    r = await client.post(f"{url}/propose", headers=buyer.headers, json={"settled_t": "98"})
    assert r.status_code == 200, r.text
    r = await client.post(f"{url}/accept", headers=seller.headers, json={})
    assert r.status_code == 200 and r.json()["status"] == "settled", r.text
    for generated in ("100", "98"):
        body = {**honest, "generated_t": generated}
        r = await client.post(URL, headers=seller.headers, json=body)
        assert r.status_code in (200, 201), (generated, r.text)
        assert r.json()["balanced"] is True and r.json()["exchange_received_t"] == "98.000"
    listed = (await client.get(URL, headers=seller.headers)).json()["items"]
    assert [x["balanced"] for x in listed] == [True]
    # Beyond both (and the tolerance) it does not balance.
    for generated in ("110", "90"):
        body = {**honest, "generated_t": generated}
        r = await client.post(URL, headers=seller.headers, json=body)
        assert_problem(r, 422, "balance")
