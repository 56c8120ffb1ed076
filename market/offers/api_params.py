"""Query parameters the listing and demand searches share, read into one :class:`OfferQuery`.

Both ``GET /listings`` and ``GET /demands`` take the same filters; the handlers receive them
as one dependency, so the parameters (and their OpenAPI descriptions) are written once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from market.offers.search import OfferQuery, geo_filter, non_negative

Lat = Annotated[float | None, QueryParameter(ge=-90, le=90, description="centre latitude, WGS84")]
Lon = Annotated[
    float | None, QueryParameter(ge=-180, le=180, description="centre longitude, WGS84")
]
#: Litestar leaves a 0 bound out of the document (it tests the bound for truth), so
#: ``exclusiveMinimum`` is given again as ``schema_extra``.
Radius = Annotated[
    float | None,
    QueryParameter(
        gt=0, le=2000, schema_extra={"exclusive_minimum": 0.0}, description="km around lat/lon"
    ),
]
#: A decimal string; the pattern documents what :func:`non_negative` accepts.
MinQty = Annotated[
    Decimal | None,
    QueryParameter(
        schema_extra={"pattern": r"^[0-9]{1,12}(\.[0-9]{1,3})?$"},
        description="tonnes still available at least (≥ 0, to the kilogram)",
    ),
]
Crs = Annotated[str, QueryParameter(description="datum of lat/lon: wgs84, gcj02, bd09, cgcs2000")]
Material = Annotated[str | None, QueryParameter(description="catalogue code, e.g. fly_ash")]
Mine = Annotated[bool, QueryParameter(description="all of your organisations' own, any status")]
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]


def offer_query(
    material: Material = None,
    lat: Lat = None,
    lon: Lon = None,
    radius_km: Radius = None,
    min_quantity_t: MinQty = None,
    mine: Mine = False,
    crs: Crs = "wgs84",
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> OfferQuery:
    """The search parameters, checked together (lat and lon go together, tonnes ≥ 0)."""
    return OfferQuery(
        material=material,
        geo=geo_filter(lat, lon, radius_km, crs),
        min_quantity_t=non_negative(min_quantity_t, "min_quantity_t"),
        mine=mine,
        page=page,
        page_size=page_size,
    )


#: The handler parameter ``search``.
SearchQuery = NamedDependency[OfferQuery]
#: For a search handler's ``dependencies=``.
SEARCH = {"search": Provide(offer_query, sync_to_thread=False)}
