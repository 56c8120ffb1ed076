"""Checking measured values against limits, exactly, in Decimal.

A buyer rejects a lot that misses a specification, so this check is a hard filter in the
matcher and must agree with what a person reading the standard would conclude: bounds are
inclusive and compared in Decimal, never float. A missing value is *unknown*, not a failure:
the listing is shown as incomplete so the producer can add the test result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from matching.specs import Grade, Limit, Parameter
from matching.text import fmt_number

Verdict = Literal["meets", "fails", "incomplete"]
Status = Literal["pass", "fail", "unknown"]

_ONE = Decimal(1)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class ParamResult:
    """Outcome for one limited parameter.

    ``margin`` is the distance to the nearest bound in the parameter's unit: positive
    inside the limits, zero on a bound, negative outside; None when the value is missing or
    the limit has no bound.
    """

    key: str
    value: Decimal | None
    min: Decimal | None
    max: Decimal | None
    status: Status
    margin: Decimal | None
    confirmed: bool
    source: str | None


@dataclass(frozen=True)
class Compliance:
    """Overall verdict plus the per-parameter detail that explains it."""

    verdict: Verdict
    params: tuple[ParamResult, ...]

    @property
    def failed(self) -> tuple[ParamResult, ...]:
        return tuple(p for p in self.params if p.status == "fail")

    @property
    def unknown(self) -> tuple[ParamResult, ...]:
        return tuple(p for p in self.params if p.status == "unknown")

    @property
    def all_confirmed(self) -> bool:
        """False when the verdict rests on at least one unconfirmed limit."""
        return all(p.confirmed for p in self.params)


def _check_one(key: str, value: Decimal | None, limit: Limit) -> ParamResult:
    lo, hi = limit.min, limit.max
    if value is None:
        status: Status = "unknown" if limit.bounded else "pass"
        return ParamResult(key, None, lo, hi, status, None, limit.confirmed, limit.source)
    known = [
        m
        for m in (None if lo is None else value - lo, None if hi is None else hi - value)
        if m is not None
    ]
    margin = min(known) if known else None
    status = "fail" if margin is not None and margin < 0 else "pass"
    return ParamResult(key, value, lo, hi, status, margin, limit.confirmed, limit.source)


def check(values: Mapping[str, Decimal], limits: Mapping[str, Limit]) -> Compliance:
    """Check ``values`` against ``limits``: any fail → fails, else any unknown → incomplete.

    Parameters in ``values`` without a limit are ignored (a buyer who does not care about
    moisture should not see it); results come in sorted key order so output is stable.
    """
    params = tuple(_check_one(k, values.get(k), limits[k]) for k in sorted(limits))
    verdict: Verdict = "meets"
    for p in params:
        if p.status == "fail":
            verdict = "fails"
            break
        if p.status == "unknown":
            verdict = "incomplete"
    return Compliance(verdict, params)


@dataclass(frozen=True)
class _Bound:
    value: Decimal
    source: str | None
    confirmed: bool


def _pick(old: _Bound | None, new: _Bound | None, lower: bool) -> _Bound | None:
    """The tighter of two bounds (larger minimum, smaller maximum); ties keep ``old``."""
    if new is None:
        return old
    if old is None:
        return new
    if lower:
        return old if old.value >= new.value else new
    return old if old.value <= new.value else new


def combine(*limit_sets: Mapping[str, Limit]) -> dict[str, Limit]:
    """Merge limit sets (a grade preset plus a buyer's explicit bounds); the tighter wins.

    Each side of the merged limit keeps the ``source`` and ``confirmed`` flag of the set it
    came from, so a buyer's own confirmed bound that overrides an unconfirmed preset stops
    the result being flagged. A merge can produce min > max; :func:`conflicts` reports
    that, and :func:`check` then fails every value, which is the honest outcome.
    """
    bounds: dict[str, tuple[_Bound | None, _Bound | None]] = {}
    for limits in limit_sets:
        for key, lim in limits.items():
            lo = None if lim.min is None else _Bound(lim.min, lim.source, lim.confirmed)
            hi = None if lim.max is None else _Bound(lim.max, lim.source, lim.confirmed)
            old_lo, old_hi = bounds.get(key, (None, None))
            bounds[key] = (_pick(old_lo, lo, lower=True), _pick(old_hi, hi, lower=False))
    merged: dict[str, Limit] = {}
    for key, (lo, hi) in bounds.items():
        sides = [b for b in (lo, hi) if b is not None]
        sources = [b.source for b in sides if b.source]
        merged[key] = Limit(
            min=None if lo is None else lo.value,
            max=None if hi is None else hi.value,
            source="; ".join(dict.fromkeys(sources)) or None,
            confirmed=all(b.confirmed for b in sides),
        )
    return merged


def conflicts(limits: Mapping[str, Limit]) -> list[str]:
    """Keys whose minimum exceeds their maximum (nothing can pass them)."""
    return sorted(
        k
        for k, lim in limits.items()
        if lim.min is not None and lim.max is not None and lim.min > lim.max
    )


def spec_margin(compliance: Compliance) -> Decimal | None:
    """Worst normalised margin in [0, 1]: how comfortably the lot meets the spec.

    Each bounded parameter's margin is divided by a scale (the half-width of a two-sided
    range, else the bound's magnitude, else 1) and clipped to [0, 1]; missing or failing
    values count as 0. The minimum over parameters is returned because the tightest
    parameter is the one that gets a lot rejected. None when nothing is bounded.
    """
    worst: Decimal | None = None
    for p in compliance.params:
        if p.min is None and p.max is None:
            continue
        if p.margin is None or p.margin <= 0:
            norm = _ZERO
        else:
            norm = min(_ONE, p.margin / margin_scale(p.min, p.max))
        worst = norm if worst is None else min(worst, norm)
    return worst


def margin_scale(lo: Decimal | None, hi: Decimal | None) -> Decimal:
    """Divisor that makes margins of different parameters comparable."""
    if lo is not None and hi is not None:
        half = (hi - lo) / 2
        return half if half > 0 else _ONE
    bound = lo if lo is not None else hi
    if bound is None or bound == 0:
        return _ONE
    return abs(bound)


@dataclass(frozen=True)
class GradeVerdict:
    """A grade and the compliance of one set of values with it."""

    grade: Grade
    compliance: Compliance

    @property
    def verdict(self) -> Verdict:
        return self.compliance.verdict


def grades_met(values: Mapping[str, Decimal], grades: Sequence[Grade]) -> list[GradeVerdict]:
    """Check ``values`` against each grade, keeping the caller's order (strictest first)."""
    return [GradeVerdict(g, check(values, g.limits)) for g in grades]


@dataclass(frozen=True)
class Description:
    """The same one-line summary in both languages."""

    zh: str
    en: str


def _name(key: str, parameters: Mapping[str, Parameter], lang: Literal["zh", "en"]) -> str:
    p = parameters.get(key)
    if p is None:
        return key
    return p.name_zh if lang == "zh" else p.name_en


def _violation(p: ParamResult) -> str:
    assert p.value is not None
    if p.max is not None and p.value > p.max:
        return f"{fmt_number(p.value)} > {fmt_number(p.max)}"
    assert p.min is not None
    return f"{fmt_number(p.value)} < {fmt_number(p.min)}"


def _why_not(gv: GradeVerdict, parameters: Mapping[str, Parameter]) -> tuple[str, str]:
    short = gv.grade.label_short
    c = gv.compliance
    if c.verdict == "fails":
        zh = "，".join(f"{_name(p.key, parameters, 'zh')} {_violation(p)}" for p in c.failed)
        en = ", ".join(f"{_name(p.key, parameters, 'en')} ({_violation(p)})" for p in c.failed)
        return f"不符合 {short}：{zh}", f"fails {short} on {en}"
    zh = "、".join(_name(p.key, parameters, "zh") for p in c.unknown)
    en = ", ".join(_name(p.key, parameters, "en") for p in c.unknown)
    return f"{short} 缺少数据：{zh}", f"{short} incomplete: no {en}"


def describe(verdicts: Iterable[GradeVerdict], parameters: Mapping[str, Parameter]) -> Description:
    """Summarise :func:`grades_met` output in one line per language.

    ``verdicts`` must be ordered strictest grade first (the catalogue's order). The summary
    names the best grade met and, for each stricter grade, why it is missed, e.g.
    "meets GB/T 1596 F-II concrete; fails F-I on 45 µm residue (18.2 > 12)". A grade
    met only through unconfirmed limits is marked so nobody quotes it as certain.
    """
    zh_parts: list[str] = []
    en_parts: list[str] = []
    best: GradeVerdict | None = None
    stricter: list[GradeVerdict] = []
    for gv in verdicts:
        if gv.verdict == "meets":
            best = gv
            break
        stricter.append(gv)
    if best is None:
        zh_parts.append("不符合任何等级")
        en_parts.append("meets no grade")
    else:
        flag_zh = "（含未确认限值）" if not best.compliance.all_confirmed else ""
        flag_en = " (some limits unconfirmed)" if not best.compliance.all_confirmed else ""
        zh_parts.append(f"符合 {best.grade.label_zh}{flag_zh}")
        en_parts.append(f"meets {best.grade.name}{flag_en}")
    for gv in stricter:
        zh, en = _why_not(gv, parameters)
        zh_parts.append(zh)
        en_parts.append(en)
    return Description("；".join(zh_parts), "; ".join(en_parts))
