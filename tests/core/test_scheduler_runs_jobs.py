"""The background scheduler: intervals, off switch, errors logged per job, cancellation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest

from market.core.scheduler import Factory, Job, Scheduler, run_once

FACTORY = cast(Factory, object())  # the jobs here never open a session


async def _until(condition: Any, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_a_failing_job_is_logged_and_neither_it_nor_the_others_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = {"good": 0, "bad": 0, "off": 0}
    seen: list[object] = []

    async def good(factory: Factory) -> None:
        seen.append(factory)
        runs["good"] += 1

    async def bad(factory: Factory) -> None:
        runs["bad"] += 1
        raise RuntimeError("boom")

    async def off(factory: Factory) -> None:
        runs["off"] += 1

    jobs = [Job("good", 0.01, good), Job("bad", 0.01, bad), Job("off", 0, off)]
    with caplog.at_level(logging.ERROR, logger="market.core.scheduler"):
        async with Scheduler(FACTORY, jobs) as scheduler:
            assert [j.name for j in scheduler.jobs] == ["good", "bad"]
            await _until(lambda: runs["good"] >= 3 and runs["bad"] >= 3)
    assert runs["off"] == 0 and set(seen) == {FACTORY}
    assert "background job 'bad' failed" in caplog.text and "boom" in caplog.text
    stopped = dict(runs)
    await asyncio.sleep(0.05)
    assert runs == stopped, "nothing runs after the scheduler stopped"


async def test_stop_cancels_a_run_in_flight_and_closes_the_job() -> None:
    started, cancelled, closed = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(factory: Factory) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def close() -> None:
        closed.set()

    scheduler = Scheduler(FACTORY, [Job("slow", 0.01, slow, close)])
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(scheduler.stop(), 5)
    assert cancelled.is_set() and closed.is_set()


async def test_run_once_reports_failure_instead_of_raising() -> None:
    async def bad(factory: Factory) -> None:
        raise ValueError("nope")

    async def fine(factory: Factory) -> str:
        return "done"

    assert await run_once(Job("bad", 0, bad), FACTORY) is False
    assert await run_once(Job("fine", 0, fine), FACTORY) is True
