"""The app's background work: named jobs run every few seconds until the app shuts down.

One small scheduler instead of one hand-written loop per domain, so every job gets the same
treatment: it waits its interval, runs with the app's session factory (the job opens its own
transactions, one per item where one bad item must not block the others), has its errors
logged under its name without ending the loop, and is cancelled when the app stops. A job
whose interval is 0 is off: cron runs the matching ``market`` command instead, which calls
the very same job function once.

Several app processes (and cron) may run the same job at once; the jobs are written for that
(conditional updates, claimed rows), not the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db_faults import database_unavailable, one_line

log = logging.getLogger(__name__)

Factory = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Job:
    """A periodic piece of work; ``run`` takes the session factory, its result is ignored."""

    name: str
    #: Seconds between the end of one run and the start of the next; ≤ 0 disables the job.
    interval: float
    run: Callable[[Factory], Awaitable[object]]
    #: Releases what the runs kept open (e.g. an HTTP connection pool) once the job stopped.
    close: Callable[[], Awaitable[None]] | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > 0


async def run_once(job: Job, factory: Factory) -> bool:
    """Run ``job`` once; an error is logged under the job's name (False), never raised, so
    the next run tries again. Cancellation passes through."""
    try:
        await job.run(factory)
    except Exception as exc:
        if database_unavailable(exc):  # one line per run while the database is away, no stack
            log.warning(
                "background job %r: database unavailable (%s); it runs again in %s s",
                job.name,
                one_line(exc),
                job.interval,
            )
        else:
            log.exception("background job %r failed; it runs again in %s s", job.name, job.interval)
        return False
    return True


class Scheduler:
    """Runs each enabled job in its own task; ``async with`` starts them and, on the way
    out, cancels them and waits until they have stopped (a run in flight rolls back)."""

    def __init__(self, factory: Factory, jobs: Iterable[Job]) -> None:
        self.factory = factory
        self.jobs = [job for job in jobs if job.enabled]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the scheduler is already running")
        self._tasks = [
            asyncio.create_task(self._loop(job), name=f"job:{job.name}") for job in self.jobs
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for job in self.jobs:
            if job.close is not None:
                try:
                    await job.close()
                except Exception:
                    log.exception("closing background job %r failed", job.name)

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(job.interval)
            await run_once(job, self.factory)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
