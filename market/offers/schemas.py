"""Request and response bodies of offers: supply listings and demand requests.

Requests: the ``…In`` bodies are also the services' input objects (``create_listing(session,
actor, data: ListingIn)``), so the API, the web forms and the demo loader are validated alike.

Responses: tonnes to the kilogram, yuan to the fen and kilometres to 0.1 as decimal strings;
spec values as the exact strings stored. What a viewer may not see of an anonymous listing
or demand (the poster's id and name, the site's id, name and address) is null or a
placeholder, never absent; the shown point is then rounded (``site.approximate``). :mod:`market.offers.privacy` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from market.accounts.schemas import OrgKind
from market.core.schemas import Body, Cadence, Out, Page, SpecValue, Text, Tonnes, Yuan
from market.offers.models import DemandStatus, InitialStatus, ListingStatus
from matching.compliance import Status, Verdict

Bounds = tuple[Decimal | None, Decimal | None]


class OfferIn(Body):
    """What a listing and a demand are both posted with."""

    site_id: int
    material_code: str
    quantity_t: Tonnes
    cadence: Cadence = "one_off"
    status: InitialStatus = "open"
    title: Text = ""


class OfferPatch(Body):
    """What a listing and a demand can both change; omitted fields stay as they are."""

    title: Text | None = None
    quantity_t: Tonnes | None = None
    cadence: Cadence | None = None


class ListingWindow(Body):
    """When a listing's tonnes are available (either end may be open)."""

    available_from: date | None = None
    available_until: date | None = None


class ListingIn(OfferIn, ListingWindow):
    spec: dict[str, SpecValue] = Field(default_factory=dict)
    price_cny_t: Yuan


class ListingPatch(OfferPatch, ListingWindow):
    spec: dict[str, SpecValue] | None = None
    price_cny_t: Yuan | None = None
    status: ListingStatus | None = None


class BoundsIn(Body):
    min: SpecValue | None = None
    max: SpecValue | None = None


class DemandTerms(Body):
    """A demand's optional terms, posted and changed alike: grade, haul, price, window."""

    use: Annotated[str | None, Field(description="declared use, e.g. gypsum_retarder")] = None
    grade: str | None = None
    max_haul_km: Annotated[Decimal, Field(gt=0, le=3000, decimal_places=1)] | None = None
    max_price_cny_t: Yuan | None = None
    needed_from: date | None = None
    needed_until: date | None = None


class DemandIn(OfferIn, DemandTerms):
    requirements: dict[str, BoundsIn] = Field(default_factory=dict)


class DemandPatch(OfferPatch, DemandTerms):
    requirements: dict[str, BoundsIn] | None = None
    status: DemandStatus | None = None


def bounds(reqs: Mapping[str, BoundsIn]) -> dict[str, Bounds]:
    """Requirements as the services check them: ``{parameter: (min, max)}``."""
    return {k: (v.min, v.max) for k, v in reqs.items()}


def bounds_in(reqs: Mapping[str, Bounds]) -> dict[str, BoundsIn]:
    """The inverse of :func:`bounds`, for callers that hold ``(min, max)`` pairs."""
    return {k: BoundsIn(min=lo, max=hi) for k, (lo, hi) in reqs.items()}


# --- responses ------------------------------------------------------------------------


class OrganizationRef(Out):
    """The posting organisation; an anonymous producer or buyer has no id and a placeholder
    name."""

    id: int | None
    name: str
    kind: OrgKind
    verified: Annotated[
        bool,
        Field(
            description="a regulator checked its 统一社会信用代码 (shown for anonymous ones too); "
            "an unverified organisation may be posing as someone else"
        ),
    ]


class SiteRef(Out):
    """Where the lot lies or the goods go; ``approximate``: rounded to 0.01° (about 1 km)."""

    id: int | None
    name: str | None
    address: str | None
    lon: float
    lat: float
    district_code: str | None
    district_name: str | None
    park_code: str | None
    approximate: bool = False


class OfferOut(Out):
    """What listings and demands both show."""

    id: int
    title: str
    material_code: str
    quantity_t: Decimal
    cadence: Cadence
    created_at: datetime
    updated_at: datetime
    organization: OrganizationRef
    site: SiteRef
    distance_km: Annotated[
        Decimal | None, Field(description="from the search centre (whole km when approximate)")
    ] = None


class ListingOut(OfferOut):
    """A supply listing as this viewer may see it (producer anonymous until a deal)."""

    available_t: Decimal
    reserved_t: Decimal
    delivered_t: Decimal
    spec: dict[str, str]
    price_cny_t: Annotated[Decimal, Field(description="negative: the producer pays a fee")]
    available_from: date | None
    available_until: date | None
    status: ListingStatus
    anonymous: bool
    delivered_cny_t: Annotated[
        Decimal | None,
        Field(
            description="price + haul to the search centre (freight rate × geodesic km × "
            "circuity, as the matcher estimates road km); given when sort=delivered"
        ),
    ] = None
    spec_sources: Annotated[
        dict[str, int] | None,
        Field(
            description="parameter code → id of the lab report its spec value is from "
            "(GET /listings/{id}/documents), among the reports this viewer may see; given for "
            "one listing (GET /listings/{id} and a listing's changes), null in lists"
        ),
    ] = None


class BoundsOut(Out):
    """A requirement's limits, as exact decimal strings; either may be open."""

    min: str | None
    max: str | None


class DemandOut(OfferOut):
    """A demand request as this viewer may see it (buyer anonymous until a deal)."""

    use: str | None
    requirements: dict[str, BoundsOut]
    grade: str | None
    max_haul_km: Decimal | None
    max_price_cny_t: Decimal | None
    needed_from: date | None
    needed_until: date | None
    status: DemandStatus
    anonymous: bool


# --- matches and compliance -------------------------------------------------------------


class ParameterCheck(Out):
    """One limited parameter: the value, its limits, the outcome and the margin to a bound."""

    parameter: str
    value: str | None
    min: str | None
    max: str | None
    status: Status
    margin: Annotated[
        str | None, Field(description="distance to the nearest bound; negative outside")
    ]
    confirmed: Annotated[bool, Field(description="the limit was checked against the standard")]
    source: str | None


class ComplianceOut(Out):
    """A spec checked against limits: the overall verdict and each parameter's outcome."""

    verdict: Verdict
    parameters: list[ParameterCheck]


class MatchFigures(Out):
    """Why a pairing ranks where it does: distance, delivered cost, fit and compliance."""

    road_km: Decimal
    road_distance_method: str
    freight_cny_t: Decimal
    delivered_cny_t: Annotated[Decimal, Field(description="listing price + freight")]
    volume_fit: Decimal
    spec_margin: Decimal | None
    score: Annotated[Decimal, Field(description="ranking key: lower is better")]
    compliance: ComplianceOut
    explanation_zh: str
    explanation_en: str


class DemandMatchOut(MatchFigures):
    """An open demand request that fits a listing."""

    demand: DemandOut


class ListingMatchOut(MatchFigures):
    """An open listing that fits a demand request (its producer as the viewer may see it)."""

    listing: ListingOut


class ListingMatchesOut(Page[DemandMatchOut]):
    """The best demand requests for one listing, best first (one page of ``limit``)."""

    listing_id: int
    freight_cny_per_t_km: Decimal


class DemandMatchesOut(Page[ListingMatchOut]):
    """The best listings for one demand request, best first (one page of ``limit``)."""

    demand_id: int
    freight_cny_per_t_km: Decimal


class ListingComplianceBase(Out):
    listing_id: int
    material_code: str


class DemandRef(Out):
    demand_id: int


class GradeRef(Out):
    grade: str
    name: str


class DemandCompliance(ListingComplianceBase, ComplianceOut):
    """A listing's spec against one demand request's limits (with its grade's)."""

    against: DemandRef


class GradeCompliance(ListingComplianceBase, ComplianceOut):
    """A listing's spec against one grade of its material."""

    against: GradeRef


class GradeVerdict(Out):
    key: str
    name: str
    verdict: Verdict


class GradeFamily(Out):
    """The grades of one standard, strictest first, with a sentence saying which are met."""

    grades: list[GradeVerdict]
    summary_zh: str
    summary_en: str


class AllGradesCompliance(ListingComplianceBase):
    """A listing's spec against every grade of its material, by standard."""

    against: Literal["all grades"]
    families: list[GradeFamily]


ComplianceAnswer = DemandCompliance | GradeCompliance | AllGradesCompliance
