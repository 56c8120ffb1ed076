"""A per-process cache of encoded JSON answers, each kept for one viewer and one stamp.

The routes users wait on (matches, geo search) compute the same answer again and again: a
producer's matches page is reloaded, a buyer pages back through a search. Computing one
costs a dozen statements and the view building around them; checking that it is still
right costs one statement. So each answer is kept, encoded, under a key that names the
viewer and the request, with a *stamp*: values read from the database in one cheap
statement (the row's and its book's latest ``updated_at``) that change whenever the rows the
answer was computed from change. A hit needs the same stamp and an age within ``ttl``
seconds; the ttl bounds how long a change the stamp does not see (an organisation renamed,
a membership removed, a site moved) can go unseen, as the match books' own ttl does.

Entries are per viewer (user id in the key): no answer computed for one user's rights and
privacy is ever shown to another. The cache holds at most ``size`` answers, least recently
used dropped first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from litestar import MediaType, Request, Response
from litestar.serialization import encode_json, get_serializer

from market.core.recent import Recent

T = TypeVar("T")


@dataclass
class _Answer:
    stamp: Hashable
    body: bytes
    #: A request is computing its successor (see :meth:`ResponseCache.renews`).
    renewing: bool = False


@dataclass
class ResponseCache:
    """Encoded answers by key, valid while their stamp holds and for ``ttl`` seconds."""

    ttl: float = 1.0
    size: int = 2048
    #: Past this share of the ttl, one request computes the answer afresh while the others
    #: are still served the kept one, so that under load no one waits for it to expire.
    renew_after: float = 0.5
    hits: int = 0
    misses: int = 0
    _locks: dict[Hashable, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[Hashable, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._answers: Recent[Hashable, _Answer] = Recent(self.ttl, self.size)

    def get(self, key: Hashable, stamp: Hashable) -> bytes | None:
        """The body kept for ``key`` if it was computed at ``stamp`` within the ttl."""
        kept = self._answers.get(key)
        if kept is None or kept[0].stamp != stamp:
            self.misses += 1
            return None
        self.hits += 1
        return kept[0].body

    def renews(self, key: Hashable) -> bool:
        """Whether this caller is the one to compute the kept answer anew now (past
        ``renew_after``, no one else at it); it then :meth:`put`s it, or says
        :meth:`renewed` when it could not."""
        kept = self._answers.get(key)
        if kept is None or kept[0].renewing or kept[1] <= self.renew_after * self.ttl:
            return False
        kept[0].renewing = True
        return True

    def put(self, key: Hashable, stamp: Hashable, body: bytes) -> None:
        self._answers.put(key, _Answer(stamp, body))

    def renewed(self, key: Hashable) -> None:
        """The renewal of ``key`` ended without a new answer: let the next request try."""
        kept = self._answers.get(key)
        if kept is not None:
            kept[0].renewing = False

    def clear(self) -> None:
        self._answers.clear()

    def busy(self, key: Hashable) -> bool:
        """Whether a request is computing (or waiting to compute) ``key``'s answer now."""
        return bool(self._waiting.get(key))

    @asynccontextmanager
    async def computing(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the key's lock while its answer is computed (the lock goes with its last
        holder, so locks do not pile up for keys asked once)."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._answers)


def _encode(request: Request[Any, Any, Any], value: Any) -> bytes:
    return encode_json(value, get_serializer(request.route_handler.resolve_type_encoders()))


async def cached_json(
    request: Request[Any, Any, Any],
    cache: ResponseCache,
    key: Hashable,
    stamp: Hashable | None,
    compute: Callable[[], Awaitable[T]],
    release: Callable[[], Awaitable[None]] | None = None,
) -> Response[T]:
    """The answer kept for ``key`` at ``stamp``, else ``compute()``'s, encoded and kept.

    ``stamp`` None: not to be kept (the row is missing, so ``compute`` answers the problem,
    or the answer depends on more than a stamp can say). The body is encoded with the
    route's own type encoders, so a kept answer is byte for byte the one computed.
    ``release``: give back the request's database connection before waiting for another
    request's computation (a read-only session's commit), so that waiters do not hold the
    pool (SQLite's is 3) while one computes.
    """
    body = None if stamp is None else cache.get(key, stamp)
    if stamp is None:
        body = _encode(request, await compute())
    elif body is not None and cache.renews(key):
        try:
            body = _encode(request, await compute())
        finally:
            cache.renewed(key)
        cache.put(key, stamp, body)
    elif body is None:
        # One computation per key at a time: when a kept answer goes stale under load, the
        # requests arriving meanwhile wait for it rather than each computing it again (at 16
        # connections that herd was the route's p99).
        if release is not None and cache.busy(key):
            await release()
        async with cache.computing(key):
            body = cache.get(key, stamp)
            if body is None:
                body = _encode(request, await compute())
                cache.put(key, stamp, body)
    # The declared type is T's (the OpenAPI document); the body is its encoding.
    return cast("Response[T]", Response(body, media_type=MediaType.JSON))
