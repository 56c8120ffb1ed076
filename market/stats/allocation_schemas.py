"""Request and response bodies of the city-wide allocation and its what-if scenarios.

A scenario is a JSON body of changes applied to the in-memory snapshot of one allocation
run, never to listings or demands: hypothetical consumers, producers taken out, a freight
rate and a haul limit for everyone. Pydantic checks its shape (422 naming the field path,
e.g. ``changes.consumers.0.lon``); the service checks what needs the database (a material
or an organisation that does not exist, a parameter the material does not have).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from market.core.schemas import Body, Name, Out, Text, Yuan
from market.offers.schemas import BoundsIn
from market.stats.schemas import FiltersOut, Pct

#: Scenarios are for a regulator's what-ifs, not bulk data: a few hundred plants at most.
MAX_CONSUMERS = 200
MAX_REMOVED = 1000

HaulKm = Annotated[Decimal, Field(gt=0, le=3000, decimal_places=1, allow_inf_nan=False)]
#: CNY per t·km; DOMAIN §4 gives 0.3–0.6 as unconfirmed, 10 is far beyond any real rate.
FreightRate = Annotated[Decimal, Field(ge=0, le=10, decimal_places=4, allow_inf_nan=False)]
CapacityT = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000000"), decimal_places=3, allow_inf_nan=False),
]


class HypotheticalConsumer(Body):
    """A plant that does not exist yet: where, how much a year, what it accepts."""

    name: Text = ""
    material: Annotated[str, Field(min_length=1, max_length=40)]
    lon: Annotated[
        float,
        Field(
            allow_inf_nan=False,
            description="WGS84, inside China",
            json_schema_extra={"minimum": 72.004, "maximum": 137.8347},
        ),
    ]
    lat: Annotated[
        float,
        Field(
            allow_inf_nan=False,
            description="WGS84, inside China",
            json_schema_extra={"minimum": 0.8293, "maximum": 55.8271},
        ),
    ]
    capacity_t_per_year: CapacityT
    requirements: dict[str, BoundsIn] = Field(
        default_factory=dict, description="parameter → {min, max}, like a demand's"
    )
    grade: str | None = Field(default=None, description="a grade preset of the material")
    max_haul_km: HaulKm | None = None
    max_price_cny_t: Yuan | None = None
    licensed: bool = Field(
        default=False,
        description="holds the hazardous-waste permit / MIIT listing the material needs",
    )

    # The box of geodata.datums.out_of_china (what the map providers use), checked per
    # coordinate so the 422 names the one that is out.
    @field_validator("lon")
    @classmethod
    def _lon_in_china(cls, value: float) -> float:
        if not 72.004 <= value <= 137.8347:
            raise ValueError("must be inside China (longitude 72.004–137.8347, WGS84)")
        return value

    @field_validator("lat")
    @classmethod
    def _lat_in_china(cls, value: float) -> float:
        if not 0.8293 <= value <= 55.8271:
            raise ValueError("must be inside China (latitude 0.8293–55.8271, WGS84)")
        return value


class ScenarioChanges(Body):
    """What a scenario changes, all optional; an empty body is the baseline."""

    consumers: Annotated[list[HypotheticalConsumer], Field(max_length=MAX_CONSUMERS)] = Field(
        default_factory=list
    )
    removed_producers: Annotated[list[int], Field(max_length=MAX_REMOVED)] = Field(
        default_factory=list, description="organisation ids whose listings are left out"
    )
    freight_cny_per_t_km: FreightRate | None = Field(
        default=None, description="replaces MARKET_FREIGHT_CNY_PER_T_KM for this run"
    )
    max_haul_km: HaulKm | None = Field(
        default=None, description="replaces every consumer's haul limit for this run"
    )


class ScenarioIn(Body):
    name: Name
    changes: ScenarioChanges = Field(default_factory=ScenarioChanges)


class ScenarioOut(Out):
    id: int
    name: str
    created_by_user_id: int | None
    created_at: datetime
    changes: ScenarioChanges


class AllocationIn(Body):
    """One material and period; optionally a saved scenario or one given inline."""

    material: Annotated[str, Field(min_length=1, max_length=40)]
    year: Annotated[int, Field(ge=2000, le=2100)]
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    scenario_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    scenario: ScenarioChanges | None = None

    @model_validator(mode="after")
    def _one_scenario(self) -> AllocationIn:
        if self.scenario_id is not None and self.scenario is not None:
            raise ValueError("give scenario_id or scenario, not both")
        return self


class AllocationFlowOut(Out):
    """Tonnes from one listing to one demand (``consumer`` indexes a scenario's plants)."""

    listing_id: int
    demand_id: int | None
    consumer: int | None = Field(description="index into the scenario's consumers, if one")
    tonnes: Decimal
    delivered_cny_t: Decimal
    cost_cny: Decimal
    road_km: Decimal
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    origin_district: str | None


class AllocationSummaryOut(Out):
    listings: int
    demands: int
    flows: int
    supply_t: Decimal
    demand_t: Decimal
    tonnes_allocated: Decimal
    unallocated_supply_t: Decimal
    unmet_demand_t: Decimal
    total_cost_cny: Decimal
    tonne_km: Decimal
    haul_co2_t: Decimal
    road_kg_co2e_per_t_km: Decimal
    freight_cny_per_t_km: Decimal


class PotentialOut(Out):
    """Actual utilisation of the period (ledgers, official formula) beside what it would
    reach if the allocated tonnes were used too; ``key`` is a district code or material.
    Potential = (utilised + allocated) ÷ (base + stockpile drawn), never above 100 %."""

    key: str | None
    label: str
    base_t: Decimal = Field(description="产生量 + 综合利用往年贮存量")
    actual_utilised_t: Decimal
    actual_rate_pct: Pct
    allocated_t: Decimal
    stockpile_drawn_t: Decimal = Field(
        description="allocated beyond what the period left unutilised: from earlier stockpiles"
    )
    potential_utilised_t: Decimal
    potential_rate_pct: Pct
    gap_pct: Pct


class AllocationResultOut(Out):
    flows: list[AllocationFlowOut]
    summary: AllocationSummaryOut
    by_material: list[PotentialOut]
    by_district: list[PotentialOut]


class DifferenceOut(Out):
    """Scenario minus baseline."""

    tonnes_allocated: Decimal
    total_cost_cny: Decimal
    tonne_km: Decimal
    haul_co2_t: Decimal
    potential_rate_pct: Pct


class ScenarioRef(Out):
    id: int | None
    name: str | None


class AllocationOut(Out):
    filters: FiltersOut
    scenario: ScenarioRef | None
    result: AllocationResultOut
    baseline: AllocationResultOut | None
    difference: DifferenceOut | None
    method: str
