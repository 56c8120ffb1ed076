"""The kept answers' rules: stamp, ttl, size, renewal by one request, one computation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

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
    computed: list[int] = []

    @get("/answer")
    async def answer(request: Request[Any, Any, Any], state: State) -> Response[dict[str, int]]:
        async def compute() -> dict[str, int]:
            computed.append(1)
            await asyncio.sleep(0.05)
            return {"n": len(computed)}

        return await cached_json(request, state.answers, "k", (1,), compute)

    app = Litestar([answer], state=State({"answers": ResponseCache(ttl=5.0)}))
    async with AsyncTestClient(app) as client:
        replies = await asyncio.gather(*(client.get("/answer") for _ in range(8)))
    assert {r.status_code for r in replies} == {200}
    assert {r.content for r in replies} == {b'{"n":1}'} and computed == [1]
