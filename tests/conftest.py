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
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from market.accounts.uscc import make_uscc
from market.app import create_app
from market.catalogue.sync import sync_catalogue
from market.core.db import make_engine, make_sessionmaker, metadata, transaction
from market.core.migrate import upgrade
from market.core.settings import Settings

PG_ENV = "MARKET_TEST_DATABASE_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"
#: Tables holding the catalogue, kept between tests; everything else is emptied.
CATALOGUE_TABLES = {"materials", "material_parameters", "grades", "grade_limits", "alembic_version"}
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


async def _seed_catalogue(url: str) -> None:
    engine = make_engine(Settings(database_url=url, env="test"))
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await sync_catalogue(session)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database with the catalogue, one per backend per test session."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'market.sqlite3'}"
        upgrade(url)
        asyncio.run(_seed_catalogue(url))
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
    asyncio.run(_seed_catalogue(url))
    yield url
    asyncio.run(_drop_pg_database(url))


async def _empty_tables(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        async with engine.begin() as conn:
            existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            # Only tables the migrations created: tests/test_migrations.py checks they match
            # the models, so a model without a migration fails there rather than everywhere.
            tables = [
                t.name
                for t in reversed(metadata.sorted_tables)
                if t.name not in CATALOGUE_TABLES and t.name in existing
            ]
            if settings.is_sqlite:
                for name in tables:
                    await conn.execute(text(f'DELETE FROM "{name}"'))
            else:
                joined = ", ".join(f'"{n}"' for n in tables)
                await conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def settings(database_url: str) -> Settings:
    # Background jobs off: tests that exercise them build their own settings.
    s = Settings(database_url=database_url, env="test", tender_poll_seconds=0)
    await _empty_tables(s)
    return s


@pytest.fixture
async def mutable_catalogue(settings: Settings) -> AsyncIterator[Settings]:
    """For tests that edit the catalogue: afterwards it is rebuilt from the seed."""
    yield settings
    await _empty_tables(settings)
    engine = make_engine(settings)
    try:
        async with engine.begin() as conn:
            for name in ("grade_limits", "grades", "material_parameters", "materials"):
                await conn.execute(text(f'DELETE FROM "{name}"'))
    finally:
        await engine.dispose()
    await _seed_catalogue(settings.database_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c


_serial = itertools.count(1)


class Actors:
    """Builds users, organisations and sites through the real API, as a client would."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client

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
    ) -> dict[str, Any]:
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
        return dict(r.json())

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
