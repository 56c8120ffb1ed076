"""Request and response bodies of the catalogue: materials, parameters, grades and limits.

Spec figures in responses are exact decimal strings without trailing zeros ("12", "0.06"),
as the catalogue formats them everywhere; null where a bound is open.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from market.core.schemas import Body, Out, SpecValue, Text

#: A spec figure as an exact decimal string without trailing zeros, e.g. "12" or "0.06".
Figure = Annotated[str, Field(examples=["12", "0.06"])]


class MaterialPatch(Body):
    name_zh: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    cn_code: Annotated[str, Field(max_length=40)] | None = None
    cn_code_confirmed: bool | None = None
    eu_code: Annotated[str, Field(max_length=20)] | None = None
    hazardous: bool | None = None
    hazard_code: Annotated[str, Field(max_length=20)] | None = None


class LimitIn(Body):
    min: SpecValue | None = None
    max: SpecValue | None = None
    source: Annotated[Text, Field(min_length=1)]
    confirmed: bool = False


class TypicalUseOut(Out):
    """A use the material is fit for; ``key`` is what a demand's ``use`` names."""

    key: str
    name_zh: str
    name_en: str


class MaterialSummaryOut(Out):
    """A material with its Chinese and EU waste codes, as listed and searched."""

    code: str
    name_zh: str
    name_en: str
    category: str
    cn_code: str | None
    cn_code_confirmed: bool
    eu_code: str | None
    hazardous: bool
    hazard_code: str | None
    battery: bool
    typical_uses: list[TypicalUseOut]


class ParameterOut(Out):
    """A specification parameter of a material, with the range a value may take."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    valid_min: Figure | None
    valid_max: Figure | None


class LimitOut(Out):
    """One bound of a grade on a parameter, with where the figure comes from."""

    parameter: str
    min: Figure | None
    max: Figure | None
    source: str
    confirmed: Annotated[bool, Field(description="checked against the standard's text")]


class GradeOut(Out):
    """A graded preset (e.g. GB/T 1596 F-I); confirmed when every limit is."""

    key: str
    name: str
    name_zh: str
    standard: str
    confirmed: bool
    limits: list[LimitOut]


class MaterialOut(MaterialSummaryOut):
    """A material with its parameters and graded presets."""

    parameters: list[ParameterOut]
    grades: list[GradeOut]


class GradeLimitOut(LimitOut):
    """A limit just set, naming its material and grade."""

    material: str
    grade: str
