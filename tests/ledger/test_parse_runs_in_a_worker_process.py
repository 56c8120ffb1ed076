"""The ledger parse runs in a separate process, and comes back exactly as the in-thread parse.

A thread was not enough (the pure-Python readers hold the GIL, so other requests waited);
these tests pin the process boundary: same rows, same errors with their status, and a
worker that overruns its time is killed and replaced rather than left running.
"""

from __future__ import annotations

import os

import pytest

from market.core.errors import Problem
from market.ledger import worker
from market.ledger.importer import parse_file
from market.ledger.reading import FileTooLarge, Limits
from tests.ledger.test_import_is_all_or_nothing import upload, zh_csv

pytestmark = pytest.mark.asyncio


async def test_rows_from_the_worker_equal_the_in_thread_parse() -> None:
    content = zh_csv("1,磷石膏,2025-01,10.5,4,3,,,,,,", "2,粉煤灰,2025-02,x,,,,,,,,").encode()
    limits = Limits.defaults()
    assert await worker.parse_in_process(content, limits) == parse_file(content, limits)


async def test_the_parse_happens_in_another_process() -> None:
    await worker.parse_in_process(zh_csv("1,磷石膏,2025-01,1,1,,,,,,,").encode(), Limits.defaults())
    pids = {p.pid for p in worker.pool()._processes.values()}
    assert pids and os.getpid() not in pids


async def test_a_limit_in_the_worker_comes_back_as_the_same_problem() -> None:
    content = zh_csv(*["1,磷石膏,2025-01,1,1,,,,,,,"] * 30).encode()
    limits = Limits(rows=10, columns=64, unpacked_bytes=10**8, ratio=100, seconds=30)
    with pytest.raises(FileTooLarge) as caught:
        await worker.parse_in_process(content, limits)
    assert caught.value.status == 413
    assert "MARKET_LEDGER_IMPORT_MAX_ROWS" in caught.value.detail


async def test_a_worker_past_its_time_is_killed_and_the_next_parse_gets_a_new_one() -> None:
    row = zh_csv("1,磷石膏,2025-01,1,1,,,,,,,").encode()
    await worker.parse_in_process(row, Limits.defaults())
    old = {p.pid for p in worker.pool()._processes.values()}
    worker.shutdown()
    # The wait is limits.seconds + 5 s: at -4.95 s it is 50 ms, less than a spawned
    # interpreter needs to start, so the parent gives up first and kills the worker.
    hurried = Limits(rows=10, columns=64, unpacked_bytes=10**8, ratio=100, seconds=-4.95)
    with pytest.raises(FileTooLarge):
        await worker.parse_in_process(row, hurried)
    assert worker._pool is None
    assert len(await worker.parse_in_process(row, Limits.defaults())) == 1
    assert {p.pid for p in worker.pool()._processes.values()}.isdisjoint(old)


async def test_only_large_files_go_to_the_worker(client, actors) -> None:
    """A small file is parsed in a thread (the process hop would cost more than the parse);
    one of MIN_BYTES or more starts the worker."""
    headers, _, site = await actors.producer()
    worker.shutdown()
    r = await upload(client, headers, zh_csv(f"{site['id']},磷石膏,2025-01,1,1,,,,,,,").encode())
    assert r.status_code == 201, r.text
    assert worker._pool is None
    note = "备注" * 150
    months = [f"{2001 + i // 12}-{i % 12 + 1:02d}" for i in range(12 * 25)]  # 2001-2025
    rows = [f"{site['id']},粉煤灰,{m},1,1,,,,,,,{note}" for m in months]
    content = zh_csv(*rows).encode()
    assert len(content) >= worker.MIN_BYTES
    r = await upload(client, headers, content)
    assert r.status_code == 201, r.text[:300]
    assert r.json()["created"] == len(rows)
    assert worker._pool is not None


async def test_a_dead_worker_is_a_503_and_the_next_parse_starts_a_new_one() -> None:
    row = zh_csv("1,磷石膏,2025-01,1,1,,,,,,,").encode()
    await worker.parse_in_process(row, Limits.defaults())
    for process in list(worker.pool()._processes.values()):
        process.kill()  # as the kernel's OOM killer would
        process.join()
    with pytest.raises(Problem) as caught:
        await worker.parse_in_process(row, Limits.defaults())
    assert caught.value.status == 503 and "worker stopped" in caught.value.detail
    assert len(await worker.parse_in_process(row, Limits.defaults())) == 1
