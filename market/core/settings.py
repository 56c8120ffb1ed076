"""Settings read from the environment (``MARKET_`` prefix).

One frozen object built at start-up, so a test can build its own app with its own settings
and nothing reads ``os.environ`` behind its back. Production mode refuses the development
defaults that would be unsafe on a real server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from market.core.co2_factors import DEFAULT_ROAD_KG_CO2E_PER_T_KM, Co2Factor, default_co2_factors

#: Repository root (the folder holding ``pyproject.toml``) when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "market.sqlite3"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def default_database_url() -> str:
    """The embedded SQLite database under ``var/``, used when nothing else is configured."""
    return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"


#: Shortest ``MARKET_SECRET_KEY`` accepted: it keys the HMAC of the web pages' CSRF tokens.
MIN_SECRET_KEY_LENGTH = 32


def _secret_key(env: Mapping[str, str], mode: str) -> str:
    """The configured secret, or (outside production) a random one for this process only.

    A random key is fine for one development process; production must configure one so that
    every worker process (and a restart) accepts the CSRF tokens the others issued.
    """
    raw = env.get("MARKET_SECRET_KEY", "")
    if not raw:
        if mode == "production":
            raise SettingsError("MARKET_SECRET_KEY must be set in production mode")
        return secrets.token_urlsafe(32)
    if len(raw) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"MARKET_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long"
        )
    return raw


def _decimal(env: Mapping[str, str], name: str, default: str) -> Decimal:
    raw = env.get(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise SettingsError(f"{name} must be a decimal number, got {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name} must be a non-negative number, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; see README "Configuration"."""

    database_url: str = field(default_factory=default_database_url)
    env: str = "development"
    #: Freight rate for delivered-cost matching, CNY per tonne-km (DOMAIN §4: 0.3–0.6, unconfirmed).
    freight_cny_per_t_km: Decimal = Decimal("0.45")
    #: Road distance ≈ geodesic × circuity when no routing server is configured.
    circuity: Decimal = Decimal("1.3")
    osrm_url: str | None = None
    geocoder: str | None = None
    token_ttl_hours: int = 24 * 7
    log_sql: bool = False
    #: Weighbridge tolerance between dispatch and receipt before a shipment is disputed.
    receipt_tolerance_pct: Decimal = Decimal("2")
    shipment_overdue_hours: int = 72
    #: Seconds between the app's runs of the due-jobs task (close tenders, expire bids, flag
    #: overdue shipments); 0 disables it (cron runs ``market tenders close-due`` instead).
    tender_poll_seconds: float = 30.0
    #: Ledger balance slack in tonnes (rounding), on top of the receipt tolerance on receipts.
    ledger_balance_tolerance_t: Decimal = Decimal("1")
    #: Road freight emissions, kg CO2e per t·km (DOMAIN §4: 0.08–0.10, unconfirmed).
    road_kg_co2e_per_t_km: Decimal = DEFAULT_ROAD_KG_CO2E_PER_T_KM
    #: CO2 avoided per received tonne by declared use, with sources (market.core.co2_factors).
    co2_factors: Mapping[str, Co2Factor] = field(default_factory=default_co2_factors)
    #: Keys the web pages' CSRF tokens; random per process unless MARKET_SECRET_KEY is set.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    #: Seconds between the app's webhook sends (see :attr:`webhook_poll_interval`); None means
    #: the default: 5, except under ``env="test"`` where tests drive ``deliver_due`` themselves.
    webhook_poll_seconds: float | None = None
    #: Per-POST timeout; a receiver slower than this counts as a failed attempt.
    webhook_timeout_seconds: float = 5.0
    #: Attempts before a delivery is marked failed; retries back off exponentially from
    #: webhook_backoff_seconds (30 s, 1 min, 2 min, … capped at an hour).
    webhook_max_attempts: int = 6
    webhook_backoff_seconds: float = 30.0

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def webhook_poll_interval(self) -> float:
        """The webhook sender's period in seconds; 0 is off (cron runs the CLI instead)."""
        if self.webhook_poll_seconds is not None:
            return self.webhook_poll_seconds
        return 0.0 if self.env == "test" else 5.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``MARKET_*`` variables; raises SettingsError naming the variable."""
        env = os.environ if env is None else env
        mode = env.get("MARKET_ENV", "development")
        if mode not in ("development", "production", "test"):
            raise SettingsError(f"MARKET_ENV must be development, production or test, got {mode!r}")
        url = env.get("MARKET_DATABASE_URL")
        if mode == "production" and not url:
            raise SettingsError("MARKET_DATABASE_URL must be set in production mode")
        try:
            ttl = int(env.get("MARKET_TOKEN_TTL_HOURS", "168"))
            overdue = int(env.get("MARKET_SHIPMENT_OVERDUE_HOURS", "72"))
        except ValueError as exc:
            raise SettingsError(f"an hours setting is not a whole number: {exc}") from exc
        secret_key = _secret_key(env, mode)
        return cls(
            database_url=url or default_database_url(),
            env=mode,
            freight_cny_per_t_km=_decimal(env, "MARKET_FREIGHT_CNY_PER_T_KM", "0.45"),
            circuity=_decimal(env, "MARKET_CIRCUITY", "1.3"),
            osrm_url=env.get("MARKET_OSRM_URL") or None,
            geocoder=env.get("MARKET_GEOCODER") or None,
            token_ttl_hours=ttl,
            log_sql=env.get("MARKET_LOG_SQL", "") in ("1", "true", "yes"),
            receipt_tolerance_pct=_decimal(env, "MARKET_RECEIPT_TOLERANCE_PCT", "2"),
            shipment_overdue_hours=overdue,
            tender_poll_seconds=float(_decimal(env, "MARKET_TENDER_POLL_SECONDS", "30")),
            ledger_balance_tolerance_t=_decimal(env, "MARKET_LEDGER_BALANCE_TOLERANCE_T", "1"),
            road_kg_co2e_per_t_km=_decimal(
                env, "MARKET_ROAD_KG_CO2E_PER_T_KM", str(DEFAULT_ROAD_KG_CO2E_PER_T_KM)
            ),
            secret_key=secret_key,
            **_webhook_settings(env),
        )


def _webhook_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """``MARKET_WEBHOOK_*``: poll seconds (0 disables; unset = the default), timeout seconds,
    max attempts (≥ 1) and backoff base seconds."""
    poll = None
    if env.get("MARKET_WEBHOOK_POLL_SECONDS"):
        poll = float(_decimal(env, "MARKET_WEBHOOK_POLL_SECONDS", "5"))
    raw_attempts = env.get("MARKET_WEBHOOK_MAX_ATTEMPTS", "6")
    try:
        attempts = int(raw_attempts)
    except ValueError:
        attempts = 0
    if attempts < 1:
        raise SettingsError(
            f"MARKET_WEBHOOK_MAX_ATTEMPTS must be a whole number ≥ 1, got {raw_attempts!r}"
        )
    timeout = float(_decimal(env, "MARKET_WEBHOOK_TIMEOUT_SECONDS", "5"))
    if timeout <= 0:
        raise SettingsError("MARKET_WEBHOOK_TIMEOUT_SECONDS must be greater than 0")
    return {
        "webhook_poll_seconds": poll,
        "webhook_timeout_seconds": timeout,
        "webhook_max_attempts": attempts,
        "webhook_backoff_seconds": float(_decimal(env, "MARKET_WEBHOOK_BACKOFF_SECONDS", "30")),
    }
