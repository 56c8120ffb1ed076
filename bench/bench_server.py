"""Benchmark: the app over HTTP — granian versus uvicorn, and the matches route's cost.

Run ``.venv/bin/python -m bench server`` (or ``make bench``). Builds a temporary SQLite
database with the real commands (``market db upgrade``, ``market demo load``: the Jingmen demo
data), then starts the same app twice as subprocesses on free 127.0.0.1 ports, one worker
each — granian the way ``market serve`` starts it, uvicorn with its CLI (access log off) —
with the background pollers off (``MARKET_TENDER_POLL_SECONDS=0``,
``MARKET_WEBHOOK_POLL_SECONDS=0``). A closed-loop client (``bench._load``, its own process,
16 keep-alive connections) then measures requests per second:

1. granian vs uvicorn on ``GET /api/v1/health``, the cheapest JSON route that answers 200
   (none is DB-free: it runs ``SELECT 1``, on SQLite through a fresh connection per request),
   and on the DB-free 404 problem-details answer of an unknown ``/api/v1`` path, to show the
   servers without the database. Each server gets 5 s in two halves, in the order
   granian, uvicorn, uvicorn, granian, so that drift in the machine's load hits both alike.
2. ``GET /api/v1/listings/{id}/matches?limit=20`` on granian, as the owner of the demo's
   fly-ash listing with the most matches, relative to the health route in the same run.

The client competes with the server for the machine's cores; it is the same client for both
servers. Server CPU is read from ``/proc`` (Linux) to show which side was saturated.
Finally the matches service is timed in-process to split a request between the matcher and
the database work around it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._load import LoadGenerator, LoadResult
from bench._postgres import POSTGRES_URL, scratch_database

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CONNECTIONS = 16
CLIENT_PROCESSES = 1
#: Measured seconds per server and route (split in two halves for the A-B-B-A order).
DURATION_S = 5.0
WARMUP_S = 1.0
LIMIT = 20
STARTUP_TIMEOUT_S = 45.0
HEALTH = "/api/v1/health"
MISSING = "/api/v1/bench-no-such-route"
#: Demo producers of fly ash (market/demo_seed.py); logins are <key>@demo.jingmen.example.
FLY_ASH_PRODUCERS = ("jingmen_power", "zhongxiang_power", "shayang_thermal")
MATERIAL = "fly_ash"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    env |= {
        "MARKET_ENV": "development",
        "MARKET_DATABASE_URL": database_url,
        "MARKET_TENDER_POLL_SECONDS": "0",
        "MARKET_WEBHOOK_POLL_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _market(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "market.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"market {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _server_command(name: str, port: int, workers: int = 1) -> list[str]:
    if name == "granian":
        # Exactly what `market serve` runs (Granian, ASGI interface, its defaults).
        return [sys.executable, "-m", "market.cli", "serve", "--host", HOST, "--port", str(port),
                "--workers", str(workers)]  # fmt: skip
    return [sys.executable, "-m", "uvicorn", "market.asgi:app", "--host", HOST, "--port",
            str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]  # fmt: skip


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float | None:
        """CPU time of every process in the server's process group (Linux ``/proc``)."""
        try:
            tick = os.sysconf("SC_CLK_TCK")
            total = 0
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                rest = stat.rsplit(")", 1)[1].split()
                if int(rest[2]) == self.process.pid:  # pgrp: the group we started
                    total += int(rest[11]) + int(rest[12])  # utime + stime
            return total / tick
        except (OSError, ValueError, IndexError):
            return None

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""


@contextmanager
def serve(name: str, env: dict[str, str], logdir: Path, *, workers: int = 1) -> Iterator[Server]:
    """Start a server in its own process group; always kill the whole group afterwards."""
    port = _free_port()
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _server_command(name, port, workers),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(name, f"http://{HOST}:{port}", process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start-up:\n{server.log_tail()}")
        try:
            if httpx.get(server.base + HEALTH, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no worker of the group outlives it.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


# --- the demo data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    email: str
    token: str
    listing_id: int
    matches: int
    open_demands: int
    open_material_demands: int
    response_bytes: int


def _login(client: httpx.Client, key: str) -> tuple[str, str]:
    email = f"{key}@demo.jingmen.example"
    r = client.post("/api/v1/auth/login", json={"email": email, "password": f"demo-{key}-2026"})
    r.raise_for_status()
    return email, str(r.json()["access_token"])


def find_target(base: str) -> Target:
    """The open fly-ash listing with the most matches among the demo's ash producers."""
    best: Target | None = None
    with httpx.Client(base_url=base, timeout=30) as client:
        for key in FLY_ASH_PRODUCERS:
            email, token = _login(client, key)
            auth = {"Authorization": f"Bearer {token}"}
            mine = client.get(
                "/api/v1/listings",
                params={"mine": "true", "material": MATERIAL, "page_size": 100},
                headers=auth,
            ).json()["items"]
            for listing in mine:
                if listing["status"] != "open":
                    continue
                r = client.get(
                    f"/api/v1/listings/{listing['id']}/matches",
                    params={"limit": LIMIT},
                    headers=auth,
                )
                r.raise_for_status()
                n = len(r.json()["items"])
                if best is None or n > best.matches:
                    best = Target(email, token, listing["id"], n, 0, 0, len(r.content))
        if best is None:
            raise RuntimeError("the demo data has no open fly-ash listing")
        auth = {"Authorization": f"Bearer {best.token}"}

        def total(**params: Any) -> int:
            r = client.get("/api/v1/demands", params=params | {"page_size": 1}, headers=auth)
            r.raise_for_status()
            return int(r.json()["total"])

        return Target(
            best.email,
            best.token,
            best.listing_id,
            best.matches,
            total(),
            total(material=MATERIAL),
            best.response_bytes,
        )


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Measured:
    result: LoadResult | None = None
    server_cpu_s: float = 0.0
    halves: tuple[float, ...] = ()

    def add(self, r: LoadResult, cpu: float | None) -> None:
        self.result = r if self.result is None else self.result + r
        self.server_cpu_s += cpu or 0.0
        self.halves += (r.rps,)

    @property
    def rps(self) -> float:
        return self.result.rps if self.result else 0.0

    def detail(self) -> str:
        r = self.result
        if r is None:
            return "not measured"
        seconds = r.seconds
        cpu = ""
        if seconds and r.ok:
            per_request = self.server_cpu_s / r.ok * 1e6
            cpu = f", server CPU {self.server_cpu_s / seconds:.0%} of a core = {per_request:,.0f} µs/req"
        client = f", client CPU {r.client_cpu_s / seconds:.0%}" if seconds else ""
        halves = " / ".join(f"{h:,.0f}" for h in self.halves)
        return (
            f"{r.rps:,.0f} req/s (halves {halves}), p50 {r.latency_ms(0.5):.1f} ms, "
            f"p99 {r.latency_ms(0.99):.1f} ms, {r.errors} errors{cpu}{client}"
        )


def measure(
    load: LoadGenerator,
    server: Server,
    path: str,
    into: Measured,
    *,
    seconds: float,
    warmup: float,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> None:
    pending = load.start(
        server.base + path,
        duration=seconds,
        warmup=warmup,
        connections=CONNECTIONS,
        headers=headers,
        expect=expect,
    )
    time.sleep(max(0.0, pending.window_start - time.time()))
    before = server.cpu_seconds()
    time.sleep(max(0.0, pending.window_end - time.time()))
    after = server.cpu_seconds()
    r = pending.result()
    cpu = after - before if before is not None and after is not None else None
    into.add(r, cpu)


def abba(
    load: LoadGenerator, a: Server, b: Server, path: str, *, expect: int = 200
) -> tuple[Measured, Measured]:
    """Each server ``DURATION_S`` on ``path``, in the order a, b, b, a."""
    ma, mb = Measured(), Measured()
    half = DURATION_S / 2
    for server, into, warm in ((a, ma, WARMUP_S), (b, mb, WARMUP_S), (b, mb, 0.5), (a, ma, 0.5)):
        measure(load, server, path, into, seconds=half, warmup=warm, expect=expect)
    return ma, mb


# --- the matches route in-process ---------------------------------------------------------------


async def _profile_matches(database_url: str, target: Target, n: int = 100) -> str:
    """Time the matches service in-process: whole call (fresh session each) vs the matcher."""
    from sqlalchemy import event
    from sqlmodel import select

    from market.accounts.models import Site, User
    from market.catalogue import service as catalogue
    from market.core.db import make_engine, make_sessionmaker, transaction
    from market.core.settings import Settings
    from market.offers import matches
    from market.offers.models import Listing

    settings = Settings(
        database_url=database_url, tender_poll_seconds=0.0, webhook_poll_seconds=0.0
    )
    engine = make_engine(settings)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    factory = make_sessionmaker(engine)
    cache = matches.BookCache()
    query = matches.MatchQuery(limit=LIMIT, settings=settings, cache=cache)
    try:
        async with transaction(factory) as session:
            user = (await session.exec(select(User).where(User.email == target.email))).one()
            listing = await session.get(Listing, target.listing_id)
            assert listing is not None
            site = await session.get(Site, listing.site_id)
            assert site is not None
            material = await catalogue.get_material(session, listing.material_code)
            supply = matches.to_supply(listing, site, material)
            book = await cache.demand_book(session, listing.material_code)

        async def call() -> None:
            async with transaction(factory) as session:
                await matches.listing_matches(session, user, target.listing_id, query)

        await call()  # warm
        statements = 0
        t0 = time.perf_counter()
        for _ in range(n):
            await call()
        service_ms = (time.perf_counter() - t0) * 1000 / n
        per_call = statements / n

        ms = matches.match_settings(settings)
        t0 = time.perf_counter()
        for _ in range(n):
            book.matches_for_supply(supply, ms, LIMIT)
        matcher_ms = (time.perf_counter() - t0) * 1000 / n
    finally:
        await engine.dispose()
    return (
        f"matches service in-process, {n} calls: {service_ms:.2f} ms per call "
        f"({per_call:.0f} SQL statements on a fresh SQLite connection), of which the matcher "
        f"(DemandBook.matches_for_supply, index warm) {matcher_ms:.3f} ms "
        f"= {matcher_ms / service_ms:.1%}"
    )


# --- the hot routes on both databases (issue #14.1) -----------------------------------------

#: A geo search of the demo's fly ash around Jingmen's centre.
SEARCH = "/api/v1/listings?material=fly_ash&lat=31.03&lon=112.20&radius_km=50"
#: Distinct centres for the search that no kept answer can serve (each asked about once).
FRESH_CENTRES = 4000
#: What issue #14 asks of matches and geo search, relative to /health on the same server.
TARGET_SHARE, TARGET_P99_MS = 0.60, 50.0


def _fresh_searches(base: str) -> list[str]:
    """``FRESH_CENTRES`` searches, each at a centre of its own (a 0.001° grid step apart)."""
    side = int(FRESH_CENTRES**0.5) + 1
    return [
        f"{base}/api/v1/listings?material={MATERIAL}&lat={30.95 + 0.001 * (i // side):.3f}"
        f"&lon={112.10 + 0.001 * (i % side):.3f}&radius_km=50"
        for i in range(FRESH_CENTRES)
    ]


def hot_routes(load: LoadGenerator, label: str, url: str, logdir: Path) -> list[str]:
    """/health, matches and geo search on one granian worker over ``url`` (demo data loaded),
    each 5 s in two halves in the order health, matches, search, search, matches, health;
    then the same two routes with nothing to keep: matches on a server that keeps no answer
    (``MARKET_READ_CACHE_SECONDS=0``) and searches each at a centre of their own."""
    env = _server_env(url)
    health, kept_matches, kept_search = Measured(), Measured(), Measured()
    computed_matches, fresh_search = Measured(), Measured()
    half = DURATION_S / 2
    with serve("granian", env, logdir) as server:
        target = find_target(server.base)
        auth = {"Authorization": f"Bearer {target.token}"}
        matches_path = f"/api/v1/listings/{target.listing_id}/matches?limit={LIMIT}"
        order = [(HEALTH, health), (matches_path, kept_matches), (SEARCH, kept_search)]
        for i, (path, into) in enumerate(order + order[::-1]):
            warm = WARMUP_S if i < len(order) else 0.5
            measure(load, server, path, into, seconds=half, warmup=warm, headers=auth)
        fresh = _fresh_searches(server.base)
        pending = load.start(
            fresh, duration=DURATION_S, warmup=0.5, connections=CONNECTIONS, headers=auth
        )
        time.sleep(max(0.0, pending.window_start - time.time()))
        before = server.cpu_seconds()
        time.sleep(max(0.0, pending.window_end - time.time()))
        after = server.cpu_seconds()
        cpu = None if before is None or after is None else after - before
        fresh_search.add(pending.result(), cpu)
    with serve("granian", env | {"MARKET_READ_CACHE_SECONDS": "0"}, logdir) as server:
        measure(
            load,
            server,
            matches_path,
            computed_matches,
            seconds=DURATION_S,
            warmup=WARMUP_S,
            headers=auth,  # the token is the database's: good on this server too
        )

    def verdict(m: Measured) -> str:
        share = m.rps / health.rps if health.rps else 0.0
        p99 = m.result.latency_ms(0.99) if m.result else float("inf")
        ok = share >= TARGET_SHARE and p99 <= TARGET_P99_MS
        return (
            f"{m.rps:,.0f} req/s = {share:.0%} of /health, p99 {p99:.1f} ms "
            f"({'meets' if ok else 'misses'} ≥ {TARGET_SHARE:.0%} and p99 ≤ {TARGET_P99_MS:g} ms)"
        )

    lines = [
        f"{label}: demo data, 1 granian worker, {CONNECTIONS} connections, {DURATION_S:g} s each",
        f"   /health {health.detail()}",
        f"   matches (listing {target.listing_id}, {target.matches} matches, kept answer): "
        f"{verdict(kept_matches)}",
        f"      {kept_matches.detail()}",
        f"   geo search (50 km, kept answer): {verdict(kept_search)}",
        f"      {kept_search.detail()}",
        f"   nothing kept — matches computed each time: {verdict(computed_matches)}",
        f"      {computed_matches.detail()}",
        f"   nothing kept — search at {FRESH_CENTRES:,} centres, one each request: "
        f"{verdict(fresh_search)}",
        f"      {fresh_search.detail()}",
    ]
    return lines


# --- the report -----------------------------------------------------------------------------------


def _versions() -> str:
    def v(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio (no uvloop installed)"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11 (no httptools installed)"
    return (
        f"granian {v('granian')}, uvicorn {v('uvicorn')} [{http}], litestar {v('litestar')}, "
        f"event loop {loop}, Python {sys.version.split()[0]}"
    )


def _load_note() -> str:
    try:
        one, _, _ = os.getloadavg()
    except OSError:
        return ""
    cores = os.cpu_count() or 1
    busy = "  (BUSY: figures depressed and noisy)" if one > cores else ""
    return f"load average {one:.1f} on {cores} cores{busy}"


def main() -> list[str]:
    """Run the server benchmarks, print and return their report lines."""
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    cores = os.cpu_count() or 1
    say(_versions())
    say(f"before: {_load_note()}")
    with tempfile.TemporaryDirectory(prefix="market-bench-server-") as tmp:
        db = Path(tmp) / "market.sqlite3"
        url = f"sqlite+aiosqlite:///{db}"
        env = _server_env(url)
        t0 = time.perf_counter()
        _market(env, "db", "upgrade")
        demo = _market(env, "demo", "load").splitlines()[0].strip()
        say(f"database: temporary SQLite, migrated + {demo} ({time.perf_counter() - t0:.0f} s)")

        with (
            LoadGenerator(CLIENT_PROCESSES) as load,
            serve("granian", env, Path(tmp)) as granian,
            serve("uvicorn", env, Path(tmp)) as uvicorn,
        ):
            target = find_target(granian.base)
            g_health, u_health = abba(load, granian, uvicorn, HEALTH)
            g_miss, u_miss = abba(load, granian, uvicorn, MISSING, expect=404)
            g_match = Measured()
            auth = {"Authorization": f"Bearer {target.token}"}
            path = f"/api/v1/listings/{target.listing_id}/matches?limit={LIMIT}"
            for warm in (WARMUP_S, 0.5):
                measure(
                    load, granian, path, g_match, seconds=DURATION_S / 2, warmup=warm, headers=auth
                )
            hot = hot_routes(load, "SQLite", url, Path(tmp))
            with scratch_database("bench_server") as pg_url:
                if pg_url is None:
                    hot += [f"PostgreSQL: none at {POSTGRES_URL} (MARKET_BENCH_POSTGRES_URL)"]
                else:
                    pg_env = _server_env(pg_url)
                    _market(pg_env, "db", "upgrade")
                    _market(pg_env, "demo", "load")
                    hot += hot_routes(load, "PostgreSQL", pg_url, Path(tmp))
        profile = asyncio.run(_profile_matches(url, target))

    setup = (
        f"concurrency {CONNECTIONS}, {DURATION_S:g} s, 1 worker, {cores} cores; "
        f"client: bench._load, {CLIENT_PROCESSES} process, asyncio HTTP/1.1 keep-alive"
    )
    say("")
    say("1. granian vs uvicorn, same app, same database, same client (the client shares the")
    say(f"   {cores} cores with the server, so every figure is below the server's own ceiling)")
    say(f"   GET {HEALTH} — no JSON route that answers 200 is DB-free; this one runs SELECT 1")
    say(
        f"granian: {g_health.rps:,.0f} req/s, uvicorn: {u_health.rps:,.0f} req/s, "
        f"ratio {_ratio(g_health, u_health)} ({setup})"
    )
    say(f"   granian {g_health.detail()}")
    say(f"   uvicorn {u_health.detail()}")
    say(f"   GET {MISSING} → 404 problem+json, DB-free (router, exception handler, JSON only)")
    say(
        f"granian: {g_miss.rps:,.0f} req/s, uvicorn: {u_miss.rps:,.0f} req/s, "
        f"ratio {_ratio(g_miss, u_miss)} (DB-free 404, same settings)"
    )
    say(f"   granian {g_miss.detail()}")
    say(f"   uvicorn {u_miss.detail()}")
    say("   README claims ~1.45× on a small JSON route.")
    say("")
    share = g_match.rps / g_health.rps if g_health.rps else 0.0
    say(
        f"2. GET /api/v1/listings/{target.listing_id}/matches?limit={LIMIT} on granian as "
        f"{target.email} ({target.matches} matches returned, {target.response_bytes:,} bytes)"
    )
    say(
        f"matches: {g_match.rps:,.0f} req/s vs trivial {g_health.rps:,.0f} req/s = {share:.0%} "
        f"(demo data: {target.open_material_demands} open {MATERIAL} demands of "
        f"{target.open_demands} open, limit {LIMIT})"
    )
    say(f"   granian {g_match.detail()}")
    say(f"   {profile}")
    say("")
    say("3. The routes users wait on, relative to /health on the same server (issue #14.1)")
    for line in hot:
        say(line)
    say(f"after: {_load_note()}")
    return lines


def _ratio(a: Measured, b: Measured) -> str:
    """Throughput ratio a/b, and b/a of server CPU per request (steadier on a busy machine)."""
    text = f"{a.rps / b.rps:.2f}×" if b.rps else "n/a"
    ra, rb = a.result, b.result
    if ra and rb and ra.ok and rb.ok and a.server_cpu_s > 0:
        text += f" [CPU per request {(b.server_cpu_s / rb.ok) / (a.server_cpu_s / ra.ok):.2f}×]"
    return text


if __name__ == "__main__":
    main()
