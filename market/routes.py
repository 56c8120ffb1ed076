"""Every route of the app, gathered from the domains: the JSON API and the HTML pages."""

from __future__ import annotations

from typing import Any

from litestar.di import Provide

from market.accounts import api as accounts_api
from market.accounts import api_organizations, api_permits, web_register
from market.accounts import web as accounts_web
from market.accounts.web_session import provide_member, provide_viewer
from market.alerts import api as alerts_api
from market.batteries import api as batteries_api
from market.catalogue import api as catalogue_api
from market.core import health
from market.geo import api as geo_api
from market.geo.places import provide_page_locate, provide_places
from market.ledger import api as ledger_api
from market.ledger import web as ledger_web
from market.offers import (
    api_demands,
    api_documents,
    api_geomap,
    api_listings,
    api_matches,
    web_demands,
    web_documents,
    web_home,
    web_listings,
)
from market.stats import api as stats_api
from market.stats import api_allocation as stats_allocation_api
from market.stats import web as stats_web
from market.stats import web_allocation as stats_allocation_web
from market.trading import api as trading_api
from market.trading import api_audit, api_deals, api_shipments, web_deals, web_trade
from market.web import lang as web_lang

#: Handlers under ``/api/v1``, in the order the OpenAPI document lists them.
API: list[Any] = [
    *health.routes,
    *accounts_api.routes,
    *api_organizations.routes,
    *api_listings.routes,
    *api_demands.routes,
    *trading_api.routes,
    *api_deals.routes,
    *api_shipments.routes,
    *api_audit.routes,
    *geo_api.routes,
    *api_geomap.routes,
    *catalogue_api.routes,
    *api_matches.routes,
    *api_permits.routes,
    *ledger_api.routes,
    *stats_api.routes,
    *stats_allocation_api.routes,
    *alerts_api.routes,
    *batteries_api.routes,
    *api_documents.routes,
]

#: The HTML pages, behind the page router's CSRF and HTML error pages.
PAGES: list[Any] = [
    *web_home.routes,
    *accounts_web.routes,
    *web_register.routes,
    *web_listings.routes,
    *web_demands.routes,
    *stats_web.routes,
    *stats_allocation_web.routes,
    *ledger_web.routes,
    *web_lang.routes,
    *web_trade.routes,
    *web_deals.routes,
    *web_documents.routes,
]
PAGE_DEPENDENCIES = {
    "viewer": Provide(provide_viewer),
    "member": Provide(provide_member),
    "places": Provide(provide_places),
    "page_locate": Provide(provide_page_locate),
}
