"""The city page for regulators: utilisation by district (map), by material and by month.

Everybody else gets a 403 page: the breakdown names enterprises' figures that only the
regulator (and the platform admin) may read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import get
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from geodata.districts import DISTRICT_NAMES
from geodata.svgmap import draw_map
from market.accounts.web_session import Member
from market.core.deps import Db
from market.geo.regions import current_locator
from market.offers import web_lookups as lookups
from market.stats import web_data as citydata
from market.web.charts import Series, hbar_chart, line_chart
from market.web.render import error_page, page


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@get("/city", name="web-city")
async def city_page(
    member: Member, db: Db, state: State, year: FromQuery[int | None] = None
) -> Template:
    if not member.regulator:
        return error_page(
            member,
            403,
            "无权访问",
            "城市统计页面仅对监管部门和平台管理员开放。The city page is for regulators only.",
        )
    locator = await current_locator(db, state)
    materials = await lookups.materials(db)
    supply = await citydata.open_supply(db)
    util = await citydata.utilisation(db, year)

    def material_label(code: str) -> str:
        m = materials.get(code)
        return m.name_zh if m else code

    if util.has_data:
        rates = {
            g["key"]: float(g["utilisation_rate_pct"])
            for g in util.by_district
            if g["key"] and g["utilisation_rate_pct"] is not None
        }
        map_svg = draw_map(
            locator.regions,
            values=rates,
            value_label="综合利用率 %",
            width=720,
            height=540,
            title="各区县综合利用率 · Utilisation rate by district",
        )
        by_material = sorted(util.by_material, key=lambda g: -float(g["utilised_t"]))
        bars = hbar_chart(
            [(g["label"], _float(g["utilised_t"])) for g in by_material],
            title="各物料综合利用量 · Utilised by material",
            unit="吨 t",
        )
        months = [g["key"] for g in util.by_month]
        lines = line_chart(
            months,
            [
                Series("产生量 generated", [_float(g["generated_t"]) for g in util.by_month]),
                Series("综合利用量 utilised", [_float(g["utilised_t"]) for g in util.by_month]),
            ],
            title="逐月产生与利用 · Monthly generated and utilised",
            unit="吨 t",
        )
    else:
        map_svg = draw_map(
            locator.regions,
            values={k: float(v) for k, v in supply.by_district.items()},
            value_label="可供吨数 available t",
            width=720,
            height=540,
            title="各区县平台可供量 · Open supply by district",
        )
        bars = hbar_chart(
            [
                (material_label(k), float(v))
                for k, v in sorted(supply.by_material.items(), key=lambda kv: -kv[1])
            ],
            title="各物料平台可供量 · Open supply by material",
            unit="吨 t",
        )
        lines = line_chart(
            list(supply.listed_by_month),
            [Series("挂牌量 listed", [float(v) for v in supply.listed_by_month.values()])],
            title="逐月挂牌量 · Tonnes listed per month",
            unit="吨 t",
        )
    supply_rows = [
        (DISTRICT_NAMES.get(code, code), value)
        for code, value in sorted(supply.by_district.items(), key=lambda kv: -kv[1])
    ]
    return page(
        "city.html",
        member,
        year=year,
        util=util,
        supply=supply,
        supply_rows=supply_rows,
        supply_material_rows=[
            (material_label(k), v)
            for k, v in sorted(supply.by_material.items(), key=lambda kv: -kv[1])
        ],
        map_svg=map_svg,
        bar_svg=bars,
        line_svg=lines,
        zero=Decimal(0),
    )


routes = [city_page]
