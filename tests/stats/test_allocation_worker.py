"""A large allocation is solved in a worker process (OR-Tools holds the GIL while it solves),
comes back exactly as solved in-process, and is stopped at MARKET_ALLOCATION_SECONDS."""

from __future__ import annotations

import os
from typing import Any

import pytest

from market.core.settings import Settings
from market.stats import allocation_worker
from tests.city import make_regulator
from tests.conftest import Actors, assert_problem
from tests.stats.allocation_market import build_market

URL = "/api/v1/stats/allocation"
PLANT: dict[str, Any] = {
    "name": "新建石膏板厂",
    "material": "fly_ash",
    "lon": 112.25,
    "lat": 31.03,
    "capacity_t_per_year": "1200",
    "max_haul_km": "30",
}


async def test_the_api_answers_the_same_through_the_worker(
    client: Any, actors: Actors, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_market(client, actors)
    regulator = await make_regulator(settings, actors)
    query = {"material": "fly_ash", "year": 2026, "scenario": {"consumers": [PLANT]}}
    monkeypatch.setattr(allocation_worker, "IN_PROCESS_BELOW", 10**9)
    allocation_worker.shutdown()
    here = await client.post(URL, headers=regulator, json=query)
    assert here.status_code == 200, here.text
    assert allocation_worker._pool is None, "a small instance stays in the server's process"

    monkeypatch.setattr(allocation_worker, "IN_PROCESS_BELOW", 0)
    there = await client.post(URL, headers=regulator, json=query)
    assert there.status_code == 200, there.text
    pids = {p.pid for p in allocation_worker.pool()._processes.values()}
    assert pids and os.getpid() not in pids
    assert there.json()["result"]["summary"]["flows"] > 0
    assert there.json() == here.json()


async def test_a_solve_past_the_limit_is_a_503_naming_the_setting(
    client: Any, actors: Actors, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_market(client, actors)
    regulator = await make_regulator(settings, actors)
    monkeypatch.setattr(allocation_worker, "IN_PROCESS_BELOW", 0)
    allocation_worker.shutdown()
    # 50 ms is less than a spawned interpreter needs to start and import OR-Tools.
    hurried = settings.model_copy(update={"allocation_seconds": 0.05})
    monkeypatch.setattr(client.app.state, "settings", hurried)
    r = await client.post(URL, headers=regulator, json={"material": "fly_ash", "year": 2026})
    assert_problem(r, 503, "MARKET_ALLOCATION_SECONDS", "0.05 s")
    assert "Retry-After" in r.headers
    assert allocation_worker._pool is None, "the overrun worker is killed"

    monkeypatch.setattr(client.app.state, "settings", settings)
    again = await client.post(URL, headers=regulator, json={"material": "fly_ash", "year": 2026})
    assert again.status_code == 200, again.text


async def test_a_worker_that_died_is_a_503_and_the_next_request_gets_a_new_one(
    client: Any, actors: Actors, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_market(client, actors)
    regulator = await make_regulator(settings, actors)
    monkeypatch.setattr(allocation_worker, "IN_PROCESS_BELOW", 0)
    query = {"material": "fly_ash", "year": 2026}
    assert (await client.post(URL, headers=regulator, json=query)).status_code == 200
    for process in allocation_worker.pool()._processes.values():
        process.kill()
        process.join()
    assert_problem(await client.post(URL, headers=regulator, json=query), 503, "worker stopped")
    assert (await client.post(URL, headers=regulator, json=query)).status_code == 200
