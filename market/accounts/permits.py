"""Hazardous-waste permits and the MIIT compliant-recycler flag, which gate matching.

Both are facts the authorities issue, so regulators and the platform admin record them;
the organisation's members can read them. The API also guards these with ``regulators``;
the checks here stay for callers that reach the service without the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import membership_role, sees_everything
from market.accounts.models import Organization, Permit, User
from market.accounts.organizations import get_organization
from market.core.errors import Forbidden


@dataclass(frozen=True)
class PermitInput:
    """A permit as the authority issued it; ``kind`` is a waste code or category (HW31)."""

    kind: str
    valid_until: date
    number: str = ""


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
    )
    session.add(permit)
    await session.flush()
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
