"""Liveness that means something: the database answers."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market.core.deps import Db
from market.core.errors import Problem
from market.core.schemas import Out


class HealthOut(Out):
    """The service is up and its database answered a query."""

    status: Literal["ok"] = "ok"
    database: Annotated[str, Field(description="the database's dialect", examples=["postgresql"])]


@get("/health", tags=["ops"], summary="Check that the service and its database answer")
async def health(db: Db) -> HealthOut:
    try:
        await db.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except (SQLAlchemyError, OSError) as exc:
        raise Problem(f"database unreachable: {type(exc).__name__}", status=503) from exc
    return HealthOut(database=db.get_bind().dialect.name)


routes = [health]
