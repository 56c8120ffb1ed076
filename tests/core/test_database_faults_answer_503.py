"""A database that is away or stalled is answered 503 with Retry-After, quickly and quietly,
and the same app answers 200 again once it is back, without a restart.

PostgreSQL is lost through :class:`tests.core.pg_proxy.FaultProxy` (refused like a stopped
server, stalled like one under SIGSTOP); SQLite is "stalled" by another connection holding
the write lock past the busy timeout. Before the fix, a stopped server gave 500s and
``RuntimeError: aclose(): asynchronous generator is already running`` in the log, and a
stalled one held requests for 25 s.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.app import create_app
from market.core.db import STALLED_SERVER_GRACE_SECONDS, make_engine, transaction
from market.core.db_faults import database_unavailable
from market.core.scheduler import Job, run_once
from market.core.settings import Settings
from tests.conftest import Actors, assert_problem
from tests.core.pg_proxy import FaultProxy
from tests.trading.helpers import Market

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Small limits so that the test is quick; production defaults are in README.
CONNECT_S = 1.0
STATEMENT_S = 1.0
#: A refused connection fails at once; allow for a slow machine.
REFUSED_WITHIN_S = 2.0
#: A stalled server: the pooled connection's ping waits out asyncpg's command timeout, then
#: SQLAlchemy closes it (2 s grace), plus a margin for a busy machine.
STALLED_WITHIN_S = STATEMENT_S + STALLED_SERVER_GRACE_SECONDS + 2.0 + 1.5


@dataclass
class Scene:
    """The app on the proxied database, with a seller's listing and a buyer."""

    client: AsyncTestClient[Litestar]
    proxy: FaultProxy
    market: Market
    listing_id: int
    buyer: Any

    def requests(self) -> list[tuple[str, str, dict[str, Any] | None, dict[str, str]]]:
        """Search, buy, log in, health: what the outage report named, and more."""
        site = {"site_id": self.buyer.site["id"], "quantity_t": "1"}
        login = {"email": "nobody@example.cn", "password": "secret-pass-1"}
        return [
            ("GET", "/api/v1/listings", None, self.buyer.headers),
            ("POST", f"/api/v1/listings/{self.listing_id}/buy", site, self.buyer.headers),
            ("POST", "/api/v1/auth/login", login, {}),
            ("GET", "/api/v1/health", None, {}),
        ]


@pytest.fixture
def proxy(settings: Settings) -> Iterator[FaultProxy]:
    url = make_url(settings.database_url)
    proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
async def scene(settings: Settings, proxy: FaultProxy) -> AsyncIterator[Scene]:
    url = make_url(settings.database_url).set(host="127.0.0.1", port=proxy.port)
    faulty = settings.model_copy(
        update={
            "database_url": url.render_as_string(hide_password=False),
            "database_connect_timeout_seconds": CONNECT_S,
            "database_statement_timeout_seconds": STATEMENT_S,
            "database_pool_timeout_seconds": CONNECT_S,
        }
    )
    async with AsyncTestClient(app=create_app(faulty)) as client:
        market = Market(client, Actors(client))
        seller = await market.seller()
        listing = await market.listing(seller)
        buyer = await market.buyer()
        yield Scene(client, proxy, market, listing["id"], buyer)


async def _select_one(factory: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(factory) as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]


async def _send(scene: Scene, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return await scene.client.request(method, path, json=body, headers=headers)


def _settle(client: AsyncTestClient[Litestar]) -> None:
    """Collect garbage on the app's loop: a request generator left to the collector (as
    Litestar leaves ``provide_db`` when a dependency fails) is closed now, so its errors,
    if any, are logged inside the test."""

    async def collect() -> None:
        gc.collect()
        await asyncio.sleep(0.05)
        gc.collect()
        await asyncio.sleep(0.05)

    client.blocking_portal.call(collect)


async def _assert_unavailable(scene: Scene, within_s: float) -> None:
    for method, path, body, headers in scene.requests():
        # The test client blocks this loop while a request runs: should the app hang, a
        # watchdog lets the database come back, so the test fails on the time, not hangs.
        watchdog = threading.Timer(within_s + 3.0, scene.proxy.restore)
        watchdog.start()
        started = time.monotonic()
        try:
            r = await _send(scene, method, path, body, headers)
        finally:
            watchdog.cancel()
        elapsed = time.monotonic() - started
        assert_problem(r, 503, "Service Unavailable")
        assert int(r.headers["retry-after"]) > 0, r.headers
        assert elapsed < within_s, f"{method} {path} took {elapsed:.1f} s"


def _assert_quiet_log(records: list[logging.LogRecord]) -> None:
    """One warning line per failed request, no stack, no error from asyncio or the pool."""
    loud = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not loud, [f"{r.name}: {r.getMessage()}" for r in loud]
    unavailable = [r for r in records if r.getMessage().startswith("database unavailable")]
    assert unavailable and all("\n" not in r.getMessage() for r in unavailable)


async def _assert_back(scene: Scene) -> None:
    for method, path, body, headers in scene.requests():
        r = await _send(scene, method, path, body, headers)
        if path.endswith("/login"):
            assert_problem(r, 401)  # answered by the database again: no such user
        else:
            assert r.status_code in (200, 201), r.text
    pool = scene.client.app.state.engine.pool
    assert pool.checkedout() == 0


@POSTGRESQL
async def test_a_stopped_server_is_503_with_retry_after_and_the_app_recovers(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    r = await _send(scene, *scene.requests()[0])
    assert r.status_code == 200, r.text

    scene.proxy.refuse()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # the pooled connections die first, then new ones are refused
            await _assert_unavailable(scene, REFUSED_WITHIN_S)
        # a background job's run fails in one line too (the webhook job runs every 5 s)
        job = Job("probe", 5.0, _select_one)
        factory = scene.client.app.state.sessionmaker
        assert scene.client.blocking_portal.call(run_once, job, factory) is False
        _settle(scene.client)
    _assert_quiet_log(caplog.records)
    assert any("background job 'probe'" in r.getMessage() for r in caplog.records)

    scene.proxy.restore()
    await _assert_back(scene)


@POSTGRESQL
async def test_a_stalled_server_is_503_within_the_timeouts_and_the_app_recovers(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    r = await _send(scene, *scene.requests()[0])
    assert r.status_code == 200, r.text

    scene.proxy.stall()
    with caplog.at_level(logging.WARNING):
        await _assert_unavailable(scene, STALLED_WITHIN_S)
        _settle(scene.client)
    _assert_quiet_log(caplog.records)

    scene.proxy.restore()
    await _assert_back(scene)


@POSTGRESQL
async def test_a_statement_over_the_statement_timeout_is_cancelled_by_the_server(
    settings: Settings,
) -> None:
    """The server-side statement_timeout cancels a slow statement (503, not a hang) and the
    connection stays usable: the client-side limit is only for a server that went silent."""
    engine = make_engine(settings.model_copy(update={"database_statement_timeout_seconds": 0.2}))
    try:
        async with engine.connect() as conn:
            started = time.monotonic()
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 0.2 + STALLED_SERVER_GRACE_SECONDS
            assert "statement timeout" in str(caught.value)
            await conn.rollback()
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
    assert database_unavailable(caught.value)


@pytest.fixture
async def busy_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An app whose SQLite writers wait 0.2 s for the lock (built before the test body:
    Litestar's logging set-up at start-up would drop caplog's handler)."""
    busy = settings.model_copy(update={"database_busy_timeout_seconds": 0.2})
    engine = make_engine(busy)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 200
    finally:
        await engine.dispose()
    async with AsyncTestClient(app=create_app(busy)) as client:
        yield client


@SQLITE
async def test_a_sqlite_write_lock_held_past_the_busy_timeout_is_503(
    settings: Settings, busy_client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    path = make_url(settings.database_url).database
    assert path
    body = {"email": "late@example.cn", "password": "secret-pass-1", "display_name": "late"}
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, and not letting go
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            r = await busy_client.post("/api/v1/auth/register", json=body)
        assert_problem(r, 503, "unavailable or busy")
        assert r.headers["retry-after"]
        assert time.monotonic() - started < 2.0
        _assert_quiet_log(caplog.records)
    finally:
        holder.rollback()
        holder.close()
    r = await busy_client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
