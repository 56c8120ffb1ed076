"""Request and response bodies of the city statistics: utilisation, flows, CO2, targets.

Tonnes, rates and CO2 are exact Decimals and serialise as decimal strings ("48.33"); a rate
is None where its denominator is zero (nothing generated, nothing utilised). Every report
echoes its filters and scope, and carries the formula or factors its figures were counted
by, so a figure is never read without how it was made.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from market.core.schemas import Body, Out, Page

Scope = Literal["city", "organization"]
GroupBy = Literal["material", "district", "park", "organization", "month", "year"]
Pct = Annotated[Decimal | None, Field(description="percent to 0.01; None when the base is 0")]


class TargetIn(Body):
    """A utilisation target for an organisation, material and year (以用定产)."""

    organization_id: int
    material_code: str
    year: Annotated[int, Field(ge=2000, le=2100)]
    target_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False)]


class FiltersOut(Out):
    """The filters a report was counted with (None: not filtered)."""

    year: int | None
    month: int | None
    material: str | None


# --------------------------------------------------------------------------------------
# Utilisation
# --------------------------------------------------------------------------------------


class FiguresOut(Out):
    """Tonnes by the official terms, the rate, the exchange's share, the stockpile change."""

    ledgers: int
    generated_t: Decimal
    stored_t: Decimal
    disposed_t: Decimal
    disposed_from_stockpile_t: Decimal
    used_inhouse_t: Decimal
    shipped_outside_exchange_t: Decimal
    utilised_from_stockpile_t: Decimal
    dumped_t: Decimal
    exchange_received_t: Decimal
    utilised_t: Decimal
    utilisation_rate_pct: Pct
    exchange_share_pct: Pct
    stockpile_change_t: Decimal


class GroupOut(FiguresOut):
    """One group's figures; ``key`` is a code, an organisation id, a year or ``YYYY-MM``."""

    key: Annotated[
        str | int | None, Field(description="None for sites outside any industrial park")
    ]
    label: str


class FormulaOut(Out):
    """The official definitions the figures follow (DOMAIN.md §3)."""

    rate: str
    utilised: str
    balance: str
    stockpile_change: str
    source: str


class TrendPointOut(Out):
    """One month of the stockpile: put in, drawn out, the change and the running change."""

    month: str
    stored_t: Decimal
    drawn_from_stockpile_t: Decimal
    change_t: Decimal
    cumulative_change_t: Decimal


class UnbalancedLedgerOut(Out):
    """A ledger whose balance identity no longer holds with today's receipts."""

    ledger_id: int
    organization_id: int
    site_id: int
    material_code: str
    month: str
    balance_difference_t: Decimal
    exchange_received_t: Decimal


class ToleranceOut(Out):
    """How far a ledger may be off and still balance."""

    absolute_t: Decimal
    receipt_pct: Decimal
    meaning: str


class ChecksOut(Out):
    """What a regulator should chase: unbalanced ledgers, receipts without a ledger."""

    unbalanced_count: int
    unbalanced: Annotated[list[UnbalancedLedgerOut], Field(description="the first 100")]
    receipts_without_ledger_months: int
    receipts_without_ledger_t: Decimal
    tolerance: ToleranceOut


class UtilisationOut(Out):
    """The utilisation report: groups, totals, the city's totals, stockpile trend, checks."""

    scope: Scope
    organization_ids: Annotated[
        list[int] | None, Field(description="the viewer's organisations; None for the city")
    ]
    filters: FiltersOut
    group_by: GroupBy
    formula: FormulaOut
    groups: list[GroupOut]
    totals: FiguresOut
    city: FiguresOut
    stockpile_trend: list[TrendPointOut]
    checks: ChecksOut


# --------------------------------------------------------------------------------------
# Flows
# --------------------------------------------------------------------------------------


class SiteEndOut(Out):
    """One end of a site-to-site flow, in WGS84."""

    site_id: int
    lon: float
    lat: float
    district_code: str | None


class DistrictEndOut(Out):
    """One end of a district-to-district flow, placed at the district seat."""

    district_code: str | None
    district_name: str | None
    lon: float | None = None
    lat: float | None = None


class SiteFlowOut(Out):
    """Confirmed tonnes from one site to another, for one material."""

    origin: SiteEndOut
    destination: SiteEndOut
    material_code: str
    received_t: Decimal
    receipts: int


class DistrictFlowOut(Out):
    """Confirmed tonnes between two county-level districts, for one material."""

    origin: DistrictEndOut
    destination: DistrictEndOut
    material_code: str
    received_t: Decimal
    receipts: int


class FlowsOut(Page[SiteFlowOut | DistrictFlowOut]):
    """Origin → destination flows, heaviest first, with the totals per material."""

    level: Literal["site", "district"]
    crs: Literal["wgs84"]
    filters: FiltersOut
    total_t: Decimal
    by_material: dict[str, Decimal]


# --------------------------------------------------------------------------------------
# CO2
# --------------------------------------------------------------------------------------


class UseFactorOut(Out):
    """The CO2 a tonne avoids in one use, with its source and whether it is confirmed."""

    use: str
    t_co2_per_t: Decimal | None
    source: str
    confirmed: bool


class RoadFreightOut(Out):
    """The haulage emission factor."""

    kg_co2e_per_t_km: Decimal
    source: str
    confirmed: bool


class FactorsOut(Out):
    """Every factor in force and how the figures are computed from them."""

    uses: list[UseFactorOut]
    road_freight: RoadFreightOut
    haul_distance: str
    formula: str


class Co2TermsOut(Out):
    """CO2 avoided gross, the haulage, and the net, for some tonnes."""

    t_km: Decimal
    gross_avoided_t_co2: Decimal
    haul_t_co2: Decimal
    net_avoided_t_co2: Decimal
    factor_t_co2_per_t: Decimal | None
    factor_confirmed: bool
    has_factor: bool


class Co2ByUseOut(Co2TermsOut):
    """The receipts of one declared use (None: no use declared)."""

    use: str | None
    received_t: Decimal
    receipts: int


class Co2FiguresOut(Out):
    """Totals of the receipts a filter selects, and the breakdown by use."""

    receipts: int
    received_t: Decimal
    t_km: Decimal
    gross_avoided_t_co2: Decimal
    haul_t_co2: Decimal
    net_avoided_t_co2: Decimal
    by_use: list[Co2ByUseOut]


class Co2Out(Out):
    """CO2 avoided: the viewer's figures, the city's, and the factors used."""

    scope: Scope
    filters: FiltersOut
    factors: FactorsOut
    figures: Co2FiguresOut
    city: Co2FiguresOut


class Co2ReceiptOut(Co2TermsOut):
    """One confirmed receipt with its haul distance and CO2 figures."""

    shipment_id: int
    deal_id: int
    origin_site_id: int
    dest_site_id: int
    material_code: str
    use: str | None
    month: str
    received_t: Decimal
    received_at: datetime
    haul_km: Decimal


class Co2ReceiptPage(Page[Co2ReceiptOut]):
    """A page of receipts, newest first, with the factors used."""

    factors: FactorsOut


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


class TargetOut(Out):
    """A utilisation target as stored."""

    id: int
    organization_id: int
    material_code: str
    year: int
    target_pct: Decimal
    set_by_user_id: int | None
    updated_at: datetime


class BelowTargetOut(Out):
    """An organisation and material below its target (or not reporting at all)."""

    organization_id: int
    organization_name: str
    material_code: str
    year: int
    target_pct: Decimal
    utilisation_rate_pct: Pct
    gap_pct: Annotated[Decimal | None, Field(description="target − rate; None: no ledgers")]
    utilised_t: Decimal
    generated_t: Decimal
    ledgers: int
    reason: Literal["no ledgers reported", "below target"]


class BelowTargetPage(Page[BelowTargetOut]):
    """Everyone below target for the year, worst gap first (not reporting comes first)."""

    year: int
    formula: str
