"""Issue #14.1: matches and geo searches are kept per viewer and served for one statement
while their stamp holds; a change to the rows they were computed from is seen at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from sqlalchemy import event

from market.core.response_cache import ResponseCache
from tests.conftest import Actors, assert_problem
from tests.offers.test_matches_rank_by_delivered_cost import FLY_ASH_II, post


@contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends inside the block."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(sql)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _lot(client: Any, actors: Actors) -> tuple[dict[str, str], dict[str, Any]]:
    producer, _, site = await actors.producer(lon=112.20, lat=31.03)
    body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "1000"}
    body |= {"price_cny_t": "40", "spec": FLY_ASH_II}
    return producer, await post(client, "/api/v1/listings", producer, body)


async def _demand(client: Any, actors: Actors, lon: float, lat: float) -> int:
    headers, _, site = await actors.producer(lon=lon, lat=lat, kind="consumer")
    body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "800"}
    return int((await post(client, "/api/v1/demands", headers, body))["id"])


async def test_kept_matches_cost_one_statement_and_follow_new_demands(
    client: Any, actors: Actors, app: Litestar
) -> None:
    answers: ResponseCache = app.state.answers
    producer, listing = await _lot(client, actors)
    far = await _demand(client, actors, 112.59, 31.17)
    url = f"/api/v1/listings/{listing['id']}/matches"
    first = await client.get(url, headers=producer)
    assert first.status_code == 200, first.text
    assert [i["demand"]["id"] for i in first.json()["items"]] == [far]

    with statements(app) as sent:
        again = await client.get(url, headers=producer)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["content-type"].startswith("application/json")
    assert len(sent) == 1, sent  # the stamp; the token was checked within the second

    near = await _demand(client, actors, 112.25, 31.05)  # nearer: ranks first, seen at once
    items = (await client.get(url, headers=producer)).json()["items"]
    assert [i["demand"]["id"] for i in items] == [near, far]
    # A smaller page is another answer, not the first one cut.
    one = (await client.get(url, headers=producer, params={"limit": 1})).json()
    assert [i["demand"]["id"] for i in one["items"]] == [near] and one["page_size"] == 1
    assert answers.hits >= 1 and len(answers) == 2

    # Kept per viewer: another member of no organisation of the lot is still refused.
    stranger = await actors.user()
    assert_problem(await client.get(url, headers=stranger), 403)
    assert_problem(await client.get("/api/v1/listings/999999/matches", headers=producer), 404)


async def test_kept_demand_matches_follow_a_withdrawn_lot(
    client: Any, actors: Actors, app: Litestar
) -> None:
    producer, listing = await _lot(client, actors)
    headers, _, site = await actors.producer(lon=112.25, lat=31.05, kind="consumer")
    body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "800"}
    demand = await post(client, "/api/v1/demands", headers, body)
    url = f"/api/v1/demands/{demand['id']}/matches"
    ids = [i["listing"]["id"] for i in (await client.get(url, headers=headers)).json()["items"]]
    assert listing["id"] in ids
    r = await client.post(f"/api/v1/listings/{listing['id']}/withdraw", headers=producer)
    assert r.status_code == 200, r.text
    ids = [i["listing"]["id"] for i in (await client.get(url, headers=headers)).json()["items"]]
    assert listing["id"] not in ids


async def test_kept_searches_follow_a_new_listing(
    client: Any, actors: Actors, app: Litestar
) -> None:
    buyer = await actors.user()
    params = {"material": "fly_ash", "lat": 31.03, "lon": 112.20, "radius_km": 5}
    first = await client.get("/api/v1/listings", headers=buyer, params=params)
    assert first.status_code == 200, first.text
    with statements(app) as sent:
        again = await client.get("/api/v1/listings", headers=buyer, params=params)
    assert again.content == first.content and len(sent) == 1, sent

    _, listing = await _lot(client, actors)
    found = (await client.get("/api/v1/listings", headers=buyer, params=params)).json()
    assert listing["id"] in [i["id"] for i in found["items"]]
    assert found["total"] == first.json()["total"] + 1
    # A bad query is still a 422 naming the field, kept answers or not.
    bad = params | {"radius_km": -1}
    assert_problem(await client.get("/api/v1/listings", headers=buyer, params=bad), 422, "radius")


async def test_a_token_revoked_here_stops_reading_at_once(
    client: Any, actors: Actors, app: Litestar
) -> None:
    buyer = await actors.user()
    params = {"material": "fly_ash", "lat": 31.03, "lon": 112.20, "radius_km": 5}
    assert (await client.get("/api/v1/listings", headers=buyer, params=params)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=buyer)).status_code == 204
    assert_problem(await client.get("/api/v1/listings", headers=buyer, params=params), 401)


async def test_a_refused_read_does_not_spoil_the_kept_login(
    client: Any, actors: Actors, app: Litestar
) -> None:
    """A read-only request that fails (404) rolls its session back; the user its token was
    checked for, kept for the next reads, must not be expired with it (that was a 500)."""
    buyer = await actors.user()
    params = {"material": "fly_ash", "lat": 31.03, "lon": 112.20, "radius_km": 5}
    assert_problem(await client.get("/api/v1/listings/999999", headers=buyer), 404)
    assert (await client.get("/api/v1/listings", headers=buyer, params=params)).status_code == 200
    assert_problem(await client.get("/api/v1/demands/999999", headers=buyer), 404)
    assert (await client.get("/api/v1/demands", headers=buyer, params=params)).status_code == 200


async def test_nothing_is_kept_when_the_setting_says_zero(
    client: Any, actors: Actors, app: Litestar
) -> None:
    app.state.answers = ResponseCache(ttl=0)
    producer, listing = await _lot(client, actors)
    url = f"/api/v1/listings/{listing['id']}/matches"
    assert (await client.get(url, headers=producer)).status_code == 200
    with statements(app) as sent:
        assert (await client.get(url, headers=producer)).status_code == 200
    assert len(sent) > 2 and len(app.state.answers) == 0
