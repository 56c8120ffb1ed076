"""The material catalogue: materials, their specification parameters and graded presets.

Data, not code: seeded from ``market.catalogue.seed`` and editable by the platform admin,
because several limits are unconfirmed and must be correctable without a release.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.core.db import JSONType, ScaledDecimal


class Material(SQLModel, table=True):
    __tablename__ = "materials"

    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    category: str = Field(default="", max_length=40)
    cn_code: str | None = Field(default=None, max_length=40)
    cn_code_confirmed: bool = False
    eu_code: str | None = Field(default=None, max_length=20)
    hazardous: bool = False
    hazard_code: str | None = Field(default=None, max_length=20)
    battery: bool = False
    typical_uses: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType))


class MaterialParameter(SQLModel, table=True):
    __tablename__ = "material_parameters"
    __table_args__ = (UniqueConstraint("material_code", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    material_code: str = Field(foreign_key="materials.code", index=True, ondelete="CASCADE")
    key: str = Field(max_length=60)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    unit: str = Field(default="", max_length=20)
    valid_min: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(6)))
    valid_max: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(6)))


class Grade(SQLModel, table=True):
    """A named preset; GB 6566 grades exist once per material they apply to."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("material_code", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60)
    material_code: str = Field(foreign_key="materials.code", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    name_zh: str = Field(default="", max_length=120)
    standard: str = Field(default="", max_length=60)
    #: Order within the material, strictest first (the seed's order), for summaries.
    position: int = 0


class GradeLimit(SQLModel, table=True):
    __tablename__ = "grade_limits"
    __table_args__ = (UniqueConstraint("grade_id", "parameter_key"),)

    id: int | None = Field(default=None, primary_key=True)
    grade_id: int = Field(foreign_key="grades.id", index=True, ondelete="CASCADE")
    parameter_key: str = Field(max_length=60)
    min: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(6)))
    max: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(6)))
    source: str = Field(default="", max_length=200)
    confirmed: bool = False
