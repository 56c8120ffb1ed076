"""One request, one transaction, closed when the response goes out, whatever failed."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Actors, assert_problem


async def test_a_dependency_that_fails_after_the_login_returns_the_connection(
    app: Litestar, client: AsyncTestClient[Litestar], actors: Actors
) -> None:
    """The stats filter's ``year`` does not parse after the user was looked up (a query in
    the request's transaction): Litestar leaves that transaction to the garbage collector,
    and on SQLite it held the write lock. The connection must be back at once."""
    headers = await actors.user()
    pool = app.state.engine.pool
    for query in ({"year": "soon"}, {"month": "3"}, {"year": "1900"}):
        r = await client.get("/api/v1/stats/utilisation", headers=headers, params=query)
        assert_problem(r, 422, next(iter(query)))
        assert pool.checkedout() == 0
    # and the database takes a write straight away
    await actors.user()
