"""Issue #14.3: a located search ranks the material's open rows kept in memory
(:mod:`market.offers.positions`); it must answer exactly as the database's path does —
page, distances, total, privacy rounding — before and after rows change."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlmodel import select

from market.accounts.models import User
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings
from market.offers.common import DEMANDS, LISTINGS, GeoFilter
from market.offers.positions import PositionCache
from market.offers.search import OfferQuery, search_ids
from tests.conftest import Actors
from tests.offers.test_matches_rank_by_delivered_cost import FLY_ASH_II, post

SITES = [(112.20, 31.03), (112.23, 31.05), (112.31, 31.12), (112.65, 31.20), (112.2049, 31.0351)]


async def _offers(client: Any, actors: Actors) -> tuple[dict[str, str], list[int], str]:
    """Lots and demands of several organisations around Dongbao; the viewer is one of them."""
    lots: list[int] = []
    viewer: dict[str, str] = {}
    for i, (lon, lat) in enumerate(SITES):
        headers, _, site = await actors.producer(lon=lon, lat=lat)
        viewer = viewer or headers
        for qty, price in (("300", "20"), ("1200", str(40 - 5 * i))):
            body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": qty}
            body |= {"price_cny_t": price, "spec": FLY_ASH_II}
            lots.append((await post(client, "/api/v1/listings", headers, body))["id"])
        body = {"site_id": site["id"], "material_code": "fly_ash", "quantity_t": str(100 + i)}
        await post(client, "/api/v1/demands", headers, body)
    me = (await client.get("/api/v1/me", headers=viewer)).json()
    return viewer, lots, str(me["email"])


def _queries() -> list[OfferQuery]:
    out = []
    for radius, minimum, page, per_km in itertools.product(
        (3.0, 30.0, None), (None, Decimal("500")), (1, 2), (None, Decimal("0.585"))
    ):
        geo = GeoFilter(112.205, 31.034, radius)
        out.append(OfferQuery("fly_ash", geo, minimum, False, page, 3, delivered_per_km=per_km))
    return out


async def _compare(settings: Settings, email: str, cache: PositionCache) -> int:
    """Every query both ways, for listings and demands; how many rows the answers held."""
    engine = make_engine(settings)
    seen = 0
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            viewer = (await session.exec(select(User).where(User.email == email))).one()
            for kind, q in itertools.product((LISTINGS, DEMANDS), _queries()):
                from_db = await search_ids(session, kind, viewer, q)
                kept = await search_ids(session, kind, viewer, replace(q, positions=cache))
                assert kept[0] == from_db[0], (kind.noun, q)
                assert kept[2] == from_db[2], (kind.noun, q)
                assert kept[1] == from_db[1], (kind.noun, q)  # exact and rounded distances
                seen += len(from_db[0])
    finally:
        await engine.dispose()
    return seen


async def test_kept_positions_answer_as_the_database_before_and_after_changes(
    client: Any, actors: Actors, settings: Settings
) -> None:
    viewer, lots, email = await _offers(client, actors)
    cache = PositionCache()
    assert await _compare(settings, email, cache) > 0
    assert (cache.builds, cache.updates) == (2, 0)  # listings and demands, built once

    owner = await client.get(f"/api/v1/listings/{lots[0]}", headers=viewer)
    assert owner.status_code == 200
    r = await client.patch(
        f"/api/v1/listings/{lots[0]}", headers=viewer, json={"quantity_t": "900"}
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/listings/{lots[1]}/withdraw", headers=viewer)
    assert r.status_code == 200, r.text
    await _compare(settings, email, cache)
    assert cache.builds == 2 and cache.updates == 1  # the changed rows applied, no rebuild
