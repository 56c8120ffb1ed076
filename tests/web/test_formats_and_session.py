"""Pure pieces of the web layer: redirect targets, the secret-key setting, number formats."""

from __future__ import annotations

import pytest

from market.accounts.web_session import safe_next
from market.core.settings import Settings, SettingsError
from market.web.format import number, pct, price


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/listings?material=fly_ash", "/listings?material=fly_ash"),
        (None, "/my"),
        ("", "/my"),
        ("https://evil.example/", "/my"),
        ("//evil.example/x", "/my"),
        ("/\\evil.example", "/my"),
        ("/my\r\nSet-Cookie: x=1", "/my"),
        ("/login?next=/login", "/my"),
    ],
)
def test_only_same_site_paths_are_redirect_targets(raw: str | None, expected: str) -> None:
    assert safe_next(raw) == expected


def test_production_requires_a_secret_key() -> None:
    env = {"MARKET_ENV": "production", "MARKET_DATABASE_URL": "postgresql+asyncpg://u@h/db"}
    with pytest.raises(SettingsError, match="MARKET_SECRET_KEY"):
        Settings.from_env(env)
    with pytest.raises(SettingsError, match="MARKET_SECRET_KEY"):
        Settings.from_env(env | {"MARKET_SECRET_KEY": "short"})
    key = "vQ7x-Lm2Rz9Kp4Tw8Yb1Nc6Hd3Fg0Js5Ue"  # random-looking: production refuses "k" * 40
    assert Settings.from_env(env | {"MARKET_SECRET_KEY": key}).secret_key == key


def test_development_gets_a_random_secret_that_is_never_printed() -> None:
    a, b = Settings.from_env({}), Settings.from_env({})
    assert len(a.secret_key) >= 32 and a.secret_key != b.secret_key
    assert a.secret_key not in repr(a)


def test_numbers_and_prices_read_naturally() -> None:
    assert number("12345.500") == "12,345.5"
    assert number("-0.000") == "0"
    assert number(None) == "–"
    assert pct("60") == "60.00"
    fee = price("-12.50")
    assert fee["kind"] == "fee" and fee["zh"] == "处置费" and fee["amount"] == "12.5"
    assert price("30.00")["kind"] == "sale"
