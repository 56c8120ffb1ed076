"""Registration, login and bearer-token look-up.

Passwords are hashed and verified in a worker thread (``market.core.security``); a login
for an unknown e-mail verifies a dummy hash, so it takes as long as a wrong password for a
real account, and both get the same 401. Failed logins are counted per e-mail and per client
(``market.accounts.throttle``) and checked before the password is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts import throttle
from market.accounts.models import USER_ROLES, ApiToken, User
from market.accounts.passwords import check_password
from market.core.errors import Conflict, Invalid, Unauthorized
from market.core.security import hash_password, new_token, token_digest, verify_password
from market.core.settings import Settings

WRONG_LOGIN = "wrong e-mail or password"


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession, email: str, password: str, display_name: str, role: str = "user"
) -> User:
    """Create a user; 409 if the e-mail is taken. ``role`` other than "user" is CLI-only."""
    if role not in USER_ROLES:
        raise Invalid("role", f"must be one of {', '.join(USER_ROLES)}")
    email = normalise_email(email)
    check_password(password, email)
    # Hashed before the first query, so no transaction is waiting on it (see login).
    password_hash = await hash_password(password)
    existing = await session.exec(select(User.id).where(User.email == email))
    if existing.first() is not None:
        raise Conflict(
            f"a user with e-mail {email} already exists",
            errors=[{"field": "email", "reason": "already registered"}],
        )
    user = User(email=email, password_hash=password_hash, display_name=display_name, role=role)
    session.add(user)
    await session.flush()
    return user


async def login(
    session: AsyncSession, email: str, password: str, settings: Settings, client: str
) -> str:
    """Return a fresh bearer token; the same 401 for unknown e-mail and wrong password.

    Raises TooManyAttempts (429) while the e-mail or the client is over its failure limit.
    A failure is counted in ``session``: the caller must commit it before the 401 goes out.

    The reads so far are committed (nothing was written) before the slow verify: on SQLite
    every transaction holds the write lock from its first statement (``BEGIN IMMEDIATE``,
    :mod:`market.core.db`), and every other request, ``/health`` included, would queue
    behind a fifth of a second of argon2 per login. The writes start a new transaction.
    """
    email = normalise_email(email)
    checks = throttle.login_checks(settings, email, client)
    await throttle.check(session, checks)
    user = (await session.exec(select(User).where(User.email == email))).first()
    password_hash = user.password_hash if user is not None and user.active else None
    await session.commit()
    ok = await verify_password(password_hash, password)
    if not ok or user is None:
        await throttle.record(session, checks)
        raise Unauthorized(WRONG_LOGIN)
    return await issue_token(session, user, settings.token_ttl_hours)


async def issue_token(session: AsyncSession, user: User, ttl_hours: int) -> str:
    """A new bearer token for ``user``; only its digest is stored."""
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


#: Built once: every authenticated request runs it, and building a statement costs about as
#: much as SQLite takes to run this one (bench/profile_routes.py).
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
    .where(ApiToken.token_hash == bindparam("digest"))
    .where(ApiToken.expires_at > bindparam("now"))
    .where(User.active == True)  # noqa: E712
)


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    """The active user a non-expired token belongs to, or None."""
    params = {"digest": token_digest(token), "now": datetime.now(UTC)}
    return (await session.exec(_USER_FOR_TOKEN, params=params)).first()
