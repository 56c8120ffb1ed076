"""Issue #14.4: the per-process match index takes new, changed and withdrawn demands and
listings at the next request, by applying the changed rows, not by rebuilding the book."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Litestar

from market.offers.matches import BookCache
from tests.conftest import Actors
from tests.offers.test_matches_rank_by_delivered_cost import FLY_ASH_II, post


async def _ids(client: Any, url: str, headers: dict[str, str], side: str) -> list[int]:
    r = await client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return [i[side]["id"] for i in r.json()["items"]]


async def test_demands_are_followed_without_a_rebuild(
    client, actors: Actors, app: Litestar
) -> None:
    cache: BookCache = app.state["match_books"]
    producer, _, psite = await actors.producer(lon=112.20, lat=31.03)
    lot = {"site_id": psite["id"], "material_code": "fly_ash", "quantity_t": "1000"}
    lot |= {"price_cny_t": "40", "spec": FLY_ASH_II}
    listing = await post(client, "/api/v1/listings", producer, lot)
    url = f"/api/v1/listings/{listing['id']}/matches"

    async def demand(lon: float, lat: float, qty: str) -> tuple[dict[str, str], int]:
        headers, _, site = await actors.producer(lon=lon, lat=lat, kind="consumer")
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": qty}
        return headers, (await post(client, "/api/v1/demands", headers, body))["id"]

    a_headers, a = await demand(112.59, 31.17, "800")
    assert await _ids(client, url, producer, "demand") == [a]
    builds, updates = cache.builds, cache.updates
    assert builds == 1

    b_headers, b = await demand(112.25, 31.05, "500")  # nearer: ranks first
    assert await _ids(client, url, producer, "demand") == [b, a]
    assert (cache.builds, cache.updates) == (builds, updates + 1)

    # A changed quantity is the one the match uses (volume fit 1000/1000 = 1).
    r = await client.patch(f"/api/v1/demands/{a}", headers=a_headers, json={"quantity_t": "1000"})
    assert r.status_code == 200, r.text
    items = (await client.get(url, headers=producer)).json()["items"]
    assert [(i["demand"]["id"], Decimal(i["volume_fit"])) for i in items] == [
        (b, Decimal("0.5")),
        (a, Decimal(1)),
    ]
    # A changed price limit below the lot's price takes the demand out, and back in.
    r = await client.patch(
        f"/api/v1/demands/{b}", headers=b_headers, json={"max_price_cny_t": "30"}
    )
    assert r.status_code == 200, r.text
    assert await _ids(client, url, producer, "demand") == [a]
    await client.patch(f"/api/v1/demands/{b}", headers=b_headers, json={"max_price_cny_t": "45"})
    assert await _ids(client, url, producer, "demand") == [b, a]
    # A withdrawn demand is gone at the next request.
    r = await client.post(f"/api/v1/demands/{a}/withdraw", headers=a_headers)
    assert r.status_code in (200, 201), r.text
    assert await _ids(client, url, producer, "demand") == [b]
    assert cache.builds == builds and cache.updates == updates + 5
    # Nothing changed: the book is used as it is.
    assert await _ids(client, url, producer, "demand") == [b]
    assert (cache.builds, cache.updates) == (builds, updates + 5)


async def test_listings_are_followed_without_a_rebuild(
    client, actors: Actors, app: Litestar
) -> None:
    cache: BookCache = app.state["match_books"]
    buyer, _, bsite = await actors.producer(lon=112.20, lat=31.03, kind="consumer")
    body = {"site_id": bsite["id"], "material_code": "fly_ash", "quantity_t": "500"}
    demand = await post(client, "/api/v1/demands", buyer, body | {"max_haul_km": "150"})
    url = f"/api/v1/demands/{demand['id']}/matches"

    async def lot(headers: dict[str, str], site: dict[str, Any], price: str) -> int:
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "800"}
        return int(
            (await post(client, "/api/v1/listings", headers, body | {"price_cny_t": price}))["id"]
        )

    far_h, _, far_site = await actors.producer(lon=112.59, lat=31.17)
    far = await lot(far_h, far_site, "30")
    assert await _ids(client, url, buyer, "listing") == [far]
    builds, updates = cache.builds, cache.updates

    near_h, _, near_site = await actors.producer(lon=112.22, lat=31.04)
    near = await lot(near_h, near_site, "30")
    assert await _ids(client, url, buyer, "listing") == [near, far]
    # The near lot's new price makes it dearer delivered than the far one.
    r = await client.patch(f"/api/v1/listings/{near}", headers=near_h, json={"price_cny_t": "90"})
    assert r.status_code == 200, r.text
    items = (await client.get(url, headers=buyer)).json()["items"]
    assert [i["listing"]["id"] for i in items] == [far, near]
    assert Decimal(items[1]["delivered_cny_t"]) > 90
    r = await client.post(f"/api/v1/listings/{far}/withdraw", headers=far_h)
    assert r.status_code in (200, 201), r.text
    assert await _ids(client, url, buyer, "listing") == [near]
    assert cache.builds == builds and cache.updates == updates + 3


async def test_many_changes_are_merged_into_the_trees_in_memory(
    client, actors: Actors, app: Litestar
) -> None:
    cache: BookCache = app.state["match_books"]
    cache.rebuild_fraction, cache.rebuild_min = 0.0, 1  # merge at the second change
    producer, _, psite = await actors.producer(lon=112.20, lat=31.03)
    lot = {"site_id": psite["id"], "material_code": "fly_ash", "quantity_t": "1000"}
    listing = await post(client, "/api/v1/listings", producer, lot | {"price_cny_t": "40"})
    url = f"/api/v1/listings/{listing['id']}/matches"
    ids, heads = [], []
    for i in range(4):
        headers, _, site = await actors.producer(lon=112.21 + 0.1 * i, lat=31.03, kind="consumer")
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": "100"}
        ids.append((await post(client, "/api/v1/demands", headers, body))["id"])
        heads.append(headers)
        assert await _ids(client, url, producer, "demand") == ids
    r = await client.post(f"/api/v1/demands/{ids[1]}/withdraw", headers=heads[1])
    assert r.status_code in (200, 201), r.text
    assert await _ids(client, url, producer, "demand") == [ids[0], *ids[2:]]
    assert cache.builds == 1 and cache.updates == 4 and cache.compactions >= 2


async def test_book_from_selected_columns_equals_book_from_objects(
    client, actors: Actors, settings
) -> None:
    """The service's column build (no ORM object, no Demand per row) gives the matcher the
    demands its object build gave: the same Demands, limits (grade presets combined with
    the buyer's bounds, the tighter winning) and rankings."""
    import numpy as np

    from market.core.db import make_engine, make_sessionmaker, transaction
    from market.offers.matches import _demand_columns, _demand_objects
    from matching.engine import DemandBook
    from matching.model import Supply
    from matching.scoring import DemandColumns

    terms: list[dict[str, Any]] = [
        {"max_haul_km": "80", "max_price_cny_t": "45"},
        {"grade": "gbt1596_f_ii_concrete", "requirements": {"loi_pct": {"max": "3.5"}}},
        {"grade": "gbt1596_f_ii_concrete", "requirements": {"loi_pct": {"max": "9"}}},
        {"requirements": {"residue_45um_pct": {"max": "25.5"}, "loi_pct": {"min": "0.5"}}},
        {"max_price_cny_t": "-5"},
    ]
    for i, extra in enumerate(terms):
        headers, _, site = await actors.producer(lon=112.2 + 0.05 * i, lat=31.0, kind="consumer")
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": f"{300 + i}.5"}
        await post(client, "/api/v1/demands", headers, body | extra)
    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            cols = await _demand_columns(session, "fly_ash")
            objects = await _demand_objects(session, "fly_ash", rounded=True)
    finally:
        await engine.dispose()
    assert len(cols) == len(objects) == len(terms)
    made = sorted((cols.demand(i) for i in range(len(cols))), key=lambda d: d.id)
    assert made == sorted(objects, key=lambda d: d.id)
    old = DemandColumns.from_demands(made)
    assert old.keys_by_material == cols.keys_by_material
    by_id = np.argsort(cols.ids)
    for key in old.lo:
        np.testing.assert_array_equal(old.lo[key], cols.lo[key][by_id])
        np.testing.assert_array_equal(old.hi[key], cols.hi[key][by_id])
    lot = Supply(
        id=1, org_id=0, material="fly_ash", lon=112.3, lat=31.0, quantity_t=Decimal(500),
        price_cny_t=Decimal(20), values={k: Decimal(v) for k, v in FLY_ASH_II.items()},
    )  # fmt: skip
    found = DemandBook(cols).matches_for_supply(lot)
    assert found == DemandBook(objects).matches_for_supply(lot) and len(found) >= 3
