"""Organisations and their members."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_CODES
from market.accounts.access import require_org_admin
from market.accounts.models import MEMBER_ROLES, ORG_KINDS, Membership, Organization, User
from market.accounts.service import normalise_email
from market.accounts.uscc import USCCError, validate_uscc
from market.core.errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class OrganizationInput:
    """What registering an organisation takes, from the API or the demo data."""

    name: str
    uscc: str
    kind: str
    district_code: str


async def create_organization(
    session: AsyncSession,
    creator: User,
    data: OrganizationInput,
    *,
    allow_regulator: bool = False,
) -> Organization:
    """Create an organisation and make its creator the admin.

    Regulator organisations come from the CLI or a regulator only (``allow_regulator``), so
    nobody can grant themselves the right to read every organisation's data. A new
    organisation is unverified until a regulator checks its code
    (:mod:`market.accounts.verification`).
    """
    try:
        code = validate_uscc(data.uscc)
    except USCCError as exc:
        raise Invalid("uscc", exc.reason) from exc
    if data.kind not in ORG_KINDS:
        raise Invalid("kind", f"must be one of {', '.join(ORG_KINDS)}")
    if data.kind == "regulator" and not allow_regulator:
        raise Forbidden(
            "regulator organisations are created by a regulator or the platform administrator"
        )
    if data.district_code not in DISTRICT_CODES:
        raise Invalid(
            "district_code",
            f"unknown district {data.district_code!r}; "
            f"Jingmen's are {', '.join(sorted(DISTRICT_CODES))}",
        )
    taken = await session.exec(select(Organization.id).where(Organization.uscc == code))
    if taken.first() is not None:
        raise Conflict(
            f"an organisation with 统一社会信用代码 {code} is already registered",
            errors=[{"field": "uscc", "reason": "already registered"}],
        )
    org = Organization(
        name=data.name.strip(),
        uscc=code,
        kind=data.kind,
        district_code=data.district_code,
        webhook_secret=secrets.token_hex(16),
    )
    session.add(org)
    await session.flush()
    assert org.id is not None and creator.id is not None
    session.add(Membership(user_id=creator.id, organization_id=org.id, role="admin"))
    await session.flush()
    return org


async def get_organization(session: AsyncSession, organization_id: int) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organisation {organization_id} does not exist")
    return org


async def add_member(
    session: AsyncSession, actor: User, organization_id: int, email: str, role: str
) -> Membership:
    """An organisation admin adds an existing user as admin or member."""
    await get_organization(session, organization_id)
    await require_org_admin(session, actor, organization_id)
    if role not in MEMBER_ROLES:
        raise Invalid("role", f"must be one of {', '.join(MEMBER_ROLES)}")
    user = (await session.exec(select(User).where(User.email == normalise_email(email)))).first()
    if user is None:
        raise Invalid("email", "no registered user has this e-mail; ask them to register first")
    assert user.id is not None
    existing = (
        await session.exec(
            select(Membership).where(
                Membership.user_id == user.id, Membership.organization_id == organization_id
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{user.email} is already a member",
            errors=[{"field": "email", "reason": "already a member"}],
        )
    membership = Membership(user_id=user.id, organization_id=organization_id, role=role)
    session.add(membership)
    await session.flush()
    return membership


async def members(session: AsyncSession, organization_id: int) -> list[tuple[Membership, User]]:
    stmt = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.id)  # type: ignore[arg-type]
    )
    return [(m, u) for m, u in (await session.exec(stmt)).all()]


async def organizations_of(session: AsyncSession, user: User) -> list[tuple[Organization, str]]:
    stmt = (
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)  # type: ignore[arg-type]
        .where(Membership.user_id == user.id)
        .order_by(Organization.id)  # type: ignore[arg-type]
    )
    return [(o, r) for o, r in (await session.exec(stmt)).all()]
