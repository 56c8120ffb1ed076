"""The Litestar application: routes, dependencies, error handling, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

from market.api import accounts, demands, geo, health, listings, organizations
from market.api.deps import provide_db, provide_settings, provide_user
from market.db import make_engine, make_sessionmaker
from market.problems import EXCEPTION_HANDLERS
from market.regions import RegionLocator
from market.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; tests pass their own settings, production reads the environment."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    api = Router(
        API_PREFIX,
        route_handlers=[
            *health.routes,
            *accounts.routes,
            *organizations.routes,
            *listings.routes,
            *demands.routes,
            *geo.routes,
        ],
    )
    return Litestar(
        route_handlers=[api],
        dependencies={
            "db": Provide(provide_db),
            "user": Provide(provide_user),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        state=State({"settings": settings, "regions": RegionLocator.default()}),
        openapi_config=OpenAPIConfig(
            title="Jingmen solid-waste and recycled-resources exchange",
            version="1.0.0",
            path="/schema",
            # JSON and YAML only: the HTML renderers load scripts from a CDN, which a city
            # intranet cannot reach.
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        ),
        debug=False,
    )
