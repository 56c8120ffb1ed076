"""Who may see and change what.

Members change their organisation's sites, listings and demands; any logged-in user reads
open listings and demands; regulators and the platform admin read everything.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Membership, User
from market.core.errors import Forbidden


def sees_everything(user: User) -> bool:
    return user.role in ("regulator", "admin")


async def membership_role(session: AsyncSession, user: User, organization_id: int) -> str | None:
    stmt = select(Membership.role).where(
        Membership.user_id == user.id, Membership.organization_id == organization_id
    )
    return (await session.exec(stmt)).first()


async def member_org_ids(session: AsyncSession, user: User) -> set[int]:
    stmt = select(Membership.organization_id).where(Membership.user_id == user.id)
    return set((await session.exec(stmt)).all())


async def require_member(session: AsyncSession, user: User, organization_id: int) -> str:
    """The user's role in the organisation, or 403."""
    role = await membership_role(session, user, organization_id)
    if role is None:
        raise Forbidden("you are not a member of this organisation")
    return role


async def require_org_admin(session: AsyncSession, user: User, organization_id: int) -> None:
    if await require_member(session, user, organization_id) != "admin":
        raise Forbidden("only an administrator of this organisation can do this")
