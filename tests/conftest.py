"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

The PostgreSQL backend comes from ``MARKET_TEST_DATABASE_URL``; each test session creates a
throw-away database there, migrates it and drops it afterwards. Without the variable the
PostgreSQL half is skipped with one reason line, except under ``CI=true``, where it fails.
Schemas are always built by running the Alembic migrations.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from market.accounts.deps import TokenCache
from market.accounts.uscc import make_uscc
from market.app import create_app
from market.core.migrate import upgrade
from market.core.response_cache import ResponseCache
from market.core.settings import Settings
from market.geo.regions import RegionLocator
from market.offers.matches import BookCache
from market.offers.positions import PositionCache
from tests.database import TestDatabase, seed_catalogue

#: The hand-worked city (stats and ledger tests), one build per backend per session.
pytest_plugins = ["tests.city"]

PG_ENV = "MARKET_TEST_DATABASE_URL"
#: The suite's organisations are unverified (verifying each one would add a regulator and an
#: audit event to every test), so its deals are not limited; the tests of the limit itself
#: (tests/accounts/test_organisations_are_verified_by_regulators.py) use the default, 100 t.
SUITE_UNVERIFIED_DEAL_LIMIT_T = Decimal("1000000000")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_GEO = Path(__file__).resolve().parents[1].parent / "shared" / "geo"


def shared_geo_file(name: str) -> Path:
    """A reference file from ``../shared/geo`` (never committed): skip locally, fail in CI."""
    path = SHARED_GEO / name
    if not path.is_file():
        require_or_skip(
            f"boundary file not found: {path} (expected beside the repo in ../shared/geo/)"
        )
    return path


@pytest.fixture(scope="session")
def jingmen_datav_path() -> Path:
    """The public DataV export of Jingmen's five county-level units (GCJ-02)."""
    return shared_geo_file("jingmen_420800_datav.geojson")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 at its cheapest for the suite: almost every test registers and logs in users,
    and the production cost (64 MiB, three passes, about 0.2 s a hash here) took half the
    suite's time. Hashes carry their parameters, so verification is unchanged; production
    keeps its defaults (``market.core.security``)."""
    from argon2 import PasswordHasher

    from market.core import security

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_deal_limit_outside_the_app() -> Iterator[None]:
    """Sessions the tests make themselves (closing tenders as cron would) read the limit
    from the environment, as the CLI does: the suite's, like its app's, is lifted."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MARKET_UNVERIFIED_DEAL_LIMIT_T", str(SUITE_UNVERIFIED_DEAL_LIMIT_T))
        yield


def _sqlite_no_fsync(dbapi_connection: Any, _record: Any) -> None:
    if "sqlite" in type(dbapi_connection).__module__:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


@pytest.fixture(scope="session", autouse=True)
def _no_fsync_on_sqlite() -> Iterator[None]:
    """Every SQLite connection of the suite skips fsync: a commit waited ~20 ms for this
    machine's disk, more than the request around it. Only durability across a power cut
    changes, and the test databases are thrown away; WAL, locking and busy timeouts, which
    the concurrency tests rely on, are as in production."""
    event.listen(Engine, "connect", _sqlite_no_fsync)
    try:
        yield
    finally:
        event.remove(Engine, "connect", _sqlite_no_fsync)


def require_or_skip(reason: str) -> None:
    """Skip locally, fail in CI: a missing dependency must never pass silently there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


async def _create_pg_database(url: str) -> str:
    base = make_url(url)
    name = f"market_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        # A throw-away database need not wait for the disk at every commit (see
        # _no_fsync_on_sqlite); crash safety is not what the suite tests.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(url: str) -> None:
    target = make_url(url)
    conn = await asyncpg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        database=make_url(os.environ[PG_ENV]).database or "postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database with the catalogue, one per backend per test session."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'market.sqlite3'}"
        upgrade(url)
        asyncio.run(seed_catalogue(Settings(database_url=url, env="test")))
        yield url
        return
    base = os.environ.get(PG_ENV)
    if not base:
        require_or_skip(f"PostgreSQL tests skipped: set {PG_ENV}=postgresql+asyncpg://user@host/db")
    assert base is not None
    try:
        url = asyncio.run(_create_pg_database(base))
    except (OSError, asyncpg.PostgresError) as exc:
        require_or_skip(f"PostgreSQL at {PG_ENV} is unreachable: {exc}")
    upgrade(url)
    asyncio.run(seed_catalogue(Settings(database_url=url, env="test")))
    yield url
    asyncio.run(_drop_pg_database(url))


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[TestDatabase]:
    """The backend's database and the one connection that empties it between tests."""
    # Background jobs off: tests that exercise them build their own settings.
    db = TestDatabase(
        Settings(
            database_url=database_url,
            env="test",
            tender_poll_seconds=0,
            unverified_deal_limit_t=SUITE_UNVERIFIED_DEAL_LIMIT_T,
        )
    )
    await db.open()
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def settings(database: TestDatabase) -> Settings:
    """The session's settings over a database emptied for this test (catalogue kept)."""
    await database.reset()
    _current["settings"] = database.settings
    return database.settings


@pytest.fixture
async def mutable_catalogue(settings: Settings, database: TestDatabase) -> AsyncIterator[Settings]:
    """For tests that edit the catalogue: afterwards it is rebuilt from the seed."""
    yield settings
    await database.reseed_catalogue()


#: What ``create_app`` keeps in ``app.state``: per-process caches are renewed for every test
#: (a cached match book or region locator must not carry one test's rows into the next);
#: the rest is kept. An entry in neither list fails the suite until it is sorted here.
FRESH_STATE: dict[str, Callable[[], Any]] = {
    "match_books": BookCache,
    "regions": RegionLocator.default,
    "answers": ResponseCache,
    "tokens": TokenCache,
    "positions": PositionCache,
}
KEPT_STATE = {"settings", "engine", "sessionmaker"}


@pytest.fixture(scope="session")
async def shared_client(
    database: TestDatabase,
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """One app per backend per session, its lifespan entered once (building an app and
    its engine per test cost more than most tests)."""
    async with AsyncTestClient(app=create_app(database.settings)) as c:
        yield c


@pytest.fixture
def app(settings: Settings, shared_client: AsyncTestClient[Litestar]) -> Litestar:
    """The session's app, its caches renewed; tests needing other settings build their own."""
    shared = shared_client.app
    unknown = set(shared.state.dict()) - FRESH_STATE.keys() - KEPT_STATE
    assert not unknown, f"app.state has {unknown}: add it to FRESH_STATE or KEPT_STATE"
    for key, fresh in FRESH_STATE.items():
        shared.state[key] = fresh()
    return shared


@pytest.fixture
async def client(
    app: Litestar, shared_client: AsyncTestClient[Litestar]
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The session's client without the last test's cookies (or a new one for an app a
    module built itself)."""
    if app is not shared_client.app:
        async with AsyncTestClient(app=app) as own:
            yield own
        return
    shared_client.cookies.clear()
    yield shared_client
    _return_connections(shared_client)


def _return_connections(client: AsyncTestClient[Litestar]) -> None:
    """Every connection of the shared app is back in its pool after a test.

    A request's session must be closed when the response is sent, whatever failed
    (``market.core.deps.close_left_open``): a connection still out here is a leak, and on
    SQLite it would hold the write lock into the next test.
    """
    pool = client.app.state.engine.pool
    client.blocking_portal.call(asyncio.sleep, 0)
    assert pool.checkedout() == 0, f"the app still holds {pool.checkedout()} connection(s)"


_serial = itertools.count(1)
#: This test's settings, for :class:`Actors` driving a client that is not a Litestar test
#: client (an httpx client over a wrapped app has no ``app.state`` to reach the database by).
_current: dict[str, Settings] = {}


class Actors:
    """Builds users, organisations and sites through the real API, as a client would."""

    def __init__(self, client: AsyncTestClient[Litestar], *, verify_orgs: bool = False) -> None:
        self.client = client
        #: Whether :meth:`org` has a regulator verify each new organisation by default.
        self.verify_orgs = verify_orgs
        self._verifier: dict[str, str] | None = None

    async def user(self, name: str | None = None) -> dict[str, str]:
        """Register and log in; returns the Authorization header."""
        name = name or f"user{next(_serial)}"
        email = f"{name}@example.cn"
        r = await self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "secret-pass-1", "display_name": name},
        )
        assert r.status_code == 201, r.text
        return await self.login(email, "secret-pass-1")

    async def login(self, email: str, password: str) -> dict[str, str]:
        r = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def org(
        self,
        headers: dict[str, str],
        kind: str = "producer",
        district: str = "420802",
        name: str = "",
        *,
        verified: bool | None = None,
    ) -> dict[str, Any]:
        """Register an organisation; with ``verified`` (default: ``verify_orgs``) a regulator
        then verifies it through the real endpoint."""
        serial = next(_serial)
        r = await self.client.post(
            "/api/v1/organizations",
            headers=headers,
            json={
                "name": name or f"测试企业{serial}",
                "uscc": make_uscc(district, 900000 + serial),
                "kind": kind,
                "district_code": district,
            },
        )
        assert r.status_code == 201, r.text
        org = dict(r.json())
        if self.verify_orgs if verified is None else verified:
            await self.verify(org["id"])
            org["verified"] = True
        return org

    async def verifier(self) -> dict[str, str]:
        """A regulator of this test's own (made once, as the CLI would), who verifies orgs."""
        if self._verifier is None:
            email = f"verifier{next(_serial)}@example.cn"
            await self._make_regulator(email, "verifier-pass-1")
            self._verifier = await self.login(email, "verifier-pass-1")
        return self._verifier

    async def _make_regulator(self, email: str, password: str) -> None:
        from market.accounts.service import create_user
        from market.core.db import make_engine, make_sessionmaker, transaction

        # An engine of its own: the app's runs in the client's event loop, not the test's.
        state = getattr(getattr(self.client, "app", None), "state", None)
        settings = state.settings if state is not None else _current["settings"]
        engine = make_engine(settings)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await create_user(session, email, password, "核验员", role="regulator")
        finally:
            await engine.dispose()

    async def verify(self, org_id: int) -> None:
        r = await self.client.post(
            f"/api/v1/organizations/{org_id}/verify",
            headers=await self.verifier(),
            json={"note": "营业执照 checked (test)"},
        )
        assert r.status_code == 200, r.text

    async def site(
        self, headers: dict[str, str], org_id: int, lon: float = 112.20, lat: float = 31.03
    ) -> dict[str, Any]:
        r = await self.client.post(
            f"/api/v1/organizations/{org_id}/sites",
            headers=headers,
            json={"name": f"厂区{next(_serial)}", "address": "荆门市", "lon": lon, "lat": lat},
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def producer(
        self, lon: float = 112.20, lat: float = 31.03, kind: str = "producer"
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        """A user with an organisation and one site: (headers, org, site)."""
        headers = await self.user()
        org = await self.org(headers, kind=kind)
        site = await self.site(headers, org["id"], lon, lat)
        return headers, org, site


@pytest.fixture
def actors(client: AsyncTestClient[Litestar]) -> Actors:
    return Actors(client)


def assert_problem(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    """An RFC 9457 problem with this status whose text mentions every fragment."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["detail"]
    text_ = response.text
    for fragment in fragments:
        assert fragment in text_, f"{fragment!r} not in {text_}"
    return body


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Fold the skipped tests into one line per reason instead of one line per test."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"SKIPPED {count} tests: {reason}")
