"""The kept answers' rules: stamp, ttl, size, renewal by one request, one computation."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any, cast

from litestar import Request

from market.core.response_cache import ResponseCache, cached_json


def test_an_answer_holds_for_its_stamp_within_the_ttl() -> None:
    cache = ResponseCache(ttl=0.2, size=2)
    cache.put("a", (1,), b"A")
    assert cache.get("a", (1,)) == b"A"
    assert cache.get("a", (2,)) is None  # the rows changed
    cache.put("b", (1,), b"B")
    cache.put("c", (1,), b"C")  # over size: the least recently used ("a") goes
    assert cache.get("a", (1,)) is None and cache.get("c", (1,)) == b"C" and len(cache) == 2
    time.sleep(0.25)
    assert cache.get("c", (1,)) is None  # past the ttl
    off = ResponseCache(ttl=0)
    off.put("a", (1,), b"A")
    assert off.get("a", (1,)) is None and len(off) == 0


def test_one_request_renews_an_answer_past_half_its_ttl() -> None:
    cache = ResponseCache(ttl=0.2)
    cache.put("a", (1,), b"A")
    assert not cache.renews("a")  # young
    time.sleep(0.12)
    assert cache.get("a", (1,)) == b"A"
    assert cache.renews("a") and not cache.renews("a")  # the first asks, the others are served
    cache.renewed("a")  # it failed: the next may try
    assert cache.renews("a")


async def test_concurrent_misses_compute_the_answer_once() -> None:
    """Eight requests for one missing answer at once: one computes, seven wait (having given
    their connection back) and are served its body."""
    computed: list[int] = []
    released: list[int] = []
    cache = ResponseCache(ttl=5.0)
    # What cached_json reads of a request: its route's type encoders.
    request = cast(
        "Request[Any, Any, Any]",
        SimpleNamespace(route_handler=SimpleNamespace(resolve_type_encoders=dict)),
    )

    async def compute() -> dict[str, int]:
        computed.append(1)
        await asyncio.sleep(0.05)
        return {"n": len(computed)}

    async def release() -> None:
        released.append(1)

    replies = await asyncio.gather(
        *(cached_json(request, cache, "k", (1,), compute, release) for _ in range(8))
    )
    assert {r.content for r in replies} == {b'{"n":1}'} and computed == [1]
    assert len(released) == 7 and not cache.busy("k")
