"""What the OpenAPI document says about errors: every problem status an operation can answer.

Clients generate from ``/schema/openapi.json``, so it must list the RFC 9457 problems as well as
the success. Statuses that follow from a handler's shape are added by
:func:`document_problems` (a login → 401, a database session → 503, parameters or a body → 422,
a body → 413, parameters or a body → 400, a path parameter → 404); the ones that depend on the rules (403 only
for some callers, 409 for a state conflict) are declared on the handler with :func:`problems`.
A handler that needs a login also gets the bearer security requirement (:data:`SECURITY`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, Schema, SecurityScheme
from litestar.plugins.pydantic import PydanticSchemaPlugin
from pydantic import BaseModel

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

PROBLEM_JSON = "application/problem+json"
BEARER = "bearer"
#: The document's security scheme, for the app's ``OpenAPIConfig(components=...)``.
SECURITY = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            description="the access_token from POST /api/v1/auth/login",
        )
    }
)

_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON or not of the expected shape",
    401: "Not logged in: send 'Authorization: Bearer <token>'",
    403: "Logged in, but this caller may not do this",
    404: "No such resource (or not visible to this caller)",
    409: "Conflicts with the current state",
    413: "The request body is too large",
    415: "Unsupported media type",
    422: "A field's value is not acceptable; `errors` names each field and the reason",
    429: "Too many requests; retry after the time in Retry-After",
    503: "The database is unavailable or busy; retry shortly",
}
#: Parameters that come from the app, not from the client.
_INJECTED = {"db", "user", "settings", "state", "request", "locate", "viewer", "member"}


class FieldError(BaseModel):
    """One field's problem: which input, and why."""

    field: str
    reason: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem, as every error of the API is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    #: Further field errors not listed (a 422 lists at most 100).
    errors_omitted: int | None = None


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """Response specs for these problem statuses, for a handler's ``responses=``."""
    return {
        code: ResponseSpec(
            data_container=ProblemDetails,
            description=_DESCRIPTIONS.get(code, "Problem"),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for code in codes
    }


def implied_statuses(handler: HTTPRouteHandler) -> set[int]:
    """The problem statuses a handler can answer by its signature alone."""
    params = inspect.signature(handler.fn).parameters
    codes: set[int] = set()
    if "user" in params:
        codes.add(401)
    if "db" in params:
        codes.add(503)
    if "data" in params:
        codes |= {400, 413, 422}
    client_params = [p for p in params if p not in _INJECTED]
    if client_params:
        # A parameter of the wrong type is a 422 naming it; one Litestar cannot parse at
        # all is a 400 (Litestar documents that 400 itself, in its own shape: ours replaces it).
        codes |= {400, 422}
    if "{" in next(iter(handler.paths)):
        codes.add(404)
    return codes


def _needs_login(handler: HTTPRouteHandler) -> bool:
    """The handler, or one of its own dependencies that it takes, asks for ``user``."""
    params = inspect.signature(handler.fn).parameters
    if "user" in params:
        return True
    own = handler.dependencies or {}
    return any(
        "user" in inspect.signature(p.dependency if isinstance(p, Provide) else p).parameters
        for name, p in own.items()
        if name in params
    )


def document_problems(handlers: Iterable[Any]) -> None:
    """Add the implied problem responses to every handler, and the bearer requirement to
    those that need a login (idempotent: apps are built often)."""
    for handler in handlers:
        if not isinstance(handler, HTTPRouteHandler):
            continue
        if _needs_login(handler) and not handler.security:
            handler.security = [{BEARER: []}]
        declared: Mapping[int, ResponseSpec] = handler.responses or {}
        implied = problems(*sorted(implied_statuses(handler) - set(declared)))
        handler.responses = {**implied, **declared}


class ClosedBodies(PydanticSchemaPlugin):
    """Litestar's schemas for pydantic models, but a model that refuses unknown fields
    (``extra="forbid"``: every request body, :class:`market.core.schemas.Body`) says so with
    ``additionalProperties: false``; Litestar's own plugin leaves every object open, so the
    document accepted bodies the API answers with a 422. Pass it in the app's ``plugins``:
    it then stands in for Litestar's plugin for every pydantic model."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        model = field_definition.annotation
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and model.model_config.get("extra") == "forbid"
        ):
            schema.additional_properties = False
        return schema
