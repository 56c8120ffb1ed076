"""Profile the routes users wait on, in-process: SQL statements per request and cProfile's top.

Run ``.venv/bin/python -m bench.profile_routes [DATABASE_URL] [ROUTE ...]`` (not part of
``make bench``: it prints where time goes, not a figure to compare). Without a URL it builds
a temporary SQLite database with ``market db upgrade`` and ``market demo load``. The real app
runs in this process and event loop (its lifespan entered directly, requests through
``httpx.ASGITransport``), so the profile sees the app rather than a test client's thread.
For each route, as the demo fly-ash producer: the SQL statements one warm request sends,
the mean time of 200 unprofiled requests, then the top functions by own time over 300
profiled ones (issue #14 asks for the profile's top lines before and after a change).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
PRODUCER = "zhongxiang_power"
TIMED, PROFILED, TOP = 200, 300, 25


def prepare(url: str | None) -> str:
    """The database to profile: the given URL, or a fresh SQLite file with the demo data."""
    if url:
        return url
    path = Path(tempfile.mkdtemp()) / "profile.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    env["MARKET_DATABASE_URL"] = url
    for args in (("db", "upgrade"), ("demo", "load")):
        command = [sys.executable, "-m", "market.cli", *args]
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return url


async def routes(client: httpx.AsyncClient) -> dict[str, tuple[str, dict[str, Any], Any]]:
    login = {"email": f"{PRODUCER}@demo.jingmen.example", "password": f"demo-{PRODUCER}-2026"}
    token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    mine = {"mine": "true", "material": "fly_ash"}
    listing = (await client.get("/api/v1/listings", params=mine, headers=auth)).json()["items"][0]
    near = {"material": "fly_ash", "lat": 31.03, "lon": 112.20, "radius_km": 50}
    return {
        "health": ("/api/v1/health", {}, auth),
        "matches": (f"/api/v1/listings/{listing['id']}/matches", {"limit": 20}, auth),
        "search": ("/api/v1/listings", near, auth),
    }


async def profile(url: str, wanted: set[str]) -> None:
    from market.app import create_app
    from market.core.settings import Settings

    logging.disable(logging.INFO)  # httpx logs every request
    app = create_app(Settings(database_url=url, tender_poll_seconds=0, webhook_poll_seconds=0))
    async with app.lifespan():
        statements: list[str] = []
        event.listen(
            app.state.engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, *_: statements.append(" ".join(sql.split())),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profile") as client:
            for name, (path, params, headers) in (await routes(client)).items():
                if wanted and name not in wanted:
                    continue
                statements.clear()
                r = await client.get(path, params=params, headers=headers)
                assert r.status_code == 200, (name, r.status_code, r.text[:300])
                print(f"===== {name} {path}: {len(statements)} SQL statements")
                for sql in statements:
                    print("     ", sql[:160])
                started = time.perf_counter()
                for _ in range(TIMED):
                    await client.get(path, params=params, headers=headers)
                ms = (time.perf_counter() - started) * 1000 / TIMED
                print(f"  {ms:.2f} ms per request in-process ({TIMED} requests, client included)")
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(PROFILED):
                    await client.get(path, params=params, headers=headers)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(TOP)
                print("\n".join(line[:180] for line in out.getvalue().splitlines() if line))


if __name__ == "__main__":
    args = sys.argv[1:]
    url = args.pop(0) if args and "://" in args[0] else None
    asyncio.run(profile(prepare(url), set(args)))
