"""The Litestar application: routes, dependencies, error handling, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

import market.tables  # noqa: F401  (every domain's tables and hooks)
from market import routes
from market.accounts.deps import TokenCache, provide_user
from market.accounts.production import refuse_demo_accounts
from market.accounts.throttle import TooManyAttempts, handle_too_many
from market.accounts.verification import bind_settings
from market.alerts.delivery import webhook_job
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.deps import close_left_open, provide_db, provide_settings
from market.core.headers import security_headers
from market.core.openapi import SECURITY, ClosedBodies, document_problems
from market.core.problems import EXCEPTION_HANDLERS
from market.core.response_cache import ResponseCache
from market.core.scheduler import Scheduler
from market.core.settings import Settings
from market.geo.regions import RegionLocator, provide_locate
from market.ledger import worker as ledger_worker
from market.offers.matches import BookCache
from market.offers.positions import PositionCache
from market.stats import allocation_worker
from market.trading.jobs import trading_job
from market.web.apidocs import ShippedSwaggerUI
from market.web.config import html_outside_api, page_router, static_router, template_config

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; tests pass their own settings, production reads the environment."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        bind_settings(app.state.sessionmaker, settings)
        background = [
            # Closes due tenders etc. every tender_poll_seconds (0: off, cron does it).
            trading_job(settings),
            # Sends due webhooks every webhook_poll_interval s (off by default under env=test).
            webhook_job(settings),
        ]
        try:
            if settings.production:  # no demo logins on a real server
                async with transaction(app.state.sessionmaker) as session:
                    await refuse_demo_accounts(session)
            # Start-up's objects (modules, catalogue, regions) will live as long as the
            # process: freezing them keeps every later full collection from scanning them,
            # which paused the event loop 0.4-0.7 s at a time while a large ledger file was
            # parsed (bench/bench_ledger_import.py).
            gc.freeze()
            ledger_worker.warm()
            async with Scheduler(app.state.sessionmaker, background):
                yield
        finally:
            ledger_worker.shutdown()
            allocation_worker.shutdown()
            await engine.dispose()

    document_problems(routes.API)
    api = Router(API_PREFIX, route_handlers=routes.API)
    pages = page_router(settings, routes.PAGES, routes.PAGE_DEPENDENCIES)
    return Litestar(
        # The HTML pages (market.web) carry their own CSRF middleware; the API needs none.
        route_handlers=[api, pages, static_router()],
        template_config=template_config(),
        dependencies={
            "db": Provide(provide_db),
            "user": Provide(provide_user),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "locate": Provide(provide_locate),
        },
        exception_handlers={
            **EXCEPTION_HANDLERS,
            HTTPException: html_outside_api(EXCEPTION_HANDLERS[HTTPException]),
            TooManyAttempts: handle_too_many,
        },
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "regions": RegionLocator.default(),
                "match_books": BookCache(),
                "answers": ResponseCache(ttl=settings.read_cache_seconds),
                "tokens": TokenCache(ttl=settings.read_cache_seconds),
                "positions": PositionCache(),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Jingmen solid-waste and recycled-resources exchange",
            version="1.0.0",
            path="/schema",
            # Swagger UI at /schema from the app's own static files (Litestar's HTML
            # renderers load scripts from a CDN, which a city intranet cannot reach).
            render_plugins=[ShippedSwaggerUI(), JsonRenderPlugin(), YamlRenderPlugin()],
            components=SECURITY,
        ),
        middleware=[close_left_open],
        plugins=[ClosedBodies()],
        before_send=[security_headers(settings.production, token_paths=(f"{API_PREFIX}/auth/",))],
        debug=False,
    )
