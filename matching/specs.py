"""Plain data for material specifications: parameters, limits and grades.

The real catalogue (which parameters each material has, which grades each standard defines)
lives in ``market`` and is edited by administrators, because several limits in the domain
sheet are unconfirmed. ``matching`` only needs these immutable shapes, so it can be tested
and benchmarked without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Limit:
    """An inclusive bound on one parameter: a value equal to a "≤ 12" limit passes.

    ``source`` names where the bound comes from (a standard clause, a buyer's own request)
    and ``confirmed`` is False for values that could not be checked against the standard's
    text, so that reports can flag them instead of presenting them as authoritative.
    """

    min: Decimal | None = None
    max: Decimal | None = None
    source: str | None = None
    confirmed: bool = True

    @property
    def bounded(self) -> bool:
        """True when at least one side is set (an empty Limit constrains nothing)."""
        return self.min is not None or self.max is not None


@dataclass(frozen=True)
class Parameter:
    """A measurable property of a material, with names for both languages of the UI.

    ``valid_min``/``valid_max`` are the physically possible range (a percentage cannot be
    negative), not a quality requirement: values outside it are data-entry errors.
    """

    key: str
    name_zh: str
    name_en: str
    unit: str
    valid_min: Decimal | None
    valid_max: Decimal | None


@dataclass(frozen=True)
class Grade:
    """A named set of limits from a standard, e.g. GB/T 1596-2017 class F grade II.

    ``name`` is the full English label ("GB/T 1596 F-II concrete"). ``name_zh`` and
    ``short`` are optional extras used by :func:`matching.compliance.describe` for the
    Chinese summary and for the terse mention of failed grades ("F-I"); they fall back to
    ``name`` and ``key``.
    """

    key: str
    name: str
    standard: str
    limits: Mapping[str, Limit]
    name_zh: str | None = None
    short: str | None = None

    @property
    def label_zh(self) -> str:
        return self.name_zh or self.name

    @property
    def label_short(self) -> str:
        return self.short or self.key


def check_valid_range(
    values: Mapping[str, Decimal], parameters: Mapping[str, Parameter]
) -> list[tuple[str, str]]:
    """Return ``(parameter key, reason)`` for every value that cannot be right.

    Catches unknown parameter keys, non-finite numbers and values outside the physically
    valid range. These are input errors (the service answers 422), as opposed to a value
    that is plausible but misses a grade, which is a matching outcome.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(values):
        value = values[key]
        parameter = parameters.get(key)
        if parameter is None:
            problems.append((key, "unknown parameter"))
            continue
        if not isinstance(value, Decimal) or not value.is_finite():
            problems.append((key, "not a finite decimal number"))
            continue
        if parameter.valid_min is not None and value < parameter.valid_min:
            problems.append(
                (key, f"{value} is below the valid minimum {parameter.valid_min} {parameter.unit}")
            )
        elif parameter.valid_max is not None and value > parameter.valid_max:
            problems.append(
                (key, f"{value} is above the valid maximum {parameter.valid_max} {parameter.unit}")
            )
    return problems
