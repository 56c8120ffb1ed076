"""Who may take a lot: the one eligibility rule every path to a deal checks.

A deal is born by buying (:mod:`market.trading.buying`), accepting a bid or counter-offer
(:mod:`market.trading.answers`) or closing a tender (:mod:`market.trading.tenders`), each
through :func:`market.trading.deals.create_deal`, which checks this rule before it reserves
a tonne; placing a bid and making a counter-offer check it too, so nobody negotiates a deal
that could never be made. The rule, in order:

1. never to the seller's own organisation (409, as buying one's own lot always was);
2. a hazardous lot (a catalogue material with ``hazardous``) only to a buyer holding a
   permit for its waste code or HW category that is valid on China's date (403), with enough
   of that year's capacity left for the tonnes falling in each year (409: that is state, it
   changes when deals end or a new year starts); the capacity figures are
   :mod:`market.accounts.permit_use`'s, which the matcher reads too;
3. a traction-battery lot (``battery``) for recycling (``battery_use`` "recycling", or not
   said) only to a recycler on the MIIT list, and one for cascade use only to a firm on the
   MIIT list as a cascade-use company (``miit_cascade_listed``) (403);
4. a lot that holds traced packs only whole: the deal takes every tonne available (409;
   :func:`market.trading.packs.whole_lot_refusal`), so no pack is split between deals.

Every refusal names the rule in Chinese and English, e.g. "需持有 HW31 类危险废物经营许可证 /
requires a hazardous-waste permit for HW31". :func:`refusal` says why not without raising,
for the tender closer, which passes over an ineligible bidder to the next best.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization
from market.accounts.permit_use import PermitStanding, china_date, standings, yearly_tonnes
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Conflict, Forbidden, NotFound, Problem
from market.offers.models import Listing
from market.trading import packs
from matching.model import permit_kinds_of


@dataclass(frozen=True)
class Take:
    """What a buyer would take: ``total_t`` tonnes, or ``tonnes_per_month`` for
    ``term_months`` months from ``starts`` (a standing contract; default: this month)."""

    total_t: Decimal
    tonnes_per_month: Decimal | None = None
    term_months: int | None = None
    starts: date | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a buyer may not take a lot: a rule code, the sentence in both languages, status."""

    rule: str
    zh: str
    en: str
    status: int = 403

    @property
    def detail(self) -> str:
        return f"{self.zh} / {self.en}"

    def error(self) -> Problem:
        errors = [{"field": "organization_id", "reason": self.en}]
        if self.status == 409:
            return Conflict(self.detail, errors=errors)
        return Forbidden(self.detail, errors=errors)


def _category(kinds: frozenset[str]) -> str:
    """The name a refusal gives the permit asked for: the HW category when there is one."""
    categories = sorted(k for k in kinds if k.startswith("HW"))
    return categories[0] if categories else sorted(kinds)[0]


def _hazard_refusal(
    material: Material, permits: list[PermitStanding], take: Take, day: date
) -> Refusal | None:
    kinds = permit_kinds_of(material.hazard_code)
    if not kinds:
        return Refusal(
            "hazard_code_missing",
            f"危险废物 {material.code} 未登记危废代码, 无法核对经营许可证",
            f"the hazardous material {material.code} has no HW code, so no permit can cover it",
        )
    kind = _category(kinds)
    covering = [s for s in permits if s.permit.kind in kinds]
    if not covering:
        return Refusal(
            "permit_required",
            f"需持有 {kind} 类危险废物经营许可证",
            f"requires a hazardous-waste permit for {kind}",
        )
    valid = [s for s in covering if s.valid_on(day)]
    if not valid:
        last = max(s.permit.valid_until for s in covering)
        return Refusal(
            "permit_expired",
            f"需持有有效的 {kind} 类危险废物经营许可证 (现有许可证已于 {last} 到期)",
            f"requires a valid hazardous-waste permit for {kind} (the permit held expired on {last})",
        )
    wanted = yearly_tonnes(
        take.total_t, take.starts or day, take.tonnes_per_month, take.term_months
    )
    for s in valid:
        if all((left := s.remaining_t(y)) is None or left >= t for y, t in wanted.items()):
            return None
    year, left = _tightest(valid, wanted)
    return Refusal(
        "capacity_exceeded",
        f"{kind} 类危险废物经营许可证 {year} 年剩余经营规模 {dec.t(left)} 吨, "
        f"不足本次 {dec.t(wanted[year])} 吨",
        f"the hazardous-waste permit for {kind} has {dec.t(left)} t of its {year} annual "
        f"capacity left, {dec.t(wanted[year])} t asked",
        status=409,
    )


def _tightest(valid: list[PermitStanding], wanted: dict[int, Decimal]) -> tuple[int, Decimal]:
    """The year and capacity left of the roomiest valid permit in its first short year."""
    best: tuple[int, Decimal] | None = None
    for s in valid:
        for year, t in sorted(wanted.items()):
            left = s.remaining_t(year)
            if left is not None and left < t:
                if best is None or left > best[1]:
                    best = (year, max(left, Decimal(0)))
                break
    assert best is not None
    return best


async def refusal(
    session: AsyncSession,
    buyer_org_id: int,
    listing: Listing,
    take: Take,
    at: datetime | None = None,
) -> Refusal | None:
    """Why ``buyer_org_id`` may not take ``take`` of ``listing`` at ``at``; None if it may.

    The buyer's permits are read FOR UPDATE, so concurrent deals of one buyer are counted
    against its capacity one after the other."""
    if buyer_org_id == listing.organization_id:
        return Refusal(
            "own_organisation",
            "不能购买本组织的挂牌",
            "this is your own organisation's listing; you cannot bid on or buy it",
            status=409,
        )
    material = await catalogue.get_material(session, listing.material_code)
    day = china_date(at or datetime.now(UTC))
    if material.hazardous:
        permits = (await standings(session, [buyer_org_id], lock=True)).get(buyer_org_id, [])
        if (why := _hazard_refusal(material, permits, take, day)) is not None:
            return why
    if material.battery:
        buyer = await session.get(Organization, buyer_org_id)
        if buyer is None:
            raise NotFound(f"organisation {buyer_org_id} does not exist")
        if listing.battery_use == "cascade":
            if not buyer.miit_cascade_listed:
                return Refusal(
                    "miit_cascade_listed_required",
                    "动力电池梯次利用批次仅限列入工信部《新能源汽车废旧动力蓄电池综合利用行业"
                    "规范条件》企业名单的梯次利用企业",
                    "traction-battery cascade-use lots go only to cascade-use firms on the "
                    "MIIT list",
                )
        elif not buyer.miit_listed:
            return Refusal(
                "miit_listed_required",
                "动力电池再生利用批次仅限列入工信部《新能源汽车废旧动力蓄电池综合利用行业"
                "规范条件》企业名单的回收企业",
                "traction-battery recycling lots go only to recyclers on the MIIT list",
            )
        if (whole := await packs.whole_lot_refusal(session, listing, take.total_t)) is not None:
            return Refusal(
                "whole_lot_required",
                f"挂牌 {listing.id} 含逐包追溯的动力电池, 须整批购买 ({dec.t(listing.available_t)} 吨)",
                whole,
                status=409,
            )
    return None


async def check_eligible(
    session: AsyncSession,
    buyer_org_id: int,
    listing: Listing,
    take: Take,
    at: datetime | None = None,
) -> None:
    """Raise the refusal (403, or 409 for state: own lot, capacity used up) if any."""
    if (why := await refusal(session, buyer_org_id, listing, take, at)) is not None:
        raise why.error()
