"""Liveness that means something: the database answers."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market.core.deps import Db
from market.core.problems import problem_response


@get("/health", tags=["ops"], summary="Check that the service and its database answer")
async def health(db: Db) -> Response[dict[str, Any]]:
    try:
        await db.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except (SQLAlchemyError, OSError) as exc:
        return problem_response(503, f"database unreachable: {type(exc).__name__}")
    bind = db.get_bind()
    return Response({"status": "ok", "database": bind.dialect.name})


routes = [health]
