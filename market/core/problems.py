"""RFC 9457 problem details for every error the API returns.

Services raise :mod:`market.core.errors` (domain errors, no HTTP); this module is the one map
that turns those, Litestar's own HTTP and validation errors, and database integrity errors to
``application/problem+json``. Validation failures are 422 with an ``errors`` list naming
each field and the reason, so a client can put the message next to the right input.
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


def problem_response(
    status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
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
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        reason = str(item.get("message", "invalid value"))
        reason = reason.removeprefix("Value error, ")
        field = str(item.get("key") or item.get("source") or "body")
        if field == "data" and reason == "'data'":
            field, reason = "body", "a JSON body is required"
        errors.append({"field": field, "reason": reason})
    return errors


def handle_problem(_: Request[Any, Any, Any], exc: Problem) -> Response[dict[str, Any]]:
    return problem_response(exc.status, exc.detail, exc.errors)


def handle_validation(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = _validation_errors(exc)
    missing = _MISSING.search(str(exc.detail))
    if not errors and missing:
        errors = [{"field": missing.group(1), "reason": "is required"}]
    if not errors:
        # A body that is not JSON, or not the right JSON shape at all.
        return problem_response(400, str(exc.detail))
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem_response(422, detail, errors)


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
    return handle_unexpected(request, exc)


def handle_statement(
    request: Request[Any, Any, Any], exc: StatementError
) -> Response[dict[str, Any]]:
    """A value our column types refused while binding (a date past year 9999 in UTC, a
    quantity with too many decimals): the request is wrong."""
    if isinstance(exc.orig, OverflowError | ValueError):
        return problem_response(422, f"a value in the request cannot be stored: {exc.orig}")
    return handle_unexpected(request, exc)


def handle_recursion(_: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    return problem_response(400, "the JSON body is nested too deeply")


def handle_db_unavailable(
    _: Request[Any, Any, Any], exc: OperationalError
) -> Response[dict[str, Any]]:
    log.error("database operational error: %s", exc.orig)
    return problem_response(503, "the database is unavailable or busy; try again shortly")


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
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
    RecursionError: handle_recursion,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType"]
