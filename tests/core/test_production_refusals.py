"""Production mode refuses SQLite, guessable secrets, non-positive lifetimes and demo logins."""

from __future__ import annotations

import secrets

import pytest
from litestar.testing import AsyncTestClient

from market.accounts.production import count_demo_accounts, purge_demo_accounts
from market.accounts.service import create_user
from market.app import create_app
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings, SettingsError, estimated_bits
from tests.conftest import assert_problem

PG = "postgresql+asyncpg://u:pw@h/db"
GOOD_KEY = secrets.token_urlsafe(32)


def _production(**env: str) -> Settings:
    base = {"MARKET_ENV": "production", "MARKET_DATABASE_URL": PG, "MARKET_SECRET_KEY": GOOD_KEY}
    return Settings.from_env({**base, **env})


def test_a_proper_production_configuration_is_accepted() -> None:
    assert _production().production


def test_sqlite_is_refused_in_production() -> None:
    with pytest.raises(SettingsError, match="MARKET_DATABASE_URL must be PostgreSQL"):
        _production(MARKET_DATABASE_URL="sqlite+aiosqlite:///var/market.sqlite3")


@pytest.mark.parametrize("key", ["a" * 32, "ab" * 20, "0123456789" * 4, "k" * 64])
def test_low_entropy_secrets_are_refused_in_production(key: str) -> None:
    with pytest.raises(SettingsError, match="MARKET_SECRET_KEY is too predictable") as info:
        _production(MARKET_SECRET_KEY=key)
    assert key not in str(info.value)


def test_random_keys_pass_the_entropy_check() -> None:
    assert all(estimated_bits(secrets.token_hex(16)) >= 80 for _ in range(200))
    assert estimated_bits("a" * 32) == 0


@pytest.mark.parametrize("name", ["MARKET_TOKEN_TTL_HOURS", "MARKET_SHIPMENT_OVERDUE_HOURS"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_non_positive_lifetimes_are_refused_in_production(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be positive"):
        _production(**{name: value})


def test_development_keeps_its_conveniences() -> None:
    s = Settings.from_env({"MARKET_SECRET_KEY": "a" * 32})
    assert s.is_sqlite and not s.production


async def test_production_refuses_to_start_while_demo_accounts_exist(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        factory = make_sessionmaker(engine)
        async with transaction(factory) as session:
            await create_user(
                session, "admin@demo.jingmen.example", "demo-admin-2026", "平台管理员"
            )
            await create_user(session, "real@example.cn", "secret-pass-1", "真用户")
        production = settings.model_copy(update={"env": "production"})
        with pytest.raises(BaseExceptionGroup) as refused:  # the lifespan's task group
            async with AsyncTestClient(app=create_app(production)):
                pass
        assert refused.group_contains(RuntimeError, match="1 demo account.*market demo purge")

        async with transaction(factory) as session:
            assert await purge_demo_accounts(session) == 1
        async with transaction(factory) as session:
            assert await count_demo_accounts(session) == 0
        async with AsyncTestClient(app=create_app(production)) as c:
            r = await c.post(
                "/api/v1/auth/login",
                json={"email": "admin@demo.jingmen.example", "password": "demo-admin-2026"},
            )
            assert_problem(r, 401)
            r = await c.post(
                "/api/v1/auth/login", json={"email": "real@example.cn", "password": "secret-pass-1"}
            )
            assert r.status_code == 201, r.text
    finally:
        await engine.dispose()
