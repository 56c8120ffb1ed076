"""The regulator's /city page on the hand-worked city (tests/city.py), SQLite and PostgreSQL:
filters that change the figures, the period beside them, incomplete months, targets, CO2,
exports with the session cookie and error pages in the viewer's language.

Figures by hand (DOMAIN.md §3, ledgers and receipts of tests/city.py):

* March 2025, 东宝区 (A and B): generated 1000 + 500 = 1500; utilised (200 + 300 received)
  + 200.5 received = 700.5; rate 700.5 ÷ 1500 = 46.70 %.
* 钟祥市 or the 胡集 park (C only): 600 ÷ 2000 = 30.00 %.
* Enterprise A, 2025: generated 1800, utilised 500 + 850 = 1350, from stockpile 150:
  1350 ÷ 1950 = 69.23 %.
* Fly ash (B): 200.5 ÷ 500 = 40.10 %.
"""

from __future__ import annotations

import csv
import io
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from market.core.settings import Settings
from tests.city import City
from tests.city import make_regulator as api_regulator
from tests.conftest import Actors
from tests.web.helpers import make_regulator, post_form, web_login

Client = AsyncTestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def kpi(html: str, name: str) -> str:
    m = re.search(rf'<span class="kpi" id="kpi-{name}">([^<]*)</span>', html)
    assert m, f"no {name} figure on the page"
    return m.group(1).strip()


async def _regulator(client: Client, settings: Settings, email: str) -> None:
    await make_regulator(settings, email)
    await web_login(client, email)


async def test_filters_change_the_figures(client: Client, city: City, settings: Settings) -> None:
    await _regulator(client, settings, "cityfilters@example.cn")
    march = await client.get("/city", params={"year": "2025", "month": "3"})
    assert march.status_code == 200, march.text
    assert kpi(march.text, "generated") == "3,500"
    dongbao = await client.get("/city", params={"year": "2025", "month": "3", "district": "420802"})
    assert kpi(dongbao.text, "generated") == "1,500"
    assert kpi(dongbao.text, "rate") == "46.70 %"
    exports = re.search(r'<form[^>]*id="city-exports">.*?</form>', dongbao.text, re.S)
    assert exports and '<input type="hidden" name="district" value="420802">' in exports.group(0)
    zhongxiang = await client.get("/city", params={"year": "2025", "district": "420881"})
    assert kpi(zhongxiang.text, "rate") == "30.00 %"
    park = await client.get("/city", params={"year": "2025", "park": "P-ZXHUJI"})
    assert kpi(park.text, "generated") == "2,000"
    a = await client.get("/city", params={"year": "2025", "org": str(city.org["a"])})
    assert kpi(a.text, "rate") == "69.23 %" and kpi(a.text, "generated") == "1,800"
    fly_ash = await client.get("/city", params={"year": "2025", "material": "fly_ash"})
    assert kpi(fly_ash.text, "rate") == "40.10 %"
    # The period beside the figures, and the choice kept in the form.
    assert "2025 年 3 月" in dongbao.text
    assert '<option value="420802" selected>' in dongbao.text
    assert "fly_ash" not in re.sub(r'(value|href)="[^"]*"', "", fly_ash.text)  # no raw codes


async def test_incomplete_months_are_marked(client: Client, city: City, settings: Settings) -> None:
    await _regulator(client, settings, "citymonths@example.cn")
    r = await client.get("/city", params={"year": "2025"})
    table = re.search(r'id="ledger-completeness">.*?</table>', r.text, re.S)
    assert table, r.text
    rows = dict(re.findall(r">(2025-\d\d)</a></td>\s*<td[^>]*>(\d+)</td>", table.group(0)))
    assert rows["2025-03"] == "3" and rows["2025-04"] == "1"
    assert "不完整：缺 2 条" in table.group(0)  # April: A filed, B and C did not
    assert "2025-02" not in rows  # nobody reported before March: nothing expected
    assert rows["2025-05"] == "0"  # expected from their first month on: all three missing
    assert "2025-04 *" in r.text  # and the monthly chart says so


async def test_targets_set_on_the_page_list_the_gap(
    client: Client, city: City, settings: Settings
) -> None:
    await _regulator(client, settings, "citytargets@example.cn")
    body = {
        "organization_id": str(city.org["a"]),
        "material_code": "phosphogypsum",
        "year": "2025",
        "target_pct": "90",
        "back": "year=2025",
    }
    r = await post_form(client, "/city/targets", body, "/city?year=2025")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/city?year=2025#targets"
    page = await client.get("/city", params={"year": "2025"})
    table = re.search(r'id="below-target">.*?</table>', page.text, re.S)
    assert table
    cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", table.group(0))
    assert cells[:5] == ["企业A", "磷石膏", "90.00", "69.23", "20.77"]
    elsewhere = await client.get("/city", params={"year": "2025", "district": "420881"})
    assert "企业A" not in elsewhere.text.split('id="below-target"')[1].split("</table>")[0]
    bad = await post_form(client, "/city/targets", {**body, "target_pct": "150"}, "/city")
    assert bad.status_code == 422 and "目标" in bad.text


async def test_co2_is_shown_with_its_factors(
    client: Client, city: City, settings: Settings
) -> None:
    await _regulator(client, settings, "cityco2@example.cn")
    r = await client.get("/city", params={"year": "2025"})
    section = re.search(r'<section class="card" id="co2">.*?</section>', r.text, re.S)
    assert section
    assert "替代熟料" in section.group(0) and "0.52" in section.group(0)
    assert "IPCC 2006" in section.group(0)  # the source beside the factor
    none = await client.get("/city", params={"year": "2025", "district": "420881"})
    assert "本期没有签收" in none.text  # C shipped nothing on the exchange


async def test_exports_download_with_the_session(
    client: Client, city: City, settings: Settings, actors: Actors
) -> None:
    assert (await client.get("/api/v1/stats/export.csv")).status_code == 401
    await actors.user("cityexportclerk")
    await web_login(client, "cityexportclerk@example.cn")
    refused = await client.get("/city/export.csv", params={"year": "2025"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    client.cookies.clear()
    await _regulator(client, settings, "cityexport@example.cn")
    r = await client.get("/city/export.csv", params={"year": "2025", "district": "420881"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    total = next(row for row in rows if row[0] == "total")
    assert total[3] == "2000.000"  # generated, C only
    x = await client.get("/city/export.xlsx", params={"year": "2025", "month": "3"})
    assert x.status_code == 200 and x.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(x.content))["utilisation"]
    last = [c.value for c in list(sheet.iter_rows())[-1]]
    assert last[0] == "total" and last[3] == 3500.0


async def test_a_bad_query_is_a_page_in_the_viewers_language(
    client: Client, city: City, settings: Settings
) -> None:
    await _regulator(client, settings, "citybad@example.cn")
    r = await client.get("/city", params={"year": "2025", "month": "13"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "月份应为 1 至 12 之间的数字" in r.text and "筛选条件有误" in r.text
    both = await client.get("/city", params={"year": "abc", "district": "nowhere"})
    assert "年份应为" in both.text and "未知区县" in both.text  # every bad field at once
    en = await client.get(
        "/city", params={"year": "2025", "month": "13"}, headers={"Accept-Language": "en"}
    )
    assert en.status_code == 422 and "Month must be a number from 1 to 12" in en.text
    export = await client.get("/city/export.csv", params={"month": "13", "year": "2025"})
    assert export.status_code == 422 and export.headers["content-type"].startswith("text/html")


async def test_flows_are_drawn_and_listed(client: Client, city: City, settings: Settings) -> None:
    await _regulator(client, settings, "cityflows@example.cn")
    r = await client.get("/city", params={"year": "2025"})
    table = re.search(r'id="flow-table">.*?</table>', r.text, re.S)
    assert table
    first = re.findall(r"<td[^>]*>(.*?)</td>", table.group(0))[:5]
    assert first[2:] == ["磷石膏", "550", "3"]  # A → D: 300 + 100 + 150 t in three loads
    assert 'class="flow"' in svgs_text(r.text)[0] and 'data-tonnes="550"' in r.text
    april = await client.get("/city", params={"year": "2025", "month": "4"})
    april_table = april.text.split('id="flow-table"')[1].split("</table>")[0]
    assert "磷石膏" in april_table and "粉煤灰" not in april_table  # B's fly ash came in March


def svgs_text(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


async def test_permits_to_renew_and_the_miit_list(
    client: Client, city: City, settings: Settings, actors: Actors
) -> None:
    from datetime import UTC, datetime, timedelta

    reg = await api_regulator(settings, actors, "citypermits-api@example.cn")
    soon = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    later = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    for number, until in (("鄂危 0042", soon), ("鄂危 0099", later)):
        r = await client.post(
            f"/api/v1/organizations/{city.org['d']}/permits",
            headers=reg,
            json={
                "kind": "HW31",
                "number": number,
                "valid_until": until,
                "annual_capacity_t": "5000",
            },
        )
        assert r.status_code == 201, r.text
    r = await client.put(
        f"/api/v1/organizations/{city.org['d']}/miit", headers=reg, json={"listed": True}
    )
    assert r.status_code == 200, r.text
    await _regulator(client, settings, "citypermits@example.cn")
    page = await client.get("/city")
    permits = re.search(r'id="expiring-permits">.*?</table>', page.text, re.S)
    assert permits
    assert "鄂危 0042" in permits.group(0) and "鄂危 0099" not in permits.group(0)
    assert "5,000" in permits.group(0)
    miit = re.search(r'id="miit-listed">.*?</table>', page.text, re.S)
    assert miit and "企业D" in miit.group(0)
