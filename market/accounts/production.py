"""Demo logins must not exist on a production server: finding and removing them.

The demo's users all have e-mails at ``DEMO_EMAIL_DOMAIN`` and printed, guessable passwords
(``market demo load`` shows them), so a production database that still holds one has a
door anyone can open. The app refuses to start in production while any exists; ``market
demo purge`` removes them.

Purging turns each demo user into an inactive tombstone (no e-mail at the demo domain, a
password hash that never verifies, no tokens, no memberships) instead of deleting the row:
tenders, bids and shipments the demo created name their user and must keep doing so.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import forget_member_orgs
from market.accounts.models import ApiToken, Membership, User

#: The demo's e-mail domain (``market.demo.seed.EMAIL_DOMAIN``, which later layers own).
DEMO_EMAIL_DOMAIN = "demo.jingmen.example"
#: Not an argon2 hash: verification fails with InvalidHashError, i.e. "wrong password".
UNUSABLE_PASSWORD = "!purged"


def _demo_users() -> ColumnElement[bool]:
    return col(User.email).like(f"%@{DEMO_EMAIL_DOMAIN}")


async def count_demo_accounts(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(User).where(_demo_users())
    return int((await session.exec(stmt)).one())


async def purge_demo_accounts(session: AsyncSession) -> int:
    """Tombstone every demo user; returns how many there were."""
    users = list((await session.exec(select(User).where(_demo_users()))).all())
    ids = [u.id for u in users if u.id is not None]
    if not ids:
        return 0
    await session.exec(delete(ApiToken).where(col(ApiToken.user_id).in_(ids)))
    await session.exec(delete(Membership).where(col(Membership.user_id).in_(ids)))
    forget_member_orgs(session)
    for user in users:
        user.email = f"purged-demo-{user.id}@invalid"
        user.display_name = "已删除的演示账户 (deleted demo account)"
        user.password_hash = UNUSABLE_PASSWORD
        user.active = False
        session.add(user)
    await session.flush()
    return len(users)


async def refuse_demo_accounts(session: AsyncSession) -> None:
    """Raise RuntimeError if demo logins exist (the production app's start-up check)."""
    found = await count_demo_accounts(session)
    if found:
        raise RuntimeError(
            f"refusing to start in production: {found} demo account(s) "
            f"(@{DEMO_EMAIL_DOMAIN}) exist in the database; run `market demo purge`"
        )
