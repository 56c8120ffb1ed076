"""The ledger parse in a worker process, so a large file never holds the server's GIL.

:func:`market.ledger.importer.import_file` calls :func:`parse_in_process` for files of
:data:`MIN_BYTES` or more; the app's lifespan calls :func:`shutdown`. A thread was not
enough: openpyxl and the CSV reader are pure Python and hold the GIL, so a 100,000-row parse
in a thread still delayed every other request (bench/bench_ledger_import.py). One spawned
process, started on the first large import and reused, keeps the event loop's thread free.

Bytes go in, compact picklable tuples come out (unpickling 100,000 dataclasses holding
Decimals would itself block the loop); a :class:`Problem` raised in the worker comes back
as its class, detail, errors and status. A worker that overruns the time limit is killed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal
from typing import Any

from market.core.errors import Invalid, Problem
from market.ledger.models import LEDGER_TONNES
from market.ledger.reading import FileTooLarge, Limits
from market.ledger.rules import LedgerEntry

_pool: ProcessPoolExecutor | None = None

#: Files smaller than this are parsed in a thread: starting the process (a fresh interpreter
#: importing the app, about a second on a busy machine) would cost more than the parse, and a
#: small file holds the GIL only briefly. Hostile small files (a sheet declaring a million
#: rows, a zip bomb) are refused by the reading limits before any row is built.
MIN_BYTES = 256 * 1024


def _compact(content: bytes, limits: Limits) -> tuple[str, Any]:
    from market.ledger.importer import parse_file

    try:
        rows = parse_file(content, limits)
    except Problem as exc:
        return "problem", (type(exc).__name__, exc.detail, exc.errors, exc.status)
    out: list[Any] = []
    for number, material, item in rows:
        if isinstance(item, LedgerEntry):
            tonnes = tuple(str(item.tonnes[n]) for n in LEDGER_TONNES)
            out.append((number, material, (item.site_id, item.year, item.month, tonnes, item.note)))
        else:
            out.append((number, material, list(item)))
    return "rows", out


def _expand(rows: list[Any]) -> list[Any]:
    result = []
    for number, material, item in rows:
        if isinstance(item, tuple):
            site_id, year, month, tonnes, note = item
            entry = LedgerEntry(
                site_id,
                material,
                year,
                month,
                dict(zip(LEDGER_TONNES, map(Decimal, tonnes), strict=True)),
                note,
            )
            result.append((number, material, entry))
        else:
            result.append((number, material, item))
    return result


def _rebuild(kind: str, detail: str, errors: list[dict[str, str]], status: int) -> Problem:
    cls = {"FileTooLarge": FileTooLarge, "Invalid": Invalid}.get(kind, Problem)
    exc = Problem.__new__(cls)
    Exception.__init__(exc, detail)
    exc.detail, exc.errors, exc.status = detail, errors, status
    return exc


def pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _ready() -> bool:
    """Run in the worker: import the parser, so the first large import finds it loaded."""
    import market.ledger.importer  # noqa: F401

    return True


def warm() -> None:
    """Start the worker process in the background (the app's start-up does not wait): a
    spawned interpreter importing the app takes about a second, which the first large import
    would otherwise spend before reading a row."""
    pool().submit(_ready)


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


async def parse_in_process(content: bytes, limits: Limits) -> list[Any]:
    """As :func:`market.ledger.importer.parse_file`, in the worker process."""
    loop = asyncio.get_running_loop()
    try:
        future = loop.run_in_executor(pool(), _compact, content, limits)
        kind, payload = await asyncio.wait_for(future, limits.seconds + 5)
    except TimeoutError:
        _kill()
        raise FileTooLarge(
            f"the file took more than {limits.seconds:g} s to read", "ledger_import_seconds"
        ) from None
    except BrokenProcessPool:
        # The worker died (out of memory, killed): say so, and the next import starts anew.
        shutdown()
        raise Problem("the ledger import worker stopped; try again", status=503) from None
    if kind == "problem":
        raise _rebuild(*payload)
    return await asyncio.to_thread(_expand, payload)
