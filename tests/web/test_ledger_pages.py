"""The monthly 台账 pages with the session cookie (SQLite and PostgreSQL): the month form, the
Excel template, the upload with its row errors, the list of months."""

from __future__ import annotations

import io
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from tests.conftest import Actors
from tests.web.helpers import csrf_token, post_form, web_login

Client = AsyncTestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = "场所编号,固废种类,月份,产生量（吨）,自行利用量,平台外委托利用量,利用往年贮存量,贮存量,处置量,处置往年贮存量,倾倒丢弃量,备注"


async def _producer(client: Client, actors: Actors, name: str) -> tuple[dict[str, str], Any]:
    headers = await actors.user(name)
    org = await actors.org(headers, kind="producer")
    site = await actors.site(headers, org["id"], 112.20, 31.03)
    await web_login(client, f"{name}@example.cn")
    return headers, site


async def _ledgers(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/ledger", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_month_page_submit_writes_a_ledger_through_the_service(
    client: Client, actors: Actors
) -> None:
    headers, site = await _producer(client, actors, "ledgerclerk1")
    page = await client.get("/ledger/2025/3")
    assert page.status_code == 200, page.text
    assert "2025-03 台账" in page.text and "产生量" in page.text
    assert '<script src="/static/ledger.js"' in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script
    data = {
        "lines": "1",
        "line-0-free": "1",
        "line-0-site_id": str(site["id"]),
        "line-0-material_code": "fly_ash",
        "line-0-generated_t": "5,000",  # thousands separators are accepted
        "line-0-used_inhouse_t": "3000",
        "line-0-stored_t": "2000",
        "line-0-note": "三月",
    }
    r = await post_form(client, "/ledger/2025/3", data, "/ledger/2025/3")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/ledger/2025/3?saved=1"
    rows = await _ledgers(client, headers)
    assert [(x["month"], x["material_code"], x["generated_t"], x["balanced"]) for x in rows] == [
        ("2025-03", "fly_ash", "5000.000", True)
    ]
    assert rows[0]["note"] == "三月"
    again = await client.get("/ledger/2025/3?saved=1")
    assert "已保存 1 行" in again.text
    assert 'value="5000"' in again.text  # the saved line comes back as a line of the form
    april = await client.get("/ledger/2025/4")  # last month's line is offered, empty
    assert 'name="line-0-material_code" value="fly_ash"' in april.text
    untouched = await post_form(
        client,
        "/ledger/2025/4",
        {"lines": "2", "line-0-site_id": str(site["id"]), "line-0-material_code": "fly_ash"},
        "/ledger/2025/4",
    )
    assert untouched.headers["location"] == "/ledger/2025/4?saved=0"
    months = await client.get("/ledger")
    assert months.status_code == 200
    assert 'href="/ledger/2025/3"' in months.text and "5,000" in months.text


async def test_month_that_does_not_balance_saves_nothing_and_says_why(
    client: Client, actors: Actors
) -> None:
    headers, site = await _producer(client, actors, "ledgerclerk2")
    data = {
        "lines": "1",
        "line-0-free": "1",
        "line-0-site_id": str(site["id"]),
        "line-0-material_code": "fly_ash",
        "line-0-generated_t": "100",
        "line-0-used_inhouse_t": "10",
    }
    r = await post_form(client, "/ledger/2025/4", data, "/ledger/2025/4")
    assert r.status_code == 422, r.text
    assert "未保存" in r.text and "不平衡" in r.text
    assert "accounted for" not in r.text  # the service's English reason is translated
    assert await _ledgers(client, headers) == []


async def test_template_downloads_with_the_session_cookie(client: Client, actors: Actors) -> None:
    await _producer(client, actors, "ledgerclerk3")
    assert (await client.get("/api/v1/ledger/template.xlsx")).status_code == 401  # API: bearer
    r = await client.get("/ledger/template.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(XLSX)
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[0] == "台账"
    assert book["台账"]["A1"].value == "场所编号 (site_id)"


async def test_upload_with_one_bad_row_shows_the_row_error_and_writes_nothing(
    client: Client, actors: Actors
) -> None:
    headers, site = await _producer(client, actors, "ledgerclerk4")
    sid = site["id"]
    content = "\n".join(
        [
            HEADER,
            f"{sid},粉煤灰,2025-01,1000,1000,,,,,,,",
            f"{sid},粉煤灰,2025-02,500,-5,,,505,,,,",  # row 3: negative in-house use
        ]
    ).encode("utf-8")
    token = await csrf_token(client, "/ledger")
    r = await client.post(
        "/ledger/import",
        data={"_csrf_token": token},
        files={"file": ("ledger.csv", content, "text/csv")},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("text/html")
    table = re.search(r'<table class="data compact" id="import-errors">.*?</table>', r.text, re.S)
    assert table, r.text
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table.group(0))
    assert cells[:3] == ["3", "自行利用量", "不能为负数（-5）"]
    assert "2 行中有 1 行有误" in r.text
    assert await _ledgers(client, headers) == []  # all rows or none

    good = "\n".join([HEADER, f"{sid},粉煤灰,2025-01,1000,1000,,,,,,,"]).encode("utf-8")
    token = await csrf_token(client, "/ledger")
    ok = await client.post(
        "/ledger/import",
        data={"_csrf_token": token},
        files={"file": ("ledger.csv", good, "text/csv")},
    )
    assert ok.status_code == 200, ok.text
    assert "已导入 1 行" in ok.text
    assert [x["month"] for x in await _ledgers(client, headers)] == ["2025-01"]


async def test_upload_lists_the_importers_capped_errors_with_the_count(
    client: Client, actors: Actors
) -> None:
    _, site = await _producer(client, actors, "ledgerclerk5")
    rows = [f"{site['id']},粉煤灰,2024-{m:02d},abc,,,,,,,," for m in range(1, 13)]
    rows += [f"{site['id']},粉煤灰,{y}-01,abc,,,,,,,," for y in range(2000, 2200)]
    content = "\n".join([HEADER, *rows]).encode("utf-8")
    token = await csrf_token(client, "/ledger")
    r = await client.post(
        "/ledger/import",
        data={"_csrf_token": token},
        files={"file": ("ledger.csv", content, "text/csv")},
    )
    assert r.status_code == 422, r.text
    table = re.search(r'id="import-errors">.*?</table>', r.text, re.S)
    assert table
    assert table.group(0).count("<tr><td") == 200  # the importer lists the first 200
    assert "下表列出前 200 处" in r.text


async def test_month_pages_need_a_login_and_a_real_month(client: Client, actors: Actors) -> None:
    r = await client.get("/ledger/2025/3", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")
    await _producer(client, actors, "ledgerclerk6")
    bad = await client.get("/ledger/2025/13")
    assert bad.status_code == 404
    assert bad.headers["content-type"].startswith("text/html")
    assert "没有这个月份" in bad.text
    future = await client.get("/ledger/2099/1")
    assert future.status_code == 404 and "尚未开始" in future.text
