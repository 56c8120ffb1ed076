"""Which exceptions count as "the database is away" (503) and which stay bugs (500)."""

from __future__ import annotations

import asyncpg
from asyncpg.exceptions._base import DataError as BindDataError
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from market.core.db_faults import database_unavailable, one_line


def _wrapped(driver_error: Exception, kind: type[DBAPIError] = DBAPIError) -> DBAPIError:
    """As SQLAlchemy raises an asyncpg error: its DB-API adapter error, caused by asyncpg's."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(driver_error), driver_error)
    adapted.__cause__ = driver_error
    return kind("SELECT 1", {}, adapted)


def test_server_side_faults_are_unavailable() -> None:
    for driver_error in (
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ):
        assert database_unavailable(_wrapped(driver_error)), driver_error
        assert database_unavailable(driver_error), driver_error
    closed = asyncpg.InterfaceError("cannot perform operation: connection is closed")
    assert database_unavailable(_wrapped(closed, InterfaceError))
    assert database_unavailable(PoolTimeoutError("QueuePool limit of size 10 overflow 20 reached"))
    assert database_unavailable(OperationalError("BEGIN", {}, Exception("database is locked")))
    assert database_unavailable(ExceptionGroup("dependencies", [PoolTimeoutError("busy")]))


def test_request_and_code_faults_are_not() -> None:
    # asyncpg's bind-value error (an InterfaceError and a ValueError, not the SQLSTATE 22 one)
    out_of_range = BindDataError("invalid input for query argument $1: 2147483648")
    assert not database_unavailable(_wrapped(out_of_range, InterfaceError))
    assert not database_unavailable(_wrapped(asyncpg.UndefinedTableError("no such table")))
    # An OSError raised outside the database drivers is a bug (or another service): a 500.
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('10.0.0.9', 5000)")
    except ConnectionRefusedError as exc:
        assert not database_unavailable(exc)
    assert not database_unavailable(ValueError("nope"))
    assert not database_unavailable(ExceptionGroup("mixed", [PoolTimeoutError(), ValueError()]))


def test_a_failure_is_one_short_line() -> None:
    line = one_line(_wrapped(asyncpg.CannotConnectNowError("the database system is starting up")))
    assert "\n" not in line and "CannotConnectNowError" in line and "starting up" in line
