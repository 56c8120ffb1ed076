"""Fixtures for alerts: a real local HTTP receiver, allowed by the settings, and a sessionmaker.

Webhooks may only reach public addresses (``market.alerts.egress``); the local receiver on
127.0.0.1 is reached through ``webhook_allowed_hosts``, exactly its ``127.0.0.1:<port>``: the
alerts tests' settings (and the app's, while the test runs) allow it and nothing else, so
``localhost:<port>``, ``[::1]`` or another port of 127.0.0.1 are still refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import make_engine, make_sessionmaker
from market.core.settings import Settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every POST.

    ``answers`` is consumed one status per request (then 200); with ``hang`` set, requests
    are recorded and then held until the test releases them (or the fixture ends).
    """

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    hang: bool = False
    #: Sent as ``Location`` with a 3xx answer (the sender must not follow it).
    redirect_to: str | None = None
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_times(self, n: int, status: int = 500) -> None:
        self.answers = [status] * n

    def _next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200


def _handler(current: _Current) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = current.receiver
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            receiver.arrived.set()
            if receiver.hang:
                receiver.release.wait(30)
            status = receiver._next_status()
            payload = b'{"ok": true}' if status < 300 else b"boom"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if 300 <= status < 400 and receiver.redirect_to:
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test asserts on the recorded requests instead."""

    return Handler


@dataclass
class _Current:
    """The session's one receiving server hands each request to the running test's Receiver."""

    receiver: Receiver = field(default_factory=Receiver)


@pytest.fixture(scope="session")
def _receiving_server() -> Iterator[tuple[_Current, int]]:
    """One server for the session (its port is in every alerts test's allow-list)."""
    current = _Current()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(current))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield current, int(server.server_address[1])
    finally:
        current.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def receiver(_receiving_server: tuple[_Current, int]) -> Iterator[Receiver]:
    """A fresh record of what arrives at the local receiver during this test."""
    current, port = _receiving_server
    rec = Receiver(url=f"http://127.0.0.1:{port}/hooks/exchange")
    current.receiver = rec
    try:
        yield rec
    finally:
        rec.release.set()  # a request still held by `hang` returns now
        current.receiver = Receiver()


@pytest.fixture
def settings(settings: Settings, _receiving_server: tuple[_Current, int]) -> Settings:
    """The suite's settings with the local receiver, and only it, allowed."""
    return allowing(settings, f"127.0.0.1:{_receiving_server[1]}")


@pytest.fixture
def app(app: Litestar, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    """The session's app reading this test's settings (they differ only in the allow-list)."""
    if app.state.settings is not settings:
        monkeypatch.setattr(app.state, "settings", settings)
    return app


def allowing(settings: Settings, *hosts: str) -> Settings:
    """``settings`` with these ``host:port`` entries added to the webhook allow-list."""
    return settings.model_copy(
        update={"webhook_allowed_hosts": (*settings.webhook_allowed_hosts, *hosts)}
    )


@pytest.fixture
async def factory(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker in the test's own event loop (the app's lives in the test client's
    portal loop, and asyncpg connections cannot cross loops)."""
    engine = make_engine(settings)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
