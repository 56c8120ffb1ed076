"""Domain errors: what went wrong, in the domain's words, with the HTTP-free status it maps to.

Services raise these and know nothing of HTTP or Litestar; ``market.core.problems`` is the one
map that turns them (and Litestar's and the database's own errors) into RFC 9457 problem
details. ``status`` is the class's code in that map, kept on the class so the map stays a
single lookup; ``errors`` lists ``{"field", "reason"}`` pairs so a client can put each
message beside its input.
"""

from __future__ import annotations


class Problem(Exception):
    """A domain error with an HTTP status; ``errors`` lists ``{"field", "reason"}`` pairs."""

    status = 400

    def __init__(
        self, detail: str, *, errors: list[dict[str, str]] | None = None, status: int | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        if status is not None:
            self.status = status


class Invalid(Problem):
    """422: the request is well-formed but a field's value is not acceptable."""

    status = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


class NotFound(Problem):
    """404: the thing named does not exist (or the caller may not know that it does)."""

    status = 404


class Forbidden(Problem):
    """403: the caller is known but may not do this."""

    status = 403


class Unauthorized(Problem):
    """401: no valid login."""

    status = 401


class Conflict(Problem):
    """409: the request is valid but the current state does not allow it."""

    status = 409
