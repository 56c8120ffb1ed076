"""People, organisations, who belongs where, and what they are licensed to receive."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import tonnes

ORG_KINDS = ("producer", "consumer", "recycler", "carrier", "regulator")
MEMBER_ROLES = ("admin", "member")
#: Platform-wide roles of a user; "user" is everybody, the others are created with the CLI.
USER_ROLES = ("user", "regulator", "admin")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=100)
    role: str = Field(default="user", max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no tokens."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    expires_at: datetime = Field(sa_column=ts_column())


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    uscc: str = Field(sa_column=Column(String(18), nullable=False, unique=True))
    kind: str = Field(max_length=20)
    district_code: str = Field(max_length=12)
    #: On the MIIT list of compliant traction-battery recyclers (set by the platform admin).
    miit_listed: bool = False
    #: On the MIIT list as a cascade-use (梯次利用) firm: only these take cascade-use battery
    #: lots (:mod:`market.trading.eligibility`); set by regulators like ``miit_listed``.
    miit_cascade_listed: bool = False
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secret: str | None = Field(default=None, max_length=100)
    #: A regulator checked the 统一社会信用代码 against the business licence (营业执照); until
    #: then anyone could be posing as anyone, so views mark it and large deals are refused
    #: (:mod:`market.accounts.verification`). Who checked, how and when is in the audit trail.
    verified: bool = False
    verified_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class Permit(SQLModel, table=True):
    """A hazardous-waste operating permit (危险废物经营许可证) of a given waste kind.

    ``annual_capacity_t`` is the licensed yearly tonnage (经营规模, t/yr); deals count against
    it per calendar year (:mod:`market.accounts.permit_use`). None: recorded without one.
    """

    __tablename__ = "permits"
    __table_args__ = (
        CheckConstraint(
            "annual_capacity_t IS NULL OR annual_capacity_t > 0", name="capacity_positive"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    number: str = Field(default="", max_length=100)
    valid_until: date = Field(index=True)
    annual_capacity_t: Decimal | None = Field(default=None, sa_column=Column(tonnes()))


class Site(SQLModel, table=True):
    """A plant, yard or stockpile. Coordinates are always WGS84, whatever the user typed."""

    __tablename__ = "sites"
    # Geo search's bounding box, answered from the index alone (migration 0017).
    __table_args__ = (Index("ix_sites_position", "lat", "lon"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    lon: float
    lat: float
    district_code: str | None = Field(default=None, max_length=12, index=True)
    park_code: str | None = Field(default=None, max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class AuthAttempt(SQLModel, table=True):
    """Failed logins (and refused registrations) per key and fixed time window.

    Kept in the database, not in process memory, so every worker of the server counts the
    same attempts (``market.accounts.throttle``). ``key`` is the SHA-256 of scope and value
    (an e-mail or a client address): the table never holds what someone typed as an e-mail.
    """

    __tablename__ = "auth_attempts"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    #: Start of the window, whole seconds since the epoch.
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True, index=True))
    failures: int = 0
