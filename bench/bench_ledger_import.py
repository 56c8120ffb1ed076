"""Benchmark: a 100,000-row ledger CSV imported through the API while ``/health`` is polled.

Run ``.venv/bin/python -m bench ledger_import`` (or ``make bench``). Creates a throw-away
PostgreSQL database on ``MARKET_BENCH_POSTGRES_URL`` (default: the local server the test
suite uses, ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``), dropped afterwards,
or a temporary SQLite file when no PostgreSQL answers; migrates it with ``market db upgrade``,
starts the app the way ``market serve`` does (granian,
one worker, background pollers off) with ``MARKET_LEDGER_IMPORT_MAX_ROWS=100000`` so that the
whole file goes in (the default limit, 20,000, would refuse it with 413), registers a
producer with enough sites through the API, and builds a balanced CSV of 100,000 distinct
(site, material, month) rows.

A client thread polls ``GET /api/v1/health`` on one keep-alive connection, one request every
:data:`POLL_INTERVAL_S`, first with the server idle and then while the import is posted
from another connection; the figure that matters is how much the import delays the health
answers (the target: p99 at most 100 ms more than idle). The import is then posted again:
every row replaces its month (the idempotent re-import), which is the heavier write.

**PostgreSQL is the backend the target is for.** On SQLite every transaction starts with
``BEGIN IMMEDIATE`` (market.core.db: concurrent buyers queue instead of failing), so any
request that opens a transaction, ``/health`` included, waits for the import's write
transaction to end, up to SQLite's 5 s busy timeout; the SQLite figures show that wait.

The machine's two cores are shared by the server, this client and anything else running,
so the figures are for one machine at one moment; the sizes are printed with them.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._postgres import scratch_database
from bench.bench_server import HEALTH, _market, _server_env, serve
from market.accounts.uscc import make_uscc

ROWS = 100_000
MATERIALS = ("phosphogypsum", "fly_ash", "ggbs", "fgd_gypsum", "steel_slag")
FIRST_YEAR = 2000
MONTHS = 25 * 12  # 2000-01 … 2024-12: never in the future
SITES = -(-ROWS // (len(MATERIALS) * MONTHS))
IDLE_S = 3.0
POLL_INTERVAL_S = 0.02
#: What the issue asks of the import: /health p99 no more than this above idle.
TARGET_EXTRA_P99_MS = 100.0
PASSWORD = "bench-ledger-import-2026"


@contextmanager
def database(tmp: Path) -> Iterator[tuple[str, str]]:
    """(label, URL) of a throw-away PostgreSQL database, else of a SQLite file in ``tmp``."""
    with scratch_database("bench_ledger") as url:
        if url is None:
            yield "SQLite", f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
        else:
            yield "PostgreSQL", url


@dataclass
class Poller:
    """Polls /health from a thread until stopped; latencies in milliseconds."""

    base: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(HEALTH).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                if ok:
                    self.latencies.append(elapsed)
                else:
                    self.errors += 1
                self._stop.wait(POLL_INTERVAL_S)

    def during(self, work: object) -> float:
        """Poll while ``work()`` runs; return its seconds."""
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        started = time.perf_counter()
        try:
            assert callable(work)
            work()
        finally:
            elapsed = time.perf_counter() - started
            self._stop.set()
            thread.join(timeout=60)
        return elapsed

    def summary(self) -> str:
        lat = sorted(self.latencies)
        if not lat:
            return f"no answers, {self.errors} errors"

        def q(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))]

        return (
            f"{len(lat):,} polls, p50 {statistics.median(lat):.1f} ms, p99 {q(0.99):.1f} ms, "
            f"max {lat[-1]:.1f} ms, {self.errors} errors"
        )

    def p99(self) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")


def producer(base: str) -> tuple[dict[str, str], list[int]]:
    """A producer with :data:`SITES` sites, through the API."""
    email = "bench-ledger@example.cn"
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "bench"},
        ).raise_for_status()
        r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = client.post(
            "/api/v1/organizations",
            headers=auth,
            json={
                "name": "台账基准企业",
                "uscc": make_uscc("420802", 777001),
                "kind": "producer",
                "district_code": "420802",
            },
        )
        r.raise_for_status()
        org_id = r.json()["id"]
        sites = []
        for i in range(SITES):
            r = client.post(
                f"/api/v1/organizations/{org_id}/sites",
                headers=auth,
                json={"name": f"厂区{i}", "address": "荆门市", "lon": 112.2, "lat": 31.03},
            )
            r.raise_for_status()
            sites.append(int(r.json()["id"]))
    return auth, sites


def ledger_csv(sites: list[int]) -> bytes:
    """:data:`ROWS` balanced rows (generated = used in-house), distinct keys."""
    out = io.StringIO()
    out.write("site_id,material_code,month,generated_t,used_inhouse_t,note\n")
    n = 0
    for site in sites:
        for material in MATERIALS:
            for m in range(MONTHS):
                if n == ROWS:
                    return out.getvalue().encode()
                t = f"{100 + (n % 900)}.{n % 1000:03d}"
                out.write(f"{site},{material},{FIRST_YEAR + m // 12}-{m % 12 + 1:02d},{t},{t},b\n")
                n += 1
    return out.getvalue().encode()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as (backend, url):
        env = _server_env(url) | {
            "MARKET_LEDGER_IMPORT_MAX_ROWS": str(ROWS),
            "MARKET_LEDGER_IMPORT_SECONDS": "300",
        }
        _market(env, "db", "upgrade")
        with serve("granian", env, Path(tmp)) as server:
            auth, sites = producer(server.base)
            content = ledger_csv(sites)
            print(
                f"   sizes: {ROWS:,} rows ({len(sites)} sites × {len(MATERIALS)} materials × "
                f"{MONTHS} months), CSV {len(content) / 1e6:.1f} MB, {backend}, granian 1 worker"
            )
            idle = Poller(server.base)
            idle.during(lambda: time.sleep(IDLE_S))
            print(f"   /health idle:            {idle.summary()}")
            results: list[httpx.Response] = []

            def post() -> None:
                with httpx.Client(base_url=server.base, timeout=900) as client:
                    results.append(
                        client.post(
                            "/api/v1/ledger/import",
                            headers={**auth, "content-type": "text/csv"},
                            content=content,
                        )
                    )

            for label in ("import (all new)", "re-import (replaces)"):
                results.clear()
                busy = Poller(server.base)
                seconds = busy.during(post)
                r = results[0]
                if r.status_code != 201:
                    raise RuntimeError(f"import answered {r.status_code}: {r.text[:500]}")
                body = r.json()
                extra = busy.p99() - idle.p99()
                verdict = "within" if extra <= TARGET_EXTRA_P99_MS else "OVER"
                print(
                    f"   {label}: {seconds:.1f} s ({body['created']:,} new, "
                    f"{body['replaced']:,} replaced, {ROWS / seconds:,.0f} rows/s)"
                )
                print(
                    f"   /health meanwhile:       {busy.summary()}; p99 +{extra:.0f} ms over "
                    f"idle ({verdict} the {TARGET_EXTRA_P99_MS:.0f} ms target)"
                )


if __name__ == "__main__":
    main()
