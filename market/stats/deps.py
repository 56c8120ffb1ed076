"""The statistics' shared query: period, material and place, as one dependency.

Six handlers filter by the same period, material, district, park and enterprise; declaring the parameters once here
keeps their names, validation and OpenAPI documentation the same everywhere. The value is
the viewer's :class:`~market.stats.filters.StatsFilter`, already narrowed to what they may
see (so it needs a login: handlers using it declare 401).
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from geodata.districts import DISTRICT_NAMES
from geodata.places import PARK_CODES
from market.accounts.deps import CurrentUser
from market.core.deps import Db
from market.stats.filters import StatsFilter, viewer_filter

#: The ranges are checked by ``market.ledger.rules.check_filter`` (422 naming the parameter);
#: ``schema_extra`` only documents them.
Year = Annotated[
    int | None,
    QueryParameter(
        schema_extra={"minimum": 2000, "maximum": 2100}, description="calendar year, 2000–2100"
    ),
]
Month = Annotated[
    int | None,
    QueryParameter(
        schema_extra={"minimum": 1, "maximum": 12}, description="1–12, China time; needs year"
    ),
]
MaterialCode = Annotated[str | None, QueryParameter(description="a material code")]
District = Annotated[
    str | None,
    QueryParameter(
        description="county-level district code: only producer sites there (the site's "
        "district, else its organisation's)",
        schema_extra={"enum": sorted(DISTRICT_NAMES)},
    ),
]
Park = Annotated[
    str | None,
    QueryParameter(
        description="industrial park code: only producer sites in it",
        schema_extra={"enum": list(PARK_CODES)},
    ),
]
OrganizationId = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=2_147_483_647,
        description="one enterprise (regulators: any; others: one of theirs, else nothing)",
    ),
]


async def provide_stats_filter(
    db: Db,
    user: CurrentUser,
    year: Year = None,
    month: Month = None,
    material: MaterialCode = None,
    district: District = None,
    park: Park = None,
    organization_id: OrganizationId = None,
) -> StatsFilter:
    """The validated filter for the logged-in viewer (422 naming a bad parameter)."""
    return await viewer_filter(
        db,
        user,
        year,
        month,
        material,
        district=district,
        park=park,
        organization_id=organization_id,
    )


#: The handler parameter ``stats_filter``.
ViewerFilter = NamedDependency[StatsFilter]
#: For a handler's ``dependencies=``.
STATS_FILTER = {"stats_filter": Provide(provide_stats_filter)}
