"""Hazardous-waste permits and the MIIT compliant-recycler flag, which gate matching and
every deal (:mod:`market.trading.eligibility`).

Both are facts the authorities issue, so regulators and the platform admin record them;
the organisation's members can read them. The API also guards these with ``regulators``;
the checks here stay for callers that reach the service without the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import membership_role, sees_everything
from market.accounts.models import Organization, Permit, User
from market.accounts.organizations import get_organization
from market.core.errors import Forbidden, Invalid


@dataclass(frozen=True)
class PermitInput:
    """A permit as the authority issued it; ``kind`` is a waste code or category (HW31),
    ``annual_capacity_t`` the licensed tonnes per year (None: not recorded)."""

    kind: str
    valid_until: date
    number: str = ""
    annual_capacity_t: Decimal | None = None


def require_authority(user: User) -> None:
    if not sees_everything(user):
        raise Forbidden(
            "permits and the MIIT list are recorded by regulators or the platform administrator"
        )


async def add_permit(
    session: AsyncSession, actor: User, organization_id: int, data: PermitInput
) -> Permit:
    require_authority(actor)
    await get_organization(session, organization_id)
    permit = Permit(
        organization_id=organization_id,
        kind=data.kind.strip().upper(),
        number=data.number,
        valid_until=data.valid_until,
        annual_capacity_t=data.annual_capacity_t,
    )
    session.add(permit)
    await session.flush()
    await session.refresh(permit)  # the capacity as stored: to the kilogram
    return permit


async def list_permits(session: AsyncSession, viewer: User, organization_id: int) -> list[Permit]:
    """The organisation's permits in the order recorded; members and regulators only."""
    await get_organization(session, organization_id)
    if (
        not sees_everything(viewer)
        and await membership_role(session, viewer, organization_id) is None
    ):
        raise Forbidden("only members of the organisation and regulators see its permits")
    stmt = select(Permit).where(Permit.organization_id == organization_id).order_by(col(Permit.id))
    return list((await session.exec(stmt)).all())


async def set_miit(
    session: AsyncSession, actor: User, organization_id: int, listed: bool
) -> Organization:
    require_authority(actor)
    org = await get_organization(session, organization_id)
    org.miit_listed = listed
    session.add(org)
    await session.flush()
    return org


#: The longest look-ahead of the expiring list: a year (and a day, for a leap year).
MAX_EXPIRING_DAYS = 366


async def expiring_permits(
    session: AsyncSession, viewer: User, today: date, days: int
) -> list[tuple[Permit, Organization]]:
    """Permits still valid on ``today`` that expire within ``days`` days (inclusive), soonest
    first, with their holders: the regulators' list of licences to renew."""
    require_authority(viewer)
    if not 0 <= days <= MAX_EXPIRING_DAYS:
        raise Invalid("days", f"must be between 0 and {MAX_EXPIRING_DAYS}")
    stmt = (
        select(Permit, Organization)
        .join(Organization, col(Organization.id) == col(Permit.organization_id))
        .where(Permit.valid_until >= today, Permit.valid_until <= today + timedelta(days=days))
        .order_by(col(Permit.valid_until), col(Permit.id))
    )
    return [(p, o) for p, o in (await session.exec(stmt)).all()]
