"""Verified organisations: a regulator has checked who they are.

Anyone can register an organisation under any name, "荆门市生态环境局" included, so a name
proves nothing. A regulator verifies an organisation after checking its 统一社会信用代码
against the business licence (营业执照), or by entering the code from the licence, which
must then match the registered one. Until then every view marks the organisation
unverified, and it cannot close a deal above ``MARKET_UNVERIFIED_DEAL_LIMIT_T`` tonnes,
as buyer or as seller: a small trial lot is fine, a large one waits for the check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import sees_everything
from market.accounts.models import Organization, User
from market.accounts.organizations import get_organization
from market.accounts.uscc import USCCError, validate_uscc
from market.core import decimals as dec
from market.core.audit import Actor, record
from market.core.errors import Conflict, Forbidden, Invalid
from market.core.settings import Settings

#: Where the app's sessions find its settings (``session.info``), see :func:`bind_settings`.
_SETTINGS_KEY = "settings"
DEFAULT_LIMIT_T: Decimal = Settings.model_fields["unverified_deal_limit_t"].default
_ENV_NAME = "MARKET_UNVERIFIED_DEAL_LIMIT_T"


def bind_settings(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Give every session of ``factory`` the app's settings, so rules deep in a service
    (the deal limit) read the configured value without threading it through every caller."""
    factory.configure(info={_SETTINGS_KEY: settings})


def unverified_deal_limit_t(session: AsyncSession) -> Decimal:
    """The app's configured limit; for sessions made outside the app (the CLI's tender
    closer, scripts) ``MARKET_UNVERIFIED_DEAL_LIMIT_T`` from the environment, or 100 t."""
    settings = session.info.get(_SETTINGS_KEY)
    if isinstance(settings, Settings):
        return settings.unverified_deal_limit_t
    raw = os.environ.get(_ENV_NAME, "").strip()
    if not raw:
        return DEFAULT_LIMIT_T
    try:
        return Decimal(raw)
    except ArithmeticError as exc:
        raise ValueError(f"{_ENV_NAME} must be a number of tonnes, not {raw!r}") from exc


async def verify_organization(
    session: AsyncSession,
    regulator: User,
    organization_id: int,
    *,
    uscc: str | None,
    note: str,
    now: datetime | None = None,
) -> Organization:
    """Mark an organisation verified, audited with who checked, how, and their note.

    ``uscc`` is the code as the regulator read it from the licence (422 unless it matches
    the registered one); without it the regulator records having checked the licence.
    """
    if not sees_everything(regulator):
        raise Forbidden("only regulators can verify an organisation")
    org = await get_organization(session, organization_id)
    method = "business_licence"
    if uscc is not None:
        try:
            entered = validate_uscc(uscc)
        except USCCError as exc:
            raise Invalid("uscc", exc.reason) from exc
        if entered != org.uscc:
            raise Invalid(
                "uscc",
                f"{entered} does not match the registered 统一社会信用代码 {org.uscc}; "
                "the organisation registered under a wrong code must not be verified",
            )
        method = "entered"
    if org.verified:
        raise Conflict(f"organisation {organization_id} is already verified")
    await mark_verified(session, org, Actor(regulator.id), method=method, note=note, now=now)
    return org


async def mark_verified(
    session: AsyncSession,
    org: Organization,
    actor: Actor,
    *,
    method: str,
    note: str,
    now: datetime | None = None,
) -> None:
    """Set the flag and audit it (the endpoint's checks are the caller's: the demo data,
    which is the city's own, uses this directly)."""
    org.verified = True
    org.verified_at = now or datetime.now(UTC)
    session.add(org)
    await session.flush()
    after: dict[str, Any] = {
        "verified": True,
        "verified_at": org.verified_at,
        "uscc": org.uscc,
        "method": method,
        "note": note,
    }
    await record(session, "organization", org.id, "verified", actor, {"verified": False}, after)


async def unverified_among(session: AsyncSession, org_ids: Iterable[int]) -> list[Organization]:
    """The organisations of ``org_ids`` that are not verified, by id."""
    stmt = (
        select(Organization)
        .where(col(Organization.id).in_(set(org_ids)), col(Organization.verified).is_(False))
        .order_by(col(Organization.id))
    )
    return list((await session.exec(stmt)).all())


async def check_deal_parties(
    session: AsyncSession, seller_org_id: int, buyer_org_id: int, quantity_t: Decimal
) -> None:
    """403 when a deal above the limit has an unverified party, naming the rule and them."""
    limit = unverified_deal_limit_t(session)
    if quantity_t <= limit:
        return
    unverified = await unverified_among(session, (seller_org_id, buyer_org_id))
    if not unverified:
        return
    roles = {seller_org_id: "seller", buyer_org_id: "buyer"}
    who = ", ".join(f"the {roles[o.id or 0]} (organisation {o.id})" for o in unverified)
    raise Forbidden(
        f"unverified organisations cannot close deals above {dec.t(limit)} t "
        f"(MARKET_UNVERIFIED_DEAL_LIMIT_T); {who} is not verified yet: a regulator checks "
        f"the 统一社会信用代码 against the business licence first "
        f"({dec.t(quantity_t)} t asked)"
    )
