"""Settings (pydantic-settings): the environment, keywords, production rules, error messages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from market.core.co2_factors import default_co2_factors
from market.core.settings import Settings, SettingsError


def test_defaults_and_keywords() -> None:
    s = Settings(database_url="sqlite+aiosqlite:///x.sqlite3", env="test", tender_poll_seconds=0)
    assert s.is_sqlite and not s.production and s.tender_poll_seconds == 0
    assert s.freight_cny_per_t_km == Decimal("0.45") and s.circuity == Decimal("1.3")
    assert s.co2_factors == default_co2_factors()
    assert s.with_database("postgresql+asyncpg://u@h/db").is_sqlite is False
    assert s.model_copy(update={"webhook_poll_seconds": 1}).webhook_poll_interval == 1


def test_a_mapping_is_all_from_env_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_CIRCUITY", "1.7")
    assert Settings.from_env().circuity == Decimal("1.7")
    assert Settings().circuity == Decimal("1.7"), "the constructor reads the environment"
    assert Settings(circuity=Decimal("1.2")).circuity == Decimal("1.2"), "keywords win"
    assert Settings.from_env({}).circuity == Decimal("1.3")
    assert Settings.from_env({"market_circuity": "2"}).circuity == Decimal("2")


def test_empty_means_unset_and_flags_parse() -> None:
    s = Settings.from_env({"MARKET_OSRM_URL": "", "MARKET_LOG_SQL": "yes", "MARKET_ENV": ""})
    assert s.osrm_url is None and s.log_sql and s.env == "development"


def test_production_needs_its_own_database() -> None:
    key = {"MARKET_ENV": "production", "MARKET_SECRET_KEY": "vQ7x-Lm2Rz9Kp4Tw8Yb1Nc6Hd3Fg0Js5Ue"}
    with pytest.raises(SettingsError, match="MARKET_DATABASE_URL must be set in production"):
        Settings.from_env(key)
    with pytest.raises(SettingsError, match="MARKET_DATABASE_URL must be set in production"):
        Settings.from_env(key | {"MARKET_DATABASE_URL": ""})
    url = "postgresql+asyncpg://u:pw@h/db"
    assert Settings.from_env(key | {"MARKET_DATABASE_URL": url}).production


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MARKET_ENV", "staging", "MARKET_ENV must be 'development', 'production' or 'test'"),
        ("MARKET_TOKEN_TTL_HOURS", "1.5", "MARKET_TOKEN_TTL_HOURS must be a whole number"),
        ("MARKET_CIRCUITY", "NaN", "MARKET_CIRCUITY must be a finite number"),
        ("MARKET_TENDER_POLL_SECONDS", "-3", "MARKET_TENDER_POLL_SECONDS must be a non-negative"),
        ("MARKET_LOG_SQL", "maybe", "MARKET_LOG_SQL must be true or false"),
        ("MARKET_CO2_FACTORS", "{", "MARKET_CO2_FACTORS must be valid JSON"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_secrets_are_not_echoed_in_errors() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"MARKET_SECRET_KEY": "hunter2-short"})
    assert "MARKET_SECRET_KEY" in str(caught.value) and "hunter2" not in str(caught.value)


def test_co2_factors_from_json() -> None:
    table = {
        "mine_backfill": {"t_co2_per_t": "0.01", "source": "site study", "confirmed": True},
        "battery_recycling": {"t_co2_per_t": None, "source": "none yet", "confirmed": False},
    }
    s = Settings.from_env({"MARKET_CO2_FACTORS": json.dumps(table)})
    assert set(s.co2_factors) == set(table)
    backfill = s.co2_factors["mine_backfill"]
    assert backfill.use == "mine_backfill" and backfill.t_co2_per_t == Decimal("0.01")
    assert backfill.confirmed and s.co2_factors["battery_recycling"].t_co2_per_t is None
    bad = {"mine_backfill": {"t_co2_per_t": "lots", "source": "?", "confirmed": True}}
    with pytest.raises(SettingsError, match=r"MARKET_CO2_FACTORS\[mine_backfill\]"):
        Settings.from_env({"MARKET_CO2_FACTORS": json.dumps(bad)})
