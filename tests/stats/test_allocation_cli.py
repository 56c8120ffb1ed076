"""``market allocate``: progress lines on stderr, the summary on stdout."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner

from market.cli import main as cli
from market.core.settings import Settings
from tests.city import make_regulator
from tests.conftest import Actors
from tests.stats.allocation_market import build_market


async def _run(settings: Settings, *args: str) -> Any:
    env = {"MARKET_DATABASE_URL": settings.database_url, "MARKET_ENV": "test"}
    return await asyncio.to_thread(CliRunner().invoke, cli, ["allocate", *args], env=env)


async def test_allocate_prints_progress_and_summary(
    client, actors: Actors, settings: Settings
) -> None:
    m = await build_market(client, actors)
    result = await _run(settings, "--material", "fly_ash", "--year", "2026")
    assert result.exit_code == 0, result.output
    assert "loaded 2 listings and 2 demands of fly_ash" in result.stderr
    assert "allocated 140.000 t in 3 flows" in result.stdout
    assert "actual 20.00 %, potential 34.00 % (gap 14.00 %)" in result.stdout

    regulator = await make_regulator(settings, actors)
    r = await client.post(
        "/api/v1/stats/scenarios",
        headers=regulator,
        json={"name": "无P2", "changes": {"removed_producers": [m.org["p2"]]}},
    )
    sid = r.json()["id"]
    result = await _run(settings, "--material", "fly_ash", "--year", "2026", "--scenario", str(sid))
    assert result.exit_code == 0, result.output
    assert f"scenario {sid} (无P2)" in result.stdout
    assert "difference: -40.000 t" in result.stdout

    missing = await _run(settings, "--material", "fly_ash", "--year", "2026", "--scenario", "999")
    assert missing.exit_code != 0 and "scenario 999 does not exist" in missing.output
    bad = await _run(settings, "--material", "nope", "--year", "2026")
    assert bad.exit_code != 0 and "unknown material" in bad.output
