"""Specification compliance: a listing's spec against a demand, one grade, or every grade.

Values and limits are compared in Decimal by :mod:`matching.compliance`; here the answer is
shaped for the API: each limited parameter with its value, bounds, outcome and margin.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.catalogue import service as catalogue
from market.core.errors import Invalid
from market.offers.common import DEMANDS, LISTINGS, readable
from market.offers.demands import requirements_from_json
from market.offers.listings import spec_from_json
from market.offers.models import Demand
from market.offers.schemas import (
    AllGradesCompliance,
    ComplianceAnswer,
    ComplianceOut,
    DemandCompliance,
    DemandRef,
    GradeCompliance,
    GradeFamily,
    GradeRef,
    ParameterCheck,
)
from matching.compliance import Compliance, check, combine, describe, grades_met
from matching.specs import Limit


def requirement_limits(demand: Demand) -> dict[str, Limit]:
    return limits_of_requirements(demand.requirements)


def limits_of_requirements(requirements: dict[str, Any]) -> dict[str, Limit]:
    """A demand's stored requirements (its ``requirements`` JSON) as the matcher's limits."""
    return {
        k: Limit(min=lo, max=hi, source="buyer's requirement")
        for k, (lo, hi) in requirements_from_json(requirements).items()
    }


async def demand_limits(session: AsyncSession, demand: Demand) -> dict[str, Limit]:
    """The buyer's explicit limits combined with its grade preset (tighter bound wins)."""
    limits = requirement_limits(demand)
    if demand.grade_key:
        grade = await catalogue.get_grade(session, demand.material_code, demand.grade_key)
        if grade is not None:
            preset = next(
                (
                    g
                    for g in await catalogue.matching_grades(session, demand.material_code)
                    if g.key == grade.key
                ),
                None,
            )
            if preset is not None:
                limits = combine(preset.limits, limits)
    return limits


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else catalogue.fmt(value)


def compliance_view(c: Compliance) -> ComplianceOut:
    return ComplianceOut(
        verdict=c.verdict,
        parameters=[
            ParameterCheck(
                parameter=p.key,
                value=_fmt(p.value),
                min=_fmt(p.min),
                max=_fmt(p.max),
                status=p.status,
                margin=_fmt(p.margin),
                confirmed=p.confirmed,
                source=p.source,
            )
            for p in c.params
        ],
    )


async def listing_compliance(
    session: AsyncSession,
    viewer: User,
    listing_id: int,
    *,
    demand_id: int | None,
    grade: str | None,
) -> ComplianceAnswer:
    """Check a listing's spec against a demand's requirements, one grade, or every grade."""
    if demand_id is not None and grade is not None:
        raise Invalid("grade", "give demand_id or grade, not both")
    listing = await readable(session, LISTINGS, viewer, listing_id)
    values = spec_from_json(listing.spec)
    params = await catalogue.matching_parameters(session, listing.material_code)
    result: dict[str, Any] = {"listing_id": listing_id, "material_code": listing.material_code}
    if demand_id is not None:
        demand = await readable(session, DEMANDS, viewer, demand_id)
        if demand.material_code != listing.material_code:
            raise Invalid(
                "demand_id",
                f"demand {demand_id} is for {demand.material_code}, not {listing.material_code}",
            )
        checked = compliance_view(check(values, await demand_limits(session, demand)))
        return DemandCompliance(
            **result,
            against=DemandRef(demand_id=demand_id),
            verdict=checked.verdict,
            parameters=checked.parameters,
        )
    all_grades = await catalogue.matching_grades(session, listing.material_code)
    if grade is not None:
        chosen = next((g for g in all_grades if g.key == grade), None)
        if chosen is None:
            raise Invalid("grade", f"unknown grade {grade!r} for {listing.material_code}")
        checked = compliance_view(check(values, chosen.limits))
        return GradeCompliance(
            **result,
            against=GradeRef(grade=grade, name=chosen.name),
            verdict=checked.verdict,
            parameters=checked.parameters,
        )
    families: dict[str, list[Any]] = {}
    for g in all_grades:
        families.setdefault(catalogue.grade_family(g.key), []).append(g)
    summaries = []
    for family in families.values():
        verdicts = grades_met(values, family)
        text = describe(verdicts, params)
        summaries.append(
            GradeFamily.model_validate(
                {
                    "grades": [
                        {"key": v.grade.key, "name": v.grade.name, "verdict": v.verdict}
                        for v in verdicts
                    ],
                    "summary_zh": text.zh,
                    "summary_en": text.en,
                }
            )
        )
    return AllGradesCompliance(**result, against="all grades", families=summaries)
