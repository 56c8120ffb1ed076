"""A small closed-loop HTTP/1.1 load generator for the server benchmarks (no wrk needed).

:class:`LoadGenerator` keeps ``processes`` spawned client processes (separate from the
benchmark's own process and from the server). For each run every process opens one asyncio
loop with ``connections`` keep-alive connections; each connection sends its next ``GET`` as
soon as the previous answer has been read. Runs start at a shared wall-clock time after a
warm-up, and count only the responses with the expected status that *complete* inside the
measured window (requests still in flight at its end are not counted). Loops are bounded by
the deadline and a hard timeout, so a run always ends by itself. Only loopback is accepted.

The client speaks HTTP/1.1 directly over ``asyncio`` streams with a pre-encoded request
instead of ``httpx.AsyncClient``: on this project's 2-core machine httpx spent roughly ten
times the client CPU per request and capped a DB-free route near 500 req/s where the server
answered ~5,000 req/s to this client, so it measured the client, not the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

#: Seconds allowed between submitting a run and the clients' common start of warm-up.
START_SLACK_S = 0.5
#: A connection whose answer takes longer than this counts an error and reconnects.
REQUEST_TIMEOUT_S = 10.0
MAX_HEADER_BYTES = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class LoadResult:
    """Totals over all client processes for the measured window."""

    ok: int
    errors: int
    seconds: float
    connections: int
    client_cpu_s: float
    latencies_ms: tuple[float, ...]

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        """Latency quantile ``q`` (0–1) of the counted responses, in milliseconds."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def __add__(self, other: LoadResult) -> LoadResult:
        """Two windows of the same load as one (e.g. the halves of an A-B-B-A schedule)."""
        return LoadResult(
            ok=self.ok + other.ok,
            errors=self.errors + other.errors,
            seconds=self.seconds + other.seconds,
            connections=max(self.connections, other.connections),
            client_cpu_s=self.client_cpu_s + other.client_cpu_s,
            latencies_ms=self.latencies_ms + other.latencies_ms,
        )


@dataclass(frozen=True)
class _Part:
    ok: int
    errors: int
    cpu_s: float
    latencies_ms: tuple[float, ...]


class _BadResponse(Exception):
    pass


#: What ends a connection (and counts an error inside the window) instead of the run.
_CONNECTION_ERRORS = (
    OSError,
    TimeoutError,
    ValueError,
    IndexError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    _BadResponse,
)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the server keeps the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep = True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep = b"close" not in value.lower()
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        raise _BadResponse("a response without Content-Length or chunked encoding")
    return status, keep


async def _client(
    host: str,
    port: int,
    requests: tuple[bytes, ...],
    expect: int,
    connections: int,
    warm_until: float,
    end: float,
) -> _Part:
    ok = errors = 0
    latencies: list[float] = []
    cpu_at_start: list[float] = []

    turn = 0

    def next_request() -> bytes:
        """The requests in turn, across the connections (one target: always the same)."""
        nonlocal turn
        turn += 1
        return requests[turn % len(requests)]

    async def one_connection() -> None:
        nonlocal ok, errors
        while time.time() < end:
            writer = None
            try:
                reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEADER_BYTES)
                keep = True
                while keep and time.time() < end:
                    sent = time.time()
                    writer.write(next_request())
                    async with asyncio.timeout(REQUEST_TIMEOUT_S):
                        status, keep = await _read_response(reader)
                    done = time.time()
                    if warm_until <= done <= end:
                        if status == expect:
                            ok += 1
                            latencies.append((done - sent) * 1000)
                        else:
                            errors += 1
            except _CONNECTION_ERRORS:
                if warm_until <= time.time() <= end:
                    errors += 1
                await asyncio.sleep(0.01)
            finally:
                if writer is not None:
                    writer.close()

    async def cpu_mark() -> None:
        await asyncio.sleep(max(0.0, warm_until - time.time()))
        cpu_at_start.append(time.process_time())

    mark = asyncio.create_task(cpu_mark())
    tasks = [asyncio.create_task(one_connection()) for _ in range(connections)]
    _, pending = await asyncio.wait(
        tasks, timeout=max(0.0, end - time.time()) + REQUEST_TIMEOUT_S + 2
    )
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await mark
    cpu = time.process_time() - (cpu_at_start[0] if cpu_at_start else 0.0)
    return _Part(ok, errors, cpu, tuple(latencies))


def _process_main(
    host: str,
    port: int,
    requests: tuple[bytes, ...],
    expect: int,
    connections: int,
    warm_until: float,
    end: float,
) -> _Part:
    return asyncio.run(_client(host, port, requests, expect, connections, warm_until, end))


def _ready() -> bool:
    return True


class LoadGenerator:
    """Client processes kept for several runs (spawned once, shut down on exit)."""

    def __init__(self, processes: int = 1) -> None:
        if not 1 <= processes <= 4:
            raise ValueError("1–4 client processes")
        self.processes = processes
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )

    def __enter__(self) -> LoadGenerator:
        # Spawn the processes now, so that no run pays for their start-up.
        for f in [self._pool.submit(_ready) for _ in range(self.processes)]:
            f.result(timeout=60)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self,
        url: str | Sequence[str],
        *,
        duration: float,
        warmup: float,
        connections: int,
        headers: Mapping[str, str] | None = None,
        expect: int = 200,
    ) -> LoadResult:
        """``GET url`` on ``connections`` keep-alive connections per process for ``warmup``
        + ``duration`` seconds; count ``expect`` answers completed in the last ``duration``."""
        return self.start(
            url,
            duration=duration,
            warmup=warmup,
            connections=connections,
            headers=headers,
            expect=expect,
        ).result()

    def start(
        self,
        url: str | Sequence[str],
        *,
        duration: float,
        warmup: float,
        connections: int,
        headers: Mapping[str, str] | None = None,
        expect: int = 200,
    ) -> PendingRun:
        """Like :meth:`run`, without waiting: the caller may observe the server meanwhile
        (the window is ``PendingRun.window_start`` to ``PendingRun.window_end``, wall clock).

        Several URLs (of one server) are requested in turn, a different one each request."""
        urls = [url] if isinstance(url, str) else list(url)
        requests = []
        for one in urls:
            parts = urlsplit(one)
            host, port = parts.hostname, parts.port
            if parts.scheme != "http" or host not in LOOPBACK or port is None:
                raise ValueError(f"the load generator only targets http://127.0.0.1:PORT: {one}")
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            head = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Accept: application/json"]
            head += [f"{k}: {v}" for k, v in (headers or {}).items()]
            requests.append(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if len({urlsplit(one).netloc for one in urls}) != 1 or host is None or port is None:
            raise ValueError("the URLs of one run must be of one server")
        if not 0 < duration <= 60 or not 0 <= warmup <= 30 or not 1 <= connections <= 256:
            raise ValueError("duration 0–60 s, warm-up 0–30 s, 1–256 connections only")
        warm_until = time.time() + START_SLACK_S + warmup
        end = warm_until + duration
        futures = [
            self._pool.submit(
                _process_main, host, port, tuple(requests), expect, connections, warm_until, end
            )
            for _ in range(self.processes)
        ]
        return PendingRun(futures, warm_until, end, duration, connections * self.processes)


@dataclass(frozen=True)
class PendingRun:
    """A run under way in the client processes."""

    futures: list[Future[_Part]]
    window_start: float
    window_end: float
    duration: float
    connections: int

    def result(self) -> LoadResult:
        limit = self.window_end - time.time() + REQUEST_TIMEOUT_S + 30
        done = [f.result(timeout=max(limit, 1.0)) for f in self.futures]
        return LoadResult(
            ok=sum(p.ok for p in done),
            errors=sum(p.errors for p in done),
            seconds=self.duration,
            connections=self.connections,
            client_cpu_s=sum(p.cpu_s for p in done),
            latencies_ms=tuple(lat for p in done for lat in p.latencies_ms),
        )
