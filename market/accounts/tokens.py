"""A user's own bearer tokens: list them, revoke one, log out, change the password.

A token is a login on one device or script. Listing shows when each was issued and when it
expires (never the token, which is not stored); revoking deletes the row, so the token stops
working at once on every worker for anything that writes, and on this worker for reads too;
another worker's read-only routes trust a check for ``MARKET_READ_CACHE_SECONDS`` (1 s,
:class:`market.accounts.deps.TokenCache`). Changing the password revokes every other token: whoever
learnt the old password may have logged in with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts import throttle
from market.accounts.models import ApiToken, User
from market.accounts.passwords import check_password
from market.core.errors import Invalid, NotFound
from market.core.security import hash_password, token_digest, verify_password
from market.core.settings import Settings


async def live_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    """The user's tokens that have not expired, newest first."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .where(ApiToken.expires_at > datetime.now(UTC))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list((await session.exec(stmt)).all())


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> None:
    """Delete one of the user's tokens; 404 for another user's (or no) token."""
    token = await session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id} of yours")
    await session.delete(token)
    await session.flush()


async def revoke_bearer(session: AsyncSession, token: str) -> None:
    """Delete the token itself (logout), whoever it belongs to: holding it is the proof."""
    await session.exec(delete(ApiToken).where(col(ApiToken.token_hash) == token_digest(token)))


async def change_password(
    session: AsyncSession,
    user: User,
    old: str,
    new: str,
    *,
    keep_token: str | None,
    settings: Settings,
    client: str,
) -> int:
    """Set a new password after checking the old one; revoke every token but ``keep_token``.

    A wrong old password counts as a failed login of the account (the same limits), so a
    stolen token is no faster way to guess the password. Returns how many tokens went.
    """
    checks = throttle.login_checks(settings, user.email, client)
    await throttle.check(session, checks)
    await session.commit()  # only reads so far; no lock held while hashing (service.login)
    if not await verify_password(user.password_hash, old):
        await throttle.record(session, checks)
        raise Invalid("old_password", "is not the current password")
    check_password(new, user.email, field="new_password")
    if new == old:
        raise Invalid("new_password", "must differ from the old password")
    user.password_hash = await hash_password(new)
    session.add(user)
    stmt = delete(ApiToken).where(col(ApiToken.user_id) == user.id)
    if keep_token is not None:
        stmt = stmt.where(col(ApiToken.token_hash) != token_digest(keep_token))
    result = await session.exec(stmt)
    await session.flush()
    return int(result.rowcount or 0)
