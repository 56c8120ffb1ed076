"""Which exceptions mean "the database is away or stalled", not "the request is wrong".

With PostgreSQL stopped or stalled the drivers raise a spread of types: a raw
``ConnectionRefusedError`` or ``TimeoutError`` from asyncpg's connect (SQLAlchemy passes
non-DB-API errors through unwrapped), ``asyncio.TimeoutError`` from a statement on a server
that stopped answering (asyncpg's ``command_timeout``), SQLAlchemy's ``OperationalError`` /
``InterfaceError`` / ``DBAPIError`` around asyncpg's connection errors (SQLSTATE class 08),
``CannotConnectNowError`` while the server starts or stops and ``AdminShutdownError`` when it
is stopped under a connection (class 57, which also holds ``statement_timeout``'s
``QueryCanceledError``), too many connections (class 53), SQLAlchemy's pool ``TimeoutError``
when every connection is busy, and SQLite's "database is locked" past its busy timeout.
Every one of those is answered 503 with ``Retry-After`` (``market.core.problems``).
"""

from __future__ import annotations

from types import TracebackType

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

#: Seconds a client is told to wait before trying again; the service reconnects on its own
#: (pool pre-ping) within a few seconds of the database coming back.
RETRY_AFTER_SECONDS = 5

#: SQLSTATE classes of an unavailable server: connection exception, insufficient resources
#: (too many connections), operator intervention (shutdown, starting up, statement timeout).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")

#: Modules whose frames show that an OSError came from talking to the database.
_DRIVER_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")

#: Raw driver exceptions (not wrapped by SQLAlchemy) that the app registers a handler for.
RAW_DRIVER_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
)


def _from_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in _DRIVER_MODULES:
            return True
        tb = tb.tb_next
    return False


def _sqlstate(exc: BaseException | None) -> str:
    return str(getattr(exc, "sqlstate", None) or "")


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or did not answer in time
    (for a group, as Litestar's task groups raise for dependencies: every one of its errors)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(database_unavailable(inner) for inner in exc.exceptions)
    if isinstance(exc, PoolTimeoutError | OperationalError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        driver = orig.__cause__ if orig is not None and orig.__cause__ is not None else orig
        if isinstance(exc, InterfaceError) and not isinstance(driver, ValueError):
            return True  # "connection is closed", "another operation is in progress"
        return _unavailable_driver_error(driver)
    if isinstance(exc, StatementError):
        return isinstance(exc.orig, OSError)
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.PostgresError):
        return _unavailable_driver_error(exc) or (
            isinstance(exc, asyncpg.InterfaceError) and not isinstance(exc, ValueError)
        )
    if isinstance(exc, OSError):  # refused, reset, unreachable; TimeoutError is an OSError
        return _from_driver(exc.__traceback__)
    return False


def _unavailable_driver_error(exc: BaseException | None) -> bool:
    if isinstance(exc, OSError):
        return True
    return _sqlstate(exc)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


def one_line(exc: BaseException) -> str:
    """The failure in one log line: the types down the cause chain and the first message."""
    names: list[str] = []
    message = ""
    seen: BaseException | None = exc
    while seen is not None and len(names) < 4:
        names.append(type(seen).__name__)
        text = str(seen).strip().splitlines()
        message = message or (text[0] if text else "")
        seen = seen.__cause__ or getattr(seen, "orig", None)
        if seen is exc:
            break
    return f"{' <- '.join(dict.fromkeys(names))}: {message[:300] or 'no message'}"
