"""The matcher's plain inputs and outputs.

These are snapshots the service builds from its database rows; the matcher never sees an
ORM object, so it can run in a worker, a benchmark or a test with no database at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from matching.compliance import Compliance
from matching.specs import Limit

_HW_CATEGORY = re.compile(r"HW\d{2}", re.IGNORECASE)
_HW_WASTE_CODE = re.compile(r"\d{3}-\d{3}-(\d{2})")


@dataclass(frozen=True)
class Supply:
    """A producer's listing: a lot of waste at a site, at an ex-works price per tonne.

    ``price_cny_t`` is negative when the producer pays to have the waste taken away, which
    is common for phosphogypsum. ``hazard_code`` is the national-list code of a hazardous
    lot, as a category ("HW31"), a waste code ("900-052-31") or both ("HW31 900-052-31").
    """

    id: int
    org_id: int
    material: str
    lon: float
    lat: float
    quantity_t: Decimal
    price_cny_t: Decimal
    values: Mapping[str, Decimal] = field(default_factory=dict)
    hazardous: bool = False
    battery_recycling: bool = False
    #: A traction-battery lot for cascade use: only cascade-use firms on the MIIT list.
    battery_cascade: bool = False
    hazard_code: str | None = None

    def permit_kinds(self) -> frozenset[str]:
        """Permit kinds any one of which lets a receiver take this lot.

        A permit may be registered for the exact waste code or for its whole HW category;
        either suffices. A hazardous lot without a code accepts no permit, because nobody
        can check that the receiver is licensed for it.
        """
        return permit_kinds_of(self.hazard_code) if self.hazardous else frozenset()


def permit_kinds_of(hazard_code: str | None) -> frozenset[str]:
    """Permit kinds any one of which covers waste of ``hazard_code`` ("HW31", "900-052-31"
    or both): the exact waste code and its HW category; none when there is no code."""
    if not hazard_code:
        return frozenset()
    kinds: set[str] = set()
    for token in hazard_code.replace(",", " ").split():
        token = token.strip().upper()
        if _HW_CATEGORY.fullmatch(token):
            kinds.add(token)
        elif m := _HW_WASTE_CODE.fullmatch(token):
            kinds.add(token)
            kinds.add(f"HW{m.group(1)}")
        else:
            kinds.add(token)
    return frozenset(kinds)


@dataclass(frozen=True)
class Demand:
    """A consumer's request: tonnes wanted at a site, with price, haul and quality limits.

    ``max_price_cny_t`` bounds the supplier's ex-works price (freight is reported
    separately); ``max_haul_km`` is road kilometres. ``permits`` holds the hazardous-waste
    permit kinds the organisation holds *now* (the service drops expired ones).
    """

    id: int
    org_id: int
    material: str
    lon: float
    lat: float
    quantity_t: Decimal
    max_price_cny_t: Decimal | None = None
    max_haul_km: Decimal | None = None
    limits: Mapping[str, Limit] = field(default_factory=dict)
    permits: frozenset[str] = frozenset()
    miit_listed: bool = False
    #: On the MIIT list as a cascade-use firm (may take cascade-use battery lots).
    miit_cascade_listed: bool = False


@dataclass(frozen=True)
class Match:
    """One proposed supply→demand pairing, with the figures and a sentence explaining it.

    ``delivered_cny_t`` = ``price`` + ``freight_cny_t`` exactly (freight is computed from
    the rounded ``road_km``), so the sum a user checks by hand adds up. ``score`` is the
    ranking key documented in :mod:`matching.scoring`: lower is better.
    """

    supply_id: int
    demand_id: int
    road_km: Decimal
    freight_cny_t: Decimal
    delivered_cny_t: Decimal
    volume_fit: Decimal
    spec_margin: Decimal | None
    compliance: Compliance
    score: Decimal
    explanation_zh: str
    explanation_en: str
