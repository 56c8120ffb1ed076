from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from geodata.distance import geodesic_km
from geodata.routing import EstimateRouter, OsrmRouter, Router

JINGMEN = (112.1982, 31.0372)
ZHONGXIANG = (112.5817, 31.1680)
SHAYANG = (112.5897, 30.7062)
JINGSHAN = (113.1085, 31.0246)


@dataclass
class FakeOsrm:
    """What the fake server should do, and what it saw."""

    status: int = 200
    body: Callable[[list[tuple[float, float]], list[int], list[int]], object] | str | None = None
    delay_s: float = 0.0
    requests: list[str] = field(default_factory=list)


def _metres_table(
    coords: list[tuple[float, float]], sources: list[int], destinations: list[int]
) -> dict[str, object]:
    """An OSRM-shaped answer: geodesic × 1.25 in metres, so values are checkable."""
    distances = [
        [round(geodesic_km(*coords[s], *coords[d]) * 1250.0, 1) for d in destinations]
        for s in sources
    ]
    return {
        "code": "Ok",
        "distances": distances,
        "sources": [{"location": list(coords[s])} for s in sources],
        "destinations": [{"location": list(coords[d])} for d in destinations],
    }


@pytest.fixture
def osrm() -> Iterator[tuple[str, FakeOsrm]]:
    state = FakeOsrm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if state.delay_s:
                time.sleep(state.delay_s)
            parts = urlsplit(self.path)
            prefix = "/table/v1/driving/"
            assert parts.path.startswith(prefix)
            coords = [
                (float(a), float(b))
                for a, b in (p.split(",") for p in parts.path[len(prefix) :].split(";"))
            ]
            query = parse_qs(parts.query)
            assert query["annotations"] == ["distance"]
            sources = [int(i) for i in query["sources"][0].split(";")]
            destinations = [int(i) for i in query["destinations"][0].split(";")]
            if state.body is None:
                payload: object = _metres_table(coords, sources, destinations)
            elif callable(state.body):
                payload = state.body(coords, sources, destinations)
            else:
                payload = state.body
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_estimate_router_scales_geodesic_by_circuity() -> None:
    router = EstimateRouter(circuity=1.5)
    straight = geodesic_km(*JINGMEN, *ZHONGXIANG)
    assert router.road_km(*JINGMEN, *ZHONGXIANG) == pytest.approx(straight * 1.5)
    assert EstimateRouter().circuity == 1.3
    many = router.road_km_many(*JINGMEN, [ZHONGXIANG[0], SHAYANG[0]], [ZHONGXIANG[1], SHAYANG[1]])
    assert many[0] == pytest.approx(straight * 1.5, rel=5e-3)
    assert many.shape == (2,)


def test_estimate_router_table_shape_and_values() -> None:
    router = EstimateRouter()
    assert isinstance(router, Router)
    table = router.table_km([JINGMEN, SHAYANG], [ZHONGXIANG, JINGSHAN, JINGMEN])
    assert len(table) == 2 and all(len(row) == 3 for row in table)
    assert table[0][2] == pytest.approx(0.0, abs=1e-9)
    assert table[1][0] == pytest.approx(router.road_km(*SHAYANG, *ZHONGXIANG), rel=5e-3)
    assert router.table_km([JINGMEN], []) == [[]]


def test_estimate_router_rejects_circuity_below_one() -> None:
    with pytest.raises(ValueError, match="circuity"):
        EstimateRouter(circuity=0.9)


def test_osrm_router_reads_table_in_km(osrm: tuple[str, FakeOsrm]) -> None:
    url, state = osrm
    with OsrmRouter(url) as router:
        assert isinstance(router, Router)
        table = router.table_km([JINGMEN, SHAYANG], [ZHONGXIANG, JINGSHAN])
    expected = [
        [geodesic_km(*o, *d) * 1.25 for d in (ZHONGXIANG, JINGSHAN)] for o in (JINGMEN, SHAYANG)
    ]
    assert np.allclose(table, expected, rtol=1e-4)
    assert len(state.requests) == 1
    assert "sources=0%3B1" in state.requests[0] or "sources=0;1" in state.requests[0]


def test_osrm_router_splits_large_tables(osrm: tuple[str, FakeOsrm]) -> None:
    url, state = osrm
    origins = [(112.0 + i * 0.01, 31.0) for i in range(5)]
    destinations = [(112.5, 30.8 + j * 0.01) for j in range(3)]
    with OsrmRouter(url, max_locations=4) as router:
        table = router.table_km(origins, destinations)
    assert len(state.requests) == 6  # 3 origin blocks × 2 destination blocks
    expected = [[geodesic_km(*o, *d) * 1.25 for d in destinations] for o in origins]
    assert np.allclose(table, expected, rtol=1e-4)


def test_osrm_null_cells_fall_back_per_cell(
    osrm: tuple[str, FakeOsrm], caplog: pytest.LogCaptureFixture
) -> None:
    url, state = osrm

    def with_null(coords: list[tuple[float, float]], s: list[int], d: list[int]) -> object:
        answer = _metres_table(coords, s, d)
        answer["distances"][0][1] = None  # type: ignore[index]
        return answer

    state.body = with_null
    fallback = EstimateRouter(circuity=2.0)
    with (
        caplog.at_level(logging.WARNING, logger="geodata.routing"),
        OsrmRouter(url, fallback=fallback) as router,
    ):
        table = router.table_km([JINGMEN], [ZHONGXIANG, JINGSHAN])
    assert table[0][0] == pytest.approx(geodesic_km(*JINGMEN, *ZHONGXIANG) * 1.25, rel=1e-4)
    assert table[0][1] == pytest.approx(fallback.road_km(*JINGMEN, *JINGSHAN))
    assert any("no route for 1 of 2" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("status", "body", "needle"),
    [
        (500, {"code": "InternalError"}, "500"),
        (200, "this is not json", "failed"),
        (200, {"code": "NoTable", "message": "nope"}, "NoTable"),
        (200, {"code": "Ok", "distances": [[1.0]]}, "mis-sized"),
    ],
)
def test_osrm_bad_answers_fall_back_with_warning(
    osrm: tuple[str, FakeOsrm],
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: object,
    needle: str,
) -> None:
    url, state = osrm
    state.status = status
    state.body = body  # type: ignore[assignment]
    fallback = EstimateRouter(circuity=1.3)
    with (
        caplog.at_level(logging.WARNING, logger="geodata.routing"),
        OsrmRouter(url, fallback=fallback) as router,
    ):
        table = router.table_km([JINGMEN], [ZHONGXIANG, SHAYANG])
    assert table == fallback.table_km([JINGMEN], [ZHONGXIANG, SHAYANG])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and warnings[0].name == "geodata.routing"
    assert needle in warnings[0].getMessage()


def test_osrm_not_listening_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The socket is closed now, so nothing listens on this port.
    with (
        caplog.at_level(logging.WARNING, logger="geodata.routing"),
        OsrmRouter(f"http://127.0.0.1:{port}") as router,
    ):
        table = router.table_km([JINGMEN], [ZHONGXIANG])
    assert table[0][0] == pytest.approx(EstimateRouter().road_km(*JINGMEN, *ZHONGXIANG), rel=5e-3)
    assert any("failed" in r.getMessage() for r in caplog.records)


def test_osrm_timeout_falls_back_quickly(
    osrm: tuple[str, FakeOsrm], caplog: pytest.LogCaptureFixture
) -> None:
    url, state = osrm
    state.delay_s = 1.0
    started = time.perf_counter()
    with (
        caplog.at_level(logging.WARNING, logger="geodata.routing"),
        OsrmRouter(url, timeout=0.2) as router,
    ):
        table = router.table_km([JINGMEN], [ZHONGXIANG])
    assert time.perf_counter() - started < 0.9
    assert table[0][0] == pytest.approx(EstimateRouter().road_km(*JINGMEN, *ZHONGXIANG), rel=5e-3)
    assert any("timed out" in r.getMessage().lower() for r in caplog.records)


def test_osrm_empty_inputs_make_no_request(osrm: tuple[str, FakeOsrm]) -> None:
    url, state = osrm
    with OsrmRouter(url) as router:
        assert router.table_km([], [ZHONGXIANG]) == []
        assert router.table_km([JINGMEN], []) == [[]]
    assert state.requests == []
