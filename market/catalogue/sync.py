"""Bring the database's catalogue up to the seed in ``market.catalogue.seed``.

Adds materials, parameters, grades and limits the database lacks and leaves existing rows
alone: the platform admin may have corrected an unconfirmed limit, and a release must not
undo that. Runs after every ``market db upgrade``; a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.catalogue.models import Grade, GradeLimit, Material, MaterialParameter
from market.catalogue.seed import MATERIALS


@dataclass
class SyncReport:
    materials: int = 0
    parameters: int = 0
    grades: int = 0
    limits: int = 0

    def __str__(self) -> str:
        return (
            f"added {self.materials} materials, {self.parameters} parameters, "
            f"{self.grades} grades, {self.limits} limits"
        )


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def sync_catalogue(session: AsyncSession) -> SyncReport:
    report = SyncReport()
    have_materials = set((await session.exec(select(Material.code))).all())
    have_params = {
        (m, k)
        for m, k in (
            await session.exec(select(MaterialParameter.material_code, MaterialParameter.key))
        ).all()
    }
    grade_ids: dict[tuple[str, str], int] = {
        (m, k): i
        for m, k, i in (await session.exec(select(Grade.material_code, Grade.key, Grade.id))).all()
        if i is not None
    }
    have_limits = {
        (g, p)
        for g, p in (
            await session.exec(select(GradeLimit.grade_id, GradeLimit.parameter_key))
        ).all()
    }
    for m in MATERIALS:
        if m.code not in have_materials:
            session.add(
                Material(
                    code=m.code,
                    name_zh=m.name_zh,
                    name_en=m.name_en,
                    category=m.category,
                    cn_code=m.cn_code,
                    cn_code_confirmed=m.cn_code_confirmed,
                    eu_code=m.eu_code,
                    hazardous=m.hazardous,
                    hazard_code=m.hazard_code,
                    battery=m.battery,
                    typical_uses=[
                        {"key": k, "name_zh": zh, "name_en": en} for k, zh, en in m.typical_uses
                    ],
                )
            )
            report.materials += 1
    await session.flush()
    for m in MATERIALS:
        for position, g in enumerate(m.grades):
            if (m.code, g.key) not in grade_ids:
                grade = Grade(
                    key=g.key,
                    material_code=m.code,
                    name=g.name,
                    name_zh=g.name_zh,
                    standard=g.standard,
                    position=position,
                )
                session.add(grade)
                await session.flush()
                assert grade.id is not None
                grade_ids[(m.code, g.key)] = grade.id
                report.grades += 1
        for p in m.parameters:
            if (m.code, p.key) not in have_params:
                session.add(
                    MaterialParameter(
                        material_code=m.code,
                        key=p.key,
                        name_zh=p.name_zh,
                        name_en=p.name_en,
                        unit=p.unit,
                        valid_min=_dec(p.valid_min),
                        valid_max=_dec(p.valid_max),
                    )
                )
                report.parameters += 1
    await session.flush()
    for m in MATERIALS:
        for g in m.grades:
            gid = grade_ids[(m.code, g.key)]
            for lim in g.limits:
                if (gid, lim.parameter) not in have_limits:
                    session.add(
                        GradeLimit(
                            grade_id=gid,
                            parameter_key=lim.parameter,
                            min=_dec(lim.min),
                            max=_dec(lim.max),
                            source=lim.source,
                            confirmed=lim.confirmed,
                        )
                    )
                    report.limits += 1
    await session.flush()
    return report
