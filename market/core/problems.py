"""RFC 9457 problem details for every error the API returns.

Services raise :mod:`market.core.errors` (domain errors, no HTTP); this module is the one map
that turns those, Litestar's own HTTP and validation errors, and database integrity errors to
``application/problem+json``. Validation failures are 422 with an ``errors`` list naming
each field and the reason, so a client can put the message next to the right input (at most
:data:`MAX_LISTED_ERRORS` of them, and ``errors_omitted`` counting the rest). A database that is
away or stalled is 503 with ``Retry-After`` and one log line, never a 500 with a traceback
(:mod:`market.core.db_faults` says which exceptions mean that).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from market.core.db_faults import (
    RAW_DRIVER_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable,
    one_line,
)
from market.core.errors import Problem

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


#: Litestar reports a missing query/path/header parameter as a bare 400 with this text.
_MISSING = re.compile(r"Missing required (?:\w+ )?parameter '([^']+)'")

#: A 422 lists this many field errors and counts the rest: 300,000 invalid spec values once
#: made a 34 MB answer.
MAX_LISTED_ERRORS = 100

#: Frames of Litestar's body parsing: a UnicodeDecodeError from there is the client's bytes.
_BODY_PARSING_MODULES = ("litestar.connection", "litestar.serialization", "litestar._kwargs")


def problem_response(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    elif status == 503:  # temporary by definition (a database away, health's too): say when
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), **(headers or {})}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: ValidationException) -> tuple[list[dict[str, str]], int]:
    """The first :data:`MAX_LISTED_ERRORS` field errors, and how many more there were."""
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    items = [item for item in extra if isinstance(item, dict)]
    for item in items[:MAX_LISTED_ERRORS]:
        reason = str(item.get("message", "invalid value"))
        reason = reason.removeprefix("Value error, ")
        field = str(item.get("key") or item.get("source") or "body")
        if field == "data" and reason == "'data'":
            field, reason = "body", "a JSON body is required"
        errors.append({"field": field, "reason": reason})
    return errors, len(items) - len(errors)


def handle_problem(_: Request[Any, Any, Any], exc: Problem) -> Response[dict[str, Any]]:
    return problem_response(exc.status, exc.detail, exc.errors)


def handle_validation(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors, omitted = _validation_errors(exc)
    missing = _MISSING.search(str(exc.detail))
    if not errors and missing:
        errors = [{"field": missing.group(1), "reason": "is required"}]
    if not errors:
        # A body that is not JSON, or not the right JSON shape at all.
        return problem_response(400, str(exc.detail))
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    if not omitted:
        return problem_response(422, detail, errors)
    detail += f"; and {omitted} more errors"
    return problem_response(422, detail, errors, errors_omitted=omitted)


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    detail = str(exc.detail)
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = "no such resource"
    return problem_response(exc.status_code, detail)


def handle_integrity(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    """A constraint the services did not catch first: report a conflict, never a 500."""
    log.warning("integrity error reached the API: %s", exc.orig)
    return problem_response(409, "the change conflicts with existing data")


def handle_out_of_range(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A number the database cannot hold (an id beyond int32 on PostgreSQL, an offset beyond
    int64 on SQLite): the request is wrong, not the server."""
    log.info("out-of-range value reached the database: %s", exc)
    return problem_response(
        422, "a number in the request is out of range (ids, pages and quantities have limits)"
    )


def handle_dbapi(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """asyncpg reports bad bind values as a generic DBAPIError wrapping DataError."""
    text = str(exc.orig)
    if "out of" in text and "range" in text:
        return handle_out_of_range(request, exc)
    if "0x00" in text or "invalid byte sequence" in text:
        return problem_response(422, "text in the request contains a NUL character")
    return handle_db_unavailable(request, exc)


def handle_statement(
    request: Request[Any, Any, Any], exc: StatementError
) -> Response[dict[str, Any]]:
    """A value our column types refused while binding (a date past year 9999 in UTC, a
    quantity with too many decimals): the request is wrong."""
    if isinstance(exc.orig, OverflowError | ValueError):
        return problem_response(422, f"a value in the request cannot be stored: {exc.orig}")
    return handle_db_unavailable(request, exc)


def handle_recursion(_: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    return problem_response(400, "the JSON body is nested too deeply")


def handle_undecodable(
    request: Request[Any, Any, Any], exc: UnicodeDecodeError
) -> Response[dict[str, Any]]:
    """Bytes in a JSON body that are not UTF-8 (msgspec raises this, not a decode error)."""
    if not _raised_in(exc, _BODY_PARSING_MODULES):
        return handle_unexpected(request, exc)
    return problem_response(
        400,
        f"the request body is not valid UTF-8 (byte {exc.start}: {exc.reason}); JSON must be UTF-8",
    )


def _raised_in(exc: BaseException, modules: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(modules):
            return True
        tb = tb.tb_next
    return False


def handle_db_unavailable(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    """The database is away, stalled or out of connections: 503 with Retry-After.

    One warning line per failed request (no traceback: while the server is down every
    request fails the same way, and stacks buried the log); anything else reaching here
    (an OSError that did not come from the database driver) is a bug and keeps its stack.
    """
    if not database_unavailable(exc):
        return handle_unexpected(request, exc)
    log.warning("database unavailable: %s %s: %s", request.method, request.url.path, one_line(exc))
    return problem_response(503, "the database is unavailable or busy; try again shortly")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, ExceptionGroup) and database_unavailable(exc):
        return handle_db_unavailable(request, exc)  # dependencies resolved in a task group
    log.exception("unhandled error", exc_info=exc)
    return problem_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged")


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    Problem: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    IntegrityError: handle_integrity,
    DataError: handle_out_of_range,
    OverflowError: handle_out_of_range,
    OperationalError: handle_db_unavailable,
    DBAPIError: handle_dbapi,
    StatementError: handle_statement,
    PoolTimeoutError: handle_db_unavailable,
    # Raised unwrapped by asyncpg's connect or a stalled statement; TimeoutError (and so
    # asyncio.TimeoutError) and ConnectionRefusedError are OSErrors, listed for the reader.
    OSError: handle_db_unavailable,
    TimeoutError: handle_db_unavailable,
    ConnectionRefusedError: handle_db_unavailable,
    **dict.fromkeys(RAW_DRIVER_ERRORS, handle_db_unavailable),
    RecursionError: handle_recursion,
    UnicodeDecodeError: handle_undecodable,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType"]
