"""The signature scheme receivers implement, the backoff schedule and the webhook settings."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from market.alerts.webhooks import MAX_BACKOFF_SECONDS, backoff_seconds, sign, verify_signature
from market.core.settings import Settings, SettingsError

BODY = '{"event":"listing_match","data":{"title":"二级粉煤灰"}}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(
        b"s3cret", b"1700000000." + BODY.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    assert sign("s3cret", 1700000000, BODY) == f"sha256={expected}"
    assert sign("s3cret", "1700000000", BODY.encode()) == f"sha256={expected}"


def test_verify_signature_refuses_anything_altered() -> None:
    header = sign("s3cret", 1700000000, BODY)
    assert verify_signature("s3cret", 1700000000, BODY, header)
    assert verify_signature("s3cret", "1700000000", BODY.encode(), header)
    assert not verify_signature("other", 1700000000, BODY, header)
    assert not verify_signature("s3cret", 1700000001, BODY, header)
    assert not verify_signature("s3cret", 1700000000, BODY + " ", header)
    assert not verify_signature("s3cret", 1700000000, BODY, header.removeprefix("sha256="))
    assert not verify_signature("s3cret", 1700000000, BODY, header.upper())
    assert not verify_signature("s3cret", 1700000000, BODY, None)
    assert not verify_signature("s3cret", 1700000000, BODY, "")


def test_verify_signature_can_refuse_replays() -> None:
    sent = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    ts = int(sent.timestamp())
    header = sign("k", ts, BODY)
    soon = datetime(2026, 11, 24, 8, 4, tzinfo=UTC)
    late = datetime(2026, 11, 24, 8, 6, tzinfo=UTC)
    assert verify_signature("k", ts, BODY, header, tolerance_seconds=300, now=soon)
    assert not verify_signature("k", ts, BODY, header, tolerance_seconds=300, now=late)
    assert not verify_signature("k", "yesterday", BODY, header, tolerance_seconds=300, now=soon)


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    settings = Settings(env="test")
    assert [backoff_seconds(settings, n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert backoff_seconds(settings, 30) == MAX_BACKOFF_SECONDS


def test_webhook_settings_from_the_environment() -> None:
    default = Settings.from_env({})
    assert default.webhook_poll_interval == 5
    assert default.webhook_timeout_seconds == 5 and default.webhook_max_attempts == 6
    assert default.webhook_backoff_seconds == 30
    assert Settings.from_env({"MARKET_ENV": "test"}).webhook_poll_interval == 0
    explicit = Settings.from_env(
        {
            "MARKET_ENV": "test",
            "MARKET_WEBHOOK_POLL_SECONDS": "0.5",
            "MARKET_WEBHOOK_TIMEOUT_SECONDS": "2.5",
            "MARKET_WEBHOOK_MAX_ATTEMPTS": "3",
            "MARKET_WEBHOOK_BACKOFF_SECONDS": "10",
        }
    )
    assert explicit.webhook_poll_interval == 0.5 and explicit.webhook_timeout_seconds == 2.5
    assert explicit.webhook_max_attempts == 3 and explicit.webhook_backoff_seconds == 10
    assert Settings.from_env({"MARKET_WEBHOOK_POLL_SECONDS": "0"}).webhook_poll_interval == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MARKET_WEBHOOK_MAX_ATTEMPTS", "0", "MARKET_WEBHOOK_MAX_ATTEMPTS must be a whole number"),
        ("MARKET_WEBHOOK_MAX_ATTEMPTS", "lots", "MARKET_WEBHOOK_MAX_ATTEMPTS must be a whole"),
        ("MARKET_WEBHOOK_TIMEOUT_SECONDS", "0", "MARKET_WEBHOOK_TIMEOUT_SECONDS must be greater"),
        ("MARKET_WEBHOOK_POLL_SECONDS", "-1", "MARKET_WEBHOOK_POLL_SECONDS must be a non-negative"),
        ("MARKET_WEBHOOK_BACKOFF_SECONDS", "x", "MARKET_WEBHOOK_BACKOFF_SECONDS must be a decimal"),
    ],
)
def test_bad_webhook_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})
