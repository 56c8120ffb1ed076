"""Turning a ranked pair into a :class:`~matching.model.Match` that explains itself.

Users act on a proposal only if they can check it, so every figure in the sentence is the
Decimal in the Match, and the delivered price is shown as the sum it is. This runs only for
the top rows of a query, so it can afford exact Decimal arithmetic and the full compliance
check.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from matching.compliance import Compliance, check, spec_margin
from matching.model import Demand, Match, Supply
from matching.scoring import MatchSettings
from matching.specs import Parameter
from matching.text import CENT, TENTH, fmt_money

_MILLI = Decimal("0.001")


def _names(keys: list[str], parameters: Mapping[str, Parameter]) -> tuple[str, str]:
    zh = "、".join(parameters[k].name_zh if k in parameters else k for k in keys)
    en = ", ".join(parameters[k].name_en if k in parameters else k for k in keys)
    return zh, en


def _spec_text(c: Compliance, parameters: Mapping[str, Parameter]) -> tuple[str, str]:
    if not any(p.min is not None or p.max is not None for p in c.params):
        return "无指标要求", "no specification limits"
    if c.verdict == "incomplete":
        zh, en = _names([p.key for p in c.unknown], parameters)
        text = (f"缺少数据：{zh}", f"missing data for {en}")
    elif c.verdict == "fails":
        zh, en = _names([p.key for p in c.failed], parameters)
        text = (f"不满足：{zh}", f"fails {en}")
    else:
        text = ("满足全部指标", "meets all limits")
    if not c.all_confirmed:
        text = (text[0] + "（含未确认限值）", text[1] + " (some limits unconfirmed)")
    return text


def _volume_text(q_supply: Decimal, q_demand: Decimal) -> tuple[str, str]:
    if q_supply < q_demand:
        pct = (q_supply / q_demand * 100).quantize(Decimal(1))
        return f"供量覆盖需求 {pct}%", f"covers {pct}% of the demand"
    pct = (q_demand / q_supply * 100).quantize(Decimal(1)) if q_supply > 0 else Decimal(0)
    return f"需求消纳供量 {pct}%", f"takes {pct}% of the supply"


def delivered_cost(
    price_cny_t: Decimal, road_km: float, settings: MatchSettings
) -> tuple[Decimal, Decimal, Decimal]:
    """(road km to 0.1, freight CNY/t, delivered CNY/t) for a lot ``road_km`` away.

    Freight is computed from the road distance rounded to 0.1 km, and the price is rounded
    to the cent, so "delivered = price + freight" holds exactly on screen.
    """
    km = Decimal(road_km).quantize(TENTH)
    freight = (km * settings.freight_cny_per_t_km).quantize(CENT)
    return km, freight, price_cny_t.quantize(CENT) + freight


def build_match(
    supply: Supply,
    demand: Demand,
    road_km: float,
    score: float,
    settings: MatchSettings,
    parameters: Mapping[str, Parameter],
) -> Match:
    """Exact figures and the two one-line explanations for one ranked pair.

    Freight is computed from the road distance rounded to 0.1 km, and the price is
    rounded to the cent, so "delivered = price + freight" holds exactly on screen.
    """
    km, freight, delivered = delivered_cost(supply.price_cny_t, road_km, settings)
    price = supply.price_cny_t.quantize(CENT)
    big = max(supply.quantity_t, demand.quantity_t)
    fit = (min(supply.quantity_t, demand.quantity_t) / big).quantize(_MILLI) if big > 0 else 0
    compliance = check(supply.values, demand.limits)
    margin = spec_margin(compliance)

    spec_zh, spec_en = _spec_text(compliance, parameters)
    vol_zh, vol_en = _volume_text(supply.quantity_t, demand.quantity_t)
    pays_zh = "（产废方付费）" if price < 0 else ""
    pays_en = " (producer pays)" if price < 0 else ""
    delivered_s, price_s, freight_s = fmt_money(delivered), fmt_money(price), fmt_money(freight)
    zh = (
        f"距离 {km} km（道路估算），到厂价 {delivered_s}/t = 报价 {price_s}"
        f"{pays_zh} + 运费 {freight_s}；{spec_zh}；{vol_zh}"
    )
    en = (
        f"{km} km by road (estimate), delivered {delivered_s}/t = price "
        f"{price_s}{pays_en} + freight {freight_s}; {spec_en}; {vol_en}"
    )
    return Match(
        supply_id=supply.id,
        demand_id=demand.id,
        road_km=km,
        freight_cny_t=freight,
        delivered_cny_t=delivered,
        volume_fit=Decimal(fit),
        spec_margin=None if margin is None else margin.quantize(_MILLI),
        compliance=compliance,
        score=Decimal(score).quantize(_MILLI),
        explanation_zh=zh,
        explanation_en=en,
    )
