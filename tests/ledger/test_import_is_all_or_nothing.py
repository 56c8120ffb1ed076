"""Bulk ledger import (CSV, Excel, CLI): Chinese headers, all-or-nothing, idempotent."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from market.cli import main as cli
from market.core.settings import Settings
from tests.conftest import Actors, assert_problem

URL = "/api/v1/ledger/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZH_HEADER = "场所编号,固废种类,月份,产生量（吨）,自行利用量,平台外委托利用量,利用往年贮存量,贮存量,处置量,处置往年贮存量,倾倒丢弃量,备注"


def zh_csv(*rows: str) -> str:
    return "\n".join([ZH_HEADER, *rows]) + "\n"


def good_rows(site_id: int) -> list[str]:
    # 1000 = (300 + 100 − 50) + 600 + (80 − 30) + 0 ; 500 = 500 in-house.
    return [
        f"{site_id},磷石膏,2025-01,1000,300,100,50,600,80,30,0,一月",
        f"{site_id},fly_ash,2025年2月,500,500,,,,,,,",
    ]


async def ledgers(client, headers: dict[str, str]) -> list[dict[str, Any]]:
    return list((await client.get("/api/v1/ledger", headers=headers)).json()["items"])


async def upload(client, headers: dict[str, str], content: bytes, name: str = "ledger.csv") -> Any:
    return await client.post(URL, headers=headers, files={"file": (name, content)})


async def test_csv_with_chinese_headers_in_gb18030_and_reimport_is_idempotent(
    client, actors: Actors
) -> None:
    headers, _, site = await actors.producer()
    content = zh_csv(*good_rows(site["id"])).encode("gb18030")
    r = await upload(client, headers, content)
    assert r.status_code == 201, r.text
    assert r.json() == {"rows": 2, "created": 2, "replaced": 0}
    first = await ledgers(client, headers)
    again = await upload(client, headers, content)
    assert again.json() == {"rows": 2, "created": 0, "replaced": 2}
    second = await ledgers(client, headers)
    assert [(x["id"], x["generated_t"]) for x in second] == [
        (x["id"], x["generated_t"]) for x in first
    ]
    by_month = {x["month"]: x for x in second}
    assert by_month["2025-01"]["utilised_t"] == "400.000" and by_month["2025-01"]["note"] == "一月"
    assert by_month["2025-02"]["material_code"] == "fly_ash"


async def test_a_corrected_month_replaces_the_old_figures(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    await upload(client, headers, zh_csv(*good_rows(site["id"])).encode())
    fixed = zh_csv(f"{site['id']},fly_ash,2025-02,520,520,,,,,,,")
    r = await client.post(URL, headers={**headers, "content-type": "text/csv"}, content=fixed)
    assert r.status_code == 201 and r.json()["replaced"] == 1, r.text
    by_month = {x["month"]: x for x in await ledgers(client, headers)}
    assert by_month["2025-02"]["generated_t"] == "520.000"
    assert by_month["2025-01"]["generated_t"] == "1000.000"


async def test_bad_rows_are_reported_by_row_and_nothing_is_imported(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    sid = site["id"]
    stranger_headers, _, stranger_site = await actors.producer()
    content = zh_csv(
        *good_rows(sid),  # rows 2 and 3 are fine
        f"{sid},磷石膏,2025-03,-5,,,,,,,,",  # 4: negative
        f"{sid},磷石膏,2999-01,10,10,,,,,,,",  # 5: future month
        "987654,磷石膏,2025-03,10,10,,,,,,,",  # 6: unknown site
        f"{sid},磷石膏,2025-04,100,10,,,,,,,",  # 7: does not add up (90 t missing)
        f"{sid},unobtainium,2025-04,1,1,,,,,,,",  # 8: unknown material
        f"{sid},磷石膏,2025-01,1000,300,100,50,600,80,30,0,",  # 9: duplicates row 2
        f"{stranger_site['id']},磷石膏,2025-03,1,1,,,,,,,",  # 10: someone else's site
        f"{sid},磷石膏,March,1,abc,,,,,,,",  # 11: bad month and number
    ).encode()
    r = await upload(client, headers, content)
    problem = assert_problem(r, 422, "nothing was imported", "of 10 rows are invalid")
    errors = {(e["row"], e["field"]): e["reason"] for e in problem["errors"]}
    assert "must not be negative" in errors[("4", "generated_t")]
    assert "in the future" in errors[("5", "month")]
    assert "does not exist" in errors[("6", "site_id")]
    assert "difference 90.000 t" in errors[("7", "balance")]
    assert "unknown material" in errors[("8", "material_code")]
    assert "duplicates row 2" in errors[("9", "month")]
    assert "not a member" in errors[("10", "site_id")]
    assert "not a month" in errors[("11", "month")]
    assert "not a number" in errors[("11", "used_inhouse_t")]
    assert not {row for row, _ in errors} & {"2", "3"}
    assert await ledgers(client, headers) == []
    assert await ledgers(client, stranger_headers) == []


async def test_bad_files(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    missing = "场所编号,固废种类,月份,颜色\n1,磷石膏,2025-01,红\n".encode()
    problem = assert_problem(await upload(client, headers, missing), 422, "header row")
    fields = {(e["row"], e["field"]) for e in problem["errors"]}
    assert ("1", "颜色") in fields and ("1", "generated_t") in fields
    assert_problem(await upload(client, headers, b""), 422, "file", "empty")
    assert_problem(await upload(client, headers, ZH_HEADER.encode()), 422, "no ledger rows")
    assert_problem(
        await upload(client, headers, b"PK\x03\x04not really a zip", "x.xlsx"),
        422,
        "not a readable .xlsx",
    )
    assert_problem(await upload(client, headers, b"\xff\xfe\x00\xd8\x00"), 422, "UTF-8 or GB18030")
    r = await client.post(
        URL, headers={**headers, "content-type": "application/json"}, content=b"{}"
    )
    assert_problem(r, 422, "unsupported content type")
    r = await client.post(URL, headers=headers, files={"other": ("a.csv", b"x")})
    assert_problem(r, 422, "multipart field named 'file'")
    assert_problem(await upload(client, {}, zh_csv(*good_rows(site["id"])).encode()), 401)


async def test_template_round_trip_through_excel(client, actors: Actors) -> None:
    headers, _, site = await actors.producer()
    r = await client.get("/api/v1/ledger/template.xlsx", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    assert "ledger_template.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["台账"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "场所编号 (site_id)" and "产生量 (generated_t)" in header
    sites = list(book["场所 sites"].iter_rows(min_row=2, values_only=True))
    assert sites[0][0] == site["id"]
    assert any(
        row[0] == "phosphogypsum" for row in book["物料 materials"].iter_rows(values_only=True)
    )
    column = {h.split(" (")[1].rstrip(")"): i for i, h in enumerate(header)}
    row: list[Any] = [None] * len(header)
    row[column["site_id"]] = site["id"]
    row[column["material_code"]] = "磷石膏"
    row[column["month"]] = "2025-05"
    row[column["generated_t"]] = 1234.5
    row[column["used_inhouse_t"]] = 234.5
    row[column["stored_t"]] = 1000
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    r = await upload(client, headers, out.getvalue(), "台账.xlsx")
    assert r.status_code == 201 and r.json()["created"] == 1, r.text
    (ledger,) = await ledgers(client, headers)
    assert ledger["generated_t"] == "1234.500" and ledger["month"] == "2025-05"
    assert_problem(await client.get("/api/v1/ledger/template.xlsx"), 401)


async def test_xlsx_with_date_cells_and_english_headers(client, actors: Actors) -> None:
    from datetime import date

    headers, _, site = await actors.producer()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["site_id", "material_code", "month", "generated_t", "used_inhouse_t"])
    sheet.append([site["id"], "fly_ash", date(2025, 7, 1), 12.345, 12.345])
    sheet.append([])  # blank rows are skipped
    out = io.BytesIO()
    book.save(out)
    r = await client.post(URL, headers={**headers, "content-type": XLSX}, content=out.getvalue())
    assert r.status_code == 201, r.text
    assert (await ledgers(client, headers))[0]["used_inhouse_t"] == "12.345"


async def test_cli_import_with_progress(
    client, actors: Actors, settings: Settings, tmp_path
) -> None:
    headers, _, site = await actors.producer()
    me = (await client.get("/api/v1/me", headers=headers)).json()
    good = tmp_path / "ledger.csv"
    good.write_text(zh_csv(*good_rows(site["id"])), encoding="utf-8")
    runner = CliRunner()
    env = {"MARKET_DATABASE_URL": settings.database_url}
    result = await asyncio.to_thread(
        runner.invoke, cli, ["ledger", "import", str(good), "--as", me["email"]], env=env
    )
    assert result.exit_code == 0, result.output
    assert "checking rows" in result.output
    assert "imported 2 ledger rows (2 new, 0 replaced)" in result.output
    assert {x["reported_by_user_id"] for x in await ledgers(client, headers)} == {me["id"]}
    bad = tmp_path / "bad.csv"
    bad.write_text(zh_csv(f"{site['id']},磷石膏,2025-03,-5,,,,,,,,"), encoding="utf-8")
    result = await asyncio.to_thread(runner.invoke, cli, ["ledger", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert "row 2: generated_t: must not be negative" in result.output
    assert "nothing was imported" in result.output
