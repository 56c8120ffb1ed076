"""The allocation's pairs and solve in a worker process, so a large one never stalls others.

Pair generation is Python and NumPy, and a solve holds the GIL (OR-Tools) or at least the
CPU (the network simplex, ≈ 0.3 s at 2,000 listings × 2,000 demands, 0.6 s with the pairs);
in the server's thread that would hold every other request. :func:`allocate_off_loop`
sends the instance (the matcher's plain, picklable ``Supply``/``Demand`` snapshots, the
settings and the shared permit caps) to one spawned process, started on first use and
reused, and gets back
:class:`matching.allocation.Solved` — a few integer arrays — from which the plan's objects
are built here. Like :mod:`market.ledger.worker`, a worker past the time limit
(``allocation_seconds``) is killed, and the request is a 503 naming that setting; the app's
lifespan calls :func:`shutdown`.

One worker: two large allocations at once run one after the other, and the limit counts
the wait too (a limit that kills the worker also fails the request it was running, with a
503 "worker stopped"; the next request starts a new worker).

Small instances stay in the server's process: below :data:`IN_PROCESS_BELOW` possible pairs
(listings × demands, an upper bound of the feasible pairs) pairs and solve take a few
milliseconds, less than the hop to another process and back.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal

from market.core.errors import Problem
from market.core.settings import env_name
from matching.allocation import Allocation, Solved, plan_of, solve_instance
from matching.model import Demand, Supply
from matching.scoring import MatchSettings

#: Listings × demands below which the allocation is solved in the server's own process.
IN_PROCESS_BELOW = 2_000

_pool: ProcessPoolExecutor | None = None


class AllocationTooSlow(Problem):
    """503: the allocation did not finish within the time limit; nothing was computed."""

    status = 503

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the allocation took more than {seconds:g} s "
            f"(limit set by {env_name('allocation_seconds')}); try a month or a narrower "
            "scenario"
        )


def _solve(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings,
    caps: Mapping[int, Decimal],
) -> Solved:
    return solve_instance(supplies, demands, settings, shared_caps=caps)


def pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _kill() -> None:
    global _pool
    if _pool is not None:
        for p in list(getattr(_pool, "_processes", {}).values()):
            p.kill()
        shutdown()


async def allocate_off_loop(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings,
    caps: Mapping[int, Decimal],
    seconds: float,
) -> Allocation:
    """As :func:`matching.allocation.allocate`, in the worker process unless it is small."""
    s, d = tuple(supplies), tuple(demands)
    if len(s) * len(d) < IN_PROCESS_BELOW:
        return plan_of(s, d, _solve(s, d, settings, caps))
    loop = asyncio.get_running_loop()
    try:
        future = loop.run_in_executor(pool(), _solve, s, d, settings, dict(caps))
        solved = await asyncio.wait_for(future, seconds)
    except TimeoutError:
        _kill()
        raise AllocationTooSlow(seconds) from None
    except BrokenProcessPool:
        # The worker died (out of memory, killed): the next request starts a new one.
        shutdown()
        raise Problem("the allocation worker stopped; try again", status=503) from None
    return await asyncio.to_thread(plan_of, s, d, solved)
