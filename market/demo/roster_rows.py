"""What each entry of ``market/data/demo/*.toml`` may contain: the file schema of the roster.

One strict pydantic model per kind of entry (types, required keys, key patterns, simple
bounds such as ``jitter_km`` in (0, 10]). Anything that needs another file or the catalogue
(known districts, materials, anchors, uniqueness, low <= high) is checked while loading, in
:mod:`market.demo.roster`, which also turns these rows into the generators' dataclasses.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from market.core.datafiles import StrictRow

OrgKind = Literal["producer", "consumer", "recycler", "carrier", "regulator"]

_KEY = re.compile(r"[a-z0-9][a-z0-9_]*")
Key = Annotated[str, Field(pattern=_KEY.pattern)]
Text = Annotated[str, Field(min_length=1)]
Num = int | float
Pair = Annotated[list[Num], Field(min_length=2, max_length=2)]
Step = Annotated[Num, Field(gt=0)]


class AnchorRow(StrictRow):
    """``[anchors.<name>]``: a place code from the place table, or a GCJ-02 lon/lat."""

    place: Text | None = None
    lon: float | None = None
    lat: float | None = None


class SiteRow(StrictRow):
    """A site of an org: lon/lat, or an anchor plus an optional dlon/dlat offset."""

    suffix: Key
    name: Text
    address: Text
    lon: float | None = None
    lat: float | None = None
    anchor: Key | None = None
    dlon: float | None = None
    dlat: float | None = None
    jitter_km: Annotated[float, Field(gt=0, le=10)] = 1.0


class PermitRow(StrictRow):
    """A hazardous-waste permit: the HW class and its expiry."""

    kind: Annotated[str, Field(pattern=r"^HW\d\d$")]
    valid_until: date


class OrgRow(StrictRow):
    """``[[org]]`` (and ``[regulator]``) in ``roster.toml``."""

    key: Key
    name: Text
    kind: OrgKind
    district: Text
    miit_listed: bool = False
    permits: list[PermitRow] = Field(default_factory=list)
    sites: Annotated[list[SiteRow], Field(min_length=1)]
    #: The role ``market demo load`` prints this org's login under ("producer: fly ash
    #: (power plant)"); orgs without one are loaded but not listed.
    login: Text | None = None


class SupplyRow(StrictRow):
    """``[[supply]]`` in ``streams.toml``."""

    site: Key
    material: Key
    listings: Annotated[int, Field(ge=1)]
    profile: str = ""


class DemandRow(StrictRow):
    """``[[demand]]`` in ``streams.toml``."""

    site: Key
    material: Key
    use: Key
    grade: Key | None = None
    demands: Annotated[int, Field(ge=1)]


class QuantityRow(StrictRow):
    """``listing_quantity_t.<material>`` in ``market.toml``."""

    monthly: Pair
    one_off: Pair
    step: Step
    monthly_share: Annotated[Num, Field(ge=0, le=1)]


class PriceRow(StrictRow):
    """A price range (``[low, high]``) and its rounding step, CNY/t."""

    range: Pair
    step: Step


class MarketFile(StrictRow):
    """The whole of ``market.toml``."""

    monthly_uses: list[Key]
    listing_quantity_t: dict[str, QuantityRow]
    listing_price_cny_t: dict[str, PriceRow]
    demand_quantity_t: dict[str, Pair]
    demand_max_price_cny_t: dict[str, PriceRow]


class TradeDealRow(StrictRow):
    """A deal of ``[[lot]]`` in ``trades.toml``: who took how much, when, how, and its loads."""

    buyer: Key
    use: Key
    on: date
    tonnes: Annotated[Num, Field(gt=0)]
    loads: Annotated[int, Field(ge=1, le=40)]
    every_days: Annotated[int, Field(ge=1, le=10)] = 2
    via: Literal["buy", "bid", "counter"]
    off: Annotated[Num, Field(ge=0)] = 0
    diff_pct: Annotated[Num, Field(ge=-1, le=1)] = 0
    dispute: Annotated[int, Field(ge=1)] | None = None


class TradeLotRow(StrictRow):
    """``[[lot]]`` in ``trades.toml``: a lot of the demo year and the deals made on it."""

    key: Annotated[str, Field(pattern=r"^H\d\d$")]
    site: Key
    material: Key
    profile: str = ""
    grade: Key | None = None
    price_cny_t: Num | None = None
    listed: date
    until: date
    spare_t: Annotated[Num, Field(ge=0)] = 0
    deals: Annotated[list[TradeDealRow], Field(min_length=1)]
