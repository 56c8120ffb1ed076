"""Counting failed attempts per account and per client, shared by every worker.

Login failures are counted in fixed windows (``login_window_seconds``) under two keys: the
e-mail typed (whether or not such a user exists, so a locked e-mail says nothing about the
account) and the client address. Once a key has reached its limit, further attempts are
answered 429 with ``Retry-After`` until the window ends, *before* the password is checked:
guessing goes no faster by ignoring the answer. Registration counts only the refusals for
an e-mail that is already registered, so signing up many real users is never throttled but
probing addresses is.

The counters live in ``auth_attempts`` with an upsert, so several server processes (and a
restart) share them. A failed request rolls its transaction back, so the callers commit the
count before they raise (see ``market.accounts.api``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import AuthAttempt
from market.core.errors import Problem
from market.core.problems import handle_problem
from market.core.settings import Settings


@dataclass(frozen=True)
class Limit:
    """At most ``max_failures`` counted attempts per ``window_seconds`` for one key."""

    scope: str
    max_failures: int
    window_seconds: int


class TooManyAttempts(Problem):
    """429: a key reached its limit; ``retry_after`` is whole seconds until its window ends."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} s")
        self.retry_after = retry_after


#: (limit, value) pairs: the value is an e-mail or a client address.
Checks = Sequence[tuple[Limit, str]]


def login_checks(settings: Settings, email: str, client: str) -> list[tuple[Limit, str]]:
    window = settings.login_window_seconds
    return [
        (Limit("login-account", settings.login_max_failures_per_account, window), email),
        (Limit("login-client", settings.login_max_failures_per_client, window), client),
    ]


def register_checks(settings: Settings, client: str) -> list[tuple[Limit, str]]:
    limit = Limit("register-client", settings.register_max_taken_per_client, 3600)
    return [(limit, client)]


def _key(limit: Limit, value: str) -> str:
    return hashlib.sha256(f"{limit.scope}\0{value.strip().lower()}".encode()).hexdigest()


def _window(limit: Limit, now: float) -> int:
    return int(now // limit.window_seconds) * limit.window_seconds


async def check(session: AsyncSession, checks: Checks, now: float | None = None) -> None:
    """Raise TooManyAttempts if any key has used up its window."""
    now = time.time() if now is None else now
    wait = 0
    for limit, value in checks:
        start = _window(limit, now)
        failures = (
            await session.exec(
                select(AuthAttempt.failures)
                .where(AuthAttempt.key == _key(limit, value))
                .where(AuthAttempt.window_start == start)
            )
        ).first()
        if failures is not None and failures >= limit.max_failures:
            wait = max(wait, math.ceil(start + limit.window_seconds - now))
    if wait:
        raise TooManyAttempts(max(wait, 1))


async def record(session: AsyncSession, checks: Checks, now: float | None = None) -> None:
    """Count one attempt under every key (one upsert each) and drop windows long past."""
    now = time.time() if now is None else now
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = AuthAttempt.__table__  # type: ignore[attr-defined]
    for limit, value in checks:
        stmt = insert(table).values(
            key=_key(limit, value), window_start=_window(limit, now), failures=1
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"failures": table.c.failures + 1}
        )
        await session.exec(stmt)
    oldest = max(limit.window_seconds for limit, _ in checks) if checks else 0
    await session.exec(delete(AuthAttempt).where(col(AuthAttempt.window_start) < now - 2 * oldest))


def handle_too_many(request: Request[Any, Any, Any], exc: TooManyAttempts) -> Response[Any]:
    """The usual 429 problem, plus ``Retry-After`` (seconds) as RFC 9110 asks."""
    response = handle_problem(request, exc)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response
