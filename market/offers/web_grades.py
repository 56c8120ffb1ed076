"""Which graded presets a listing's measured values meet, for the listing page.

A material can have several grade families (fly ash for concrete F-I/F-II/F-III, for
concrete C-…, as a cement admixture; radioactivity classes A/B/C). ``describe`` names the best
grade met in *one* strictest-first list, so the grades are split by family first; otherwise
"meets F-II" would hide that the lot also qualifies as a cement admixture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from market.catalogue import service as catalogue
from matching.compliance import GradeVerdict, describe, grades_met
from matching.specs import Grade


@dataclass(frozen=True)
class FamilySummary:
    """One family's verdicts (strictest first) and the one-line summary in both languages."""

    family: str
    standard: str
    verdicts: list[GradeVerdict]
    zh: str
    en: str


async def grade_summaries(
    db: AsyncSession, material_code: str, values: Mapping[str, Decimal]
) -> list[FamilySummary]:
    grades = await catalogue.matching_grades(db, material_code)
    params = await catalogue.matching_parameters(db, material_code)
    families: dict[str, list[Grade]] = {}
    for g in grades:
        families.setdefault(catalogue.grade_family(g.key), []).append(g)
    out: list[FamilySummary] = []
    for family, members in families.items():
        verdicts = grades_met(values, members)
        text = describe(verdicts, params)
        out.append(FamilySummary(family, members[0].standard, verdicts, text.zh, text.en))
    return out
