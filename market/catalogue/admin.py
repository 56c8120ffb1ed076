"""The platform admin corrects the catalogue: unconfirmed limits are data, not code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.catalogue import service as catalogue
from market.catalogue.models import GradeLimit, Material
from market.catalogue.schemas import MaterialPatch
from market.core.errors import Forbidden, Invalid, NotFound


def require_platform_admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden("only the platform administrator edits the catalogue")


@dataclass(frozen=True)
class LimitInput:
    """One bound of a grade as the API or the CLI gives it (min, max or both)."""

    min: Decimal | None
    max: Decimal | None
    source: str
    confirmed: bool = False


async def update_material(
    session: AsyncSession, actor: User, code: str, data: MaterialPatch
) -> Material:
    """Change the fields the patch sets (and only those) of one material."""
    require_platform_admin(actor)
    material = await catalogue.get_material(session, code)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(material, name, value)
    session.add(material)
    await session.flush()
    return material


async def set_limit(
    session: AsyncSession,
    actor: User | None,
    material_code: str,
    grade_key: str,
    parameter: str,
    data: LimitInput,
) -> GradeLimit:
    """Create or replace one limit of a grade (``actor`` None: the CLI, trusted)."""
    if actor is not None:
        require_platform_admin(actor)
    await catalogue.get_material(session, material_code)
    grade = await catalogue.get_grade(session, material_code, grade_key)
    if grade is None or grade.id is None:
        raise NotFound(f"grade {grade_key!r} of {material_code!r} does not exist")
    params = await catalogue.parameters(session, material_code)
    min_value, max_value = data.min, data.max
    if parameter not in params:
        raise Invalid("parameter", f"unknown parameter {parameter!r} for {material_code}")
    if min_value is None and max_value is None:
        raise Invalid("min", "give min, max or both")
    bounds = {k: v for k, v in (("min", min_value), ("max", max_value)) if v is not None}
    for bound in bounds.values():
        catalogue.check_values({parameter: bound}, params, "limit")
    if min_value is not None and max_value is not None and min_value > max_value:
        raise Invalid("min", f"min {min_value} is greater than max {max_value}")
    existing = (
        await session.exec(
            select(GradeLimit).where(
                GradeLimit.grade_id == grade.id, GradeLimit.parameter_key == parameter
            )
        )
    ).first()
    limit = existing or GradeLimit(grade_id=grade.id, parameter_key=parameter)
    limit.min, limit.max = min_value, max_value
    limit.source, limit.confirmed = data.source, data.confirmed
    session.add(limit)
    await session.flush()
    return limit
