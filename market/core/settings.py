"""Settings read from the environment (``MARKET_`` prefix), with pydantic-settings.

One frozen object built at start-up: the app and the CLI call :meth:`Settings.from_env`, tests
build their own with keywords (``Settings(database_url=..., env="test")``; keywords win over
the environment). Production mode refuses the development defaults that would be unsafe on a
real server. Every field is listed in README "Configuration".
"""

from __future__ import annotations

import itertools
import math
import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import pydantic_settings
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from market.core.co2_factors import DEFAULT_ROAD_KG_CO2E_PER_T_KM, Co2Factor, default_co2_factors

#: Repository root (the folder holding ``pyproject.toml``) when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "market.sqlite3"
ENV_PREFIX = "MARKET_"

#: Shortest ``MARKET_SECRET_KEY`` accepted: it keys the HMAC of the web pages' CSRF tokens.
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def default_database_url() -> str:
    """The embedded SQLite database under ``var/``, used when nothing else is configured."""
    return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"


def _random_secret() -> str:
    """Fine for one development process; production must configure a key so that every
    worker process (and a restart) accepts the CSRF tokens the others issued."""
    return secrets.token_urlsafe(32)


# Finite and ≥ 0; seconds are floats (asyncio sleeps), rates and factors exact Decimals.
NonNegativeDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
NonNegativeSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Settings(BaseSettings):
    """Everything the service can be configured with; see README "Configuration"."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # An empty variable means unset (the default), as ``MARKET_OSRM_URL=`` in a compose file.
        env_ignore_empty=True,
        frozen=True,
    )

    database_url: str = Field(default_factory=default_database_url, repr=False)
    env: Literal["development", "production", "test"] = "development"
    #: Database fault limits (market.core.db): a server that is away or stalled answers 503
    #: after these, never a request hanging for the driver's 60 s default. Connect covers TCP
    #: and authentication; the statement timeout is PostgreSQL's statement_timeout (the client
    #: gives up one second later on a server that stopped answering); the pool timeout is the
    #: wait for a free connection; SQLite's busy timeout is a writer's wait for the lock.
    database_connect_timeout_seconds: PositiveSeconds = 5.0
    database_statement_timeout_seconds: PositiveSeconds = 15.0
    database_pool_timeout_seconds: PositiveSeconds = 10.0
    database_busy_timeout_seconds: PositiveSeconds = 5.0
    #: How long a read-only request may trust what this worker kept: a bearer token checked
    #: (market.accounts.deps.TokenCache) and an answer of matches or a search, for changes its
    #: stamp does not see (market.core.response_cache); 0 keeps nothing.
    read_cache_seconds: NonNegativeSeconds = 1.0
    #: Freight rate for delivered-cost matching, CNY per tonne-km (DOMAIN §4: 0.3–0.6, unconfirmed).
    freight_cny_per_t_km: NonNegativeDecimal = Decimal("0.45")
    #: Road distance ≈ geodesic × circuity when no routing server is configured.
    circuity: NonNegativeDecimal = Decimal("1.3")
    osrm_url: str | None = None
    geocoder: str | None = None
    token_ttl_hours: int = 24 * 7
    log_sql: bool = False
    #: Weighbridge tolerance between dispatch and receipt before a shipment is disputed.
    receipt_tolerance_pct: NonNegativeDecimal = Decimal("2")
    shipment_overdue_hours: int = 72
    #: Seconds between the app's runs of the trading jobs (close tenders, expire bids, flag
    #: overdue shipments); 0 disables them (cron runs ``market tenders close-due`` instead).
    tender_poll_seconds: NonNegativeSeconds = 30.0
    #: Ledger balance slack in tonnes (rounding), on top of the receipt tolerance on receipts.
    ledger_balance_tolerance_t: NonNegativeDecimal = Decimal("1")
    #: Road freight emissions, kg CO2e per t·km (DOMAIN §4: 0.08–0.10, unconfirmed).
    road_kg_co2e_per_t_km: NonNegativeDecimal = DEFAULT_ROAD_KG_CO2E_PER_T_KM
    #: CO2 avoided per received tonne by declared use, with sources (market.core.co2_factors).
    #: From the environment: a JSON object ``{use: {t_co2_per_t, source, confirmed}}`` that
    #: replaces the whole table.
    co2_factors: Mapping[str, Co2Factor] = Field(default_factory=default_co2_factors)
    #: Keys the web pages' CSRF tokens; random per process unless MARKET_SECRET_KEY is set.
    secret_key: str = Field(
        default_factory=_random_secret, min_length=MIN_SECRET_KEY_LENGTH, repr=False
    )
    #: Seconds between the app's webhook sends (see :attr:`webhook_poll_interval`); None means
    #: the default: 5, except under ``env="test"`` where tests drive ``deliver_due`` themselves.
    webhook_poll_seconds: NonNegativeSeconds | None = None
    #: Per-POST timeout; a receiver slower than this counts as a failed attempt.
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    #: Attempts before a delivery is marked failed; retries back off exponentially from
    #: webhook_backoff_seconds (30 s, 1 min, 2 min, … capped at an hour).
    webhook_max_attempts: int = Field(default=6, ge=1)
    webhook_backoff_seconds: NonNegativeSeconds = 30.0
    #: Failed logins per e-mail, and per client address, in one login_window_seconds window
    #: before further attempts are answered 429 (counted in the database, shared by workers).
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, gt=0)
    #: Registrations refused because the e-mail is taken, per client address and hour.
    register_max_taken_per_client: int = Field(default=10, ge=1)
    #: Webhook receivers exempt from the public-address rule (market.alerts.egress):
    #: comma-separated ``host[:port]`` (no port: every port), matched as the URL writes it.
    webhook_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    #: Ledger import limits (market.ledger.reading): a file over any of them is refused with
    #: 413 before it can hold a worker. Data rows, columns, the .xlsx unpacked size (MB) and
    #: any large member's compression ratio, and the seconds allowed to read the file.
    ledger_import_max_rows: int = Field(default=20_000, ge=1)
    ledger_import_max_columns: int = Field(default=64, ge=13)
    ledger_import_max_unpacked_mb: int = Field(default=50, ge=1)
    ledger_import_max_ratio: int = Field(default=100, ge=10)
    ledger_import_seconds: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    #: Seconds a city-wide allocation's solve may take in its worker process
    #: (market.stats.allocation_worker); past it the worker is killed and the request is 503.
    allocation_seconds: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    #: Largest deal (tonnes) an organisation no regulator has verified may close, as buyer or
    #: seller (market.accounts.verification).
    unverified_deal_limit_t: NonNegativeDecimal = Decimal("100")
    #: Lab reports attached to listings (market.offers.documents) are files under this
    #: folder, named by their SHA-256, never rows of the database; an upload larger than
    #: document_max_bytes is refused with 413 while it is being read.
    document_dir: Path = Field(default_factory=lambda: PROJECT_ROOT / "var" / "documents")
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    @field_validator("co2_factors", mode="before")
    @classmethod
    def _use_from_key(cls, value: Any) -> Any:
        """In JSON the table's key names the use, so an entry need not repeat it."""
        if not isinstance(value, Mapping):
            return value
        return {
            use: {"use": use, **item} if isinstance(item, Mapping) else item
            for use, item in value.items()
        }

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: Any) -> Any:
        """``erp.example.cn, 10.0.0.5:8080, [fd00::1]:443`` → normalised entries."""
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            return value
        return tuple(_host_entry(str(item)) for item in value if str(item).strip())

    @model_validator(mode="after")
    def _production_rules(self) -> Self:
        """Production must name its database and its secret: the defaults are for one
        development process (a local SQLite file, a key that dies with the process)."""
        if self.env == "production":
            for name in ("database_url", "secret_key"):
                if name not in self.model_fields_set:
                    raise PydanticCustomError(
                        "production",
                        "{variable} must be set in production mode",
                        {"variable": env_name(name)},
                    )
            problems = production_problems(self)
            if problems:
                raise PydanticCustomError("production", "; ".join(problems))
        return self

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
        """A copy on another database (``model_copy``: no re-validation, no environment)."""
        return self.model_copy(update={"database_url": url})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``MARKET_*`` variables of ``environ`` (default: the process
        environment, and only it); raises SettingsError naming each bad variable."""
        try:
            if environ is None:
                return cls()
            # Only the mapping: no keywords, no os.environ (BaseSettings.__init__'s own
            # parameter; the field-typed __init__ mypy synthesises does not list it).
            no_keywords: dict[str, Any] = {}
            sources = (_MappingSource(cls, environ),)
            return cls(_build_sources=(sources, no_keywords))  # type: ignore[call-arg]
        except ValidationError as exc:
            raise SettingsError(describe(exc)) from exc
        except pydantic_settings.SettingsError as exc:  # a JSON value that does not parse
            field = re.search(r'field "(\w+)"', str(exc))
            name = env_name(field.group(1)) if field else "a MARKET_ variable"
            raise SettingsError(f"{name} must be valid JSON: {exc.__cause__}") from exc


def _host_entry(text: str) -> str:
    """``host`` or ``host:port``, lower-case, IPv6 in brackets; anything else is an error."""
    entry = text.strip().lower()
    try:
        parts = urlsplit(f"//{entry}")
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{entry!r} is not host[:port]: {exc}") from None
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in entry:
        raise ValueError(f"{entry!r} is not host[:port]")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host if port is None else f"{host}:{port}"


#: Least estimated entropy of MARKET_SECRET_KEY in production, in bits: a random
#: ``token_urlsafe(32)`` scores about 200, 32 random hex digits 100 to 125, "a" × 32 none.
MIN_SECRET_KEY_BITS = 80


def estimated_bits(secret: str) -> float:
    """A cheap guess at a secret's entropy, not a proof of randomness.

    The Shannon entropy of its characters and, whichever is less, of the steps between
    neighbouring characters, times the length; a repeating secret counts one period only.
    That catches repeated characters ("a" × 32), short alphabets, runs ("abcdef…",
    "0123456789" × 4) and repeated words, while any random key of 32+ characters passes.
    """
    period = next(
        (p for p in range(1, len(secret) // 2 + 1) if secret[p:] == secret[:-p]), len(secret)
    )
    chars = secret[:period]
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(chars)]
    return min(_shannon_bits(list(chars)), _shannon_bits(steps) + 8.0)


def _shannon_bits(symbols: Sequence[object]) -> float:
    counts = Counter(symbols)
    n = len(symbols)
    return -sum(c * math.log2(c / n) for c in counts.values()) if n else 0.0


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unfit for a real server (SQLite is one file on one host:
    no concurrent writers across workers, no replication; a guessable key forges CSRF
    tokens; a token that never lives or a window of zero disables logins or limits)."""
    problems = []
    if settings.is_sqlite:
        problems.append(f"{env_name('database_url')} must be PostgreSQL in production mode")
    if estimated_bits(settings.secret_key) < MIN_SECRET_KEY_BITS:
        problems.append(
            f"{env_name('secret_key')} is too predictable for production mode (use e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    for name in ("token_ttl_hours", "shipment_overdue_hours"):
        if getattr(settings, name) <= 0:
            problems.append(f"{env_name(name)} must be positive in production mode")
    return problems


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment parsing (prefix, empty = unset, JSON for the CO2 table)
    applied to a given mapping instead of ``os.environ``, so a test's mapping is all it reads."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        # As os.environ is read under this config: names case-insensitive, empty means unset.
        self.env_vars = {name.lower(): value for name, value in environ.items() if value != ""}


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


#: Values never echoed in an error message (the URL may carry a password).
_SECRET_FIELDS = frozenset({"secret_key", "database_url"})


def describe(exc: ValidationError) -> str:
    """One sentence per error, each starting with the variable's name."""
    return "; ".join(_sentence(e) for e in exc.errors())


def _sentence(error: ErrorDetails) -> str:
    loc = error["loc"]
    if not loc:  # a rule across fields, e.g. production's: its message names the variable
        return error["msg"]
    variable = env_name(str(loc[0])) + "".join(f"[{part}]" for part in loc[1:])
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind in ("int_parsing", "int_from_float", "int_type"):
        phrase = "must be a whole number"
    elif kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        phrase = "must be a decimal number"
    elif kind == "finite_number":
        phrase = "must be a finite number"
    elif kind == "greater_than_equal" and ctx.get("ge") == 0:
        phrase = "must be a non-negative number"
    elif kind == "greater_than_equal" and isinstance(ctx.get("ge"), int):
        phrase = f"must be a whole number ≥ {ctx['ge']}"
    elif kind == "greater_than":
        phrase = f"must be greater than {ctx['gt']}"
    elif kind == "string_too_short":
        phrase = f"must be at least {ctx['min_length']} characters long"
    elif kind == "bool_parsing":
        phrase = "must be true or false (1/0, yes/no, on/off)"
    elif kind == "literal_error":
        phrase = f"must be {ctx['expected']}"
    else:
        phrase = f"is invalid: {error['msg']}"
    if str(loc[0]) in _SECRET_FIELDS:
        return f"{variable} {phrase}"
    return f"{variable} {phrase}, got {error['input']!r}"
