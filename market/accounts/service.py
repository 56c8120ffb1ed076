"""Registration, login and bearer-token look-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import USER_ROLES, ApiToken, User
from market.core.errors import Conflict, Invalid, Unauthorized
from market.core.security import hash_password, new_token, token_digest, verify_password

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession, email: str, password: str, display_name: str, role: str = "user"
) -> User:
    """Create a user; 409 if the e-mail is taken. ``role`` other than "user" is CLI-only."""
    if role not in USER_ROLES:
        raise Invalid("role", f"must be one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    email = normalise_email(email)
    existing = await session.exec(select(User.id).where(User.email == email))
    if existing.first() is not None:
        raise Conflict(
            f"a user with e-mail {email} already exists",
            errors=[{"field": "email", "reason": "already registered"}],
        )
    user = User(
        email=email, password_hash=hash_password(password), display_name=display_name, role=role
    )
    session.add(user)
    await session.flush()
    return user


async def login(session: AsyncSession, email: str, password: str, ttl_hours: int) -> str:
    """Return a fresh bearer token; the same 401 for unknown e-mail and wrong password."""
    result = await session.exec(select(User).where(User.email == normalise_email(email)))
    user = result.first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong e-mail or password")
    token = new_token()
    assert user.id is not None
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_digest(token),
            expires_at=datetime.now(UTC) + timedelta(hours=ttl_hours),
        )
    )
    await session.flush()
    return token


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    """The active user a non-expired token belongs to, or None."""
    stmt = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == token_digest(token))
        .where(ApiToken.expires_at > datetime.now(UTC))
        .where(User.active == True)  # noqa: E712
    )
    return (await session.exec(stmt)).first()
