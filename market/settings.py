"""Settings read from the environment (``MARKET_`` prefix).

One frozen object built at start-up, so a test can build its own app with its own settings
and nothing reads ``os.environ`` behind its back. Production mode refuses the development
defaults that would be unsafe on a real server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

#: Repository root (the folder holding ``pyproject.toml``) when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "market.sqlite3"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def default_database_url() -> str:
    """The embedded SQLite database under ``var/``, used when nothing else is configured."""
    return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"


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

    @property
    def production(self) -> bool:
        return self.env == "production"

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
        )
