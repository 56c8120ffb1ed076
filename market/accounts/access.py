"""Who may see and change what.

Members change their organisation's sites, listings and demands; any logged-in user reads
open listings and demands; regulators and the platform admin read everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
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


#: ``session.info`` key of the memo below.
_MEMO = "member_org_ids"


async def member_org_ids(session: AsyncSession, user: User) -> set[int]:
    """The organisations the user belongs to, asked once per session.

    A match list asked it three times (the row's owner check, then each view's privacy
    rule); one request is one session and one transaction, so the answer cannot change
    under it except by this session's own writes: flushed ones :func:`_forget_memberships`
    sees, and a membership added or deleted but not yet flushed (which the query would have
    autoflushed) voids the memo here.
    """
    if any(isinstance(o, Membership) for o in (*session.new, *session.deleted)):
        forget_member_orgs(session)
    memo: dict[int | None, frozenset[int]] = session.info.setdefault(_MEMO, {})
    if user.id not in memo:
        stmt = select(Membership.organization_id).where(Membership.user_id == user.id)
        memo[user.id] = frozenset((await session.exec(stmt)).all())
    return set(memo[user.id])


def forget_member_orgs(session: AsyncSession | Session) -> None:
    """Void the memo after a bulk statement that changes memberships (no flush to see)."""
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_flush")
def _forget_memberships(session: Session, _context: Any) -> None:
    """A flushed membership change (a new organisation's admin, an added member) voids the memo."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Membership) for obj in changed):
        forget_member_orgs(session)


async def require_member(session: AsyncSession, user: User, organization_id: int) -> str:
    """The user's role in the organisation, or 403."""
    role = await membership_role(session, user, organization_id)
    if role is None:
        raise Forbidden("you are not a member of this organisation")
    return role


async def require_org_admin(session: AsyncSession, user: User, organization_id: int) -> None:
    if await require_member(session, user, organization_id) != "admin":
        raise Forbidden("only an administrator of this organisation can do this")
