"""The traceability report against a hand-worked story, the overdue list (15 working days,
Mon–Fri), reporting, and packs imported from CSV and Excel, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from market.batteries import trace
from market.core.settings import Settings
from tests.batteries.helpers import API, Batteries, code, pack, vin
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import in_db, sql


@pytest.fixture
def market(client: Any, actors: Actors) -> Batteries:
    return Batteries(client, actors)


def test_working_days() -> None:
    # Monday 2 November 2026 + 15 working days = Monday 23 November (weekends skipped).
    assert trace.add_working_days(date(2026, 11, 2), 15) == date(2026, 11, 23)
    # Friday 13 November + 15 = Friday 4 December.
    assert trace.add_working_days(date(2026, 11, 13), 15) == date(2026, 12, 4)
    assert trace.working_days_between(date(2026, 11, 23), date(2026, 12, 3)) == 8


async def _sell_and_ship(
    market: Batteries, seller: Any, buyer: Any, serials: list[int], received: list[int], **lot: Any
) -> int:
    listing = await market.lot(seller, **lot)
    await market.ok_add(listing["id"], seller, [pack(s) for s in serials])
    deal = await market.ok_buy(listing["id"], buyer, quantity_t=listing["quantity_t"])
    load = await market.ok_ship(deal["id"], seller, dispatched_t="0.380")
    r = await market.ship_packs(load["id"], seller, [code(s) for s in serials])
    assert r.status_code == 200, r.text
    r = await market.receive_packs(load["id"], buyer, [code(s) for s in received])
    assert r.status_code == 200, r.text
    return int(load["id"])


async def test_the_trace_export_tells_the_story(market: Batteries, settings: Settings) -> None:
    producer = await market.seller()
    first = await market.recycler(settings)
    second = await market.recycler(settings)
    # Leg 1: the producer's packs 1, 2, 3 go to the first recycler; 2 does not arrive.
    leg1 = await _sell_and_ship(market, producer, first, [1, 2, 3], [1, 3])
    # Leg 2: the first recycler sells pack 1 on to the second.
    leg2 = await _sell_and_ship(
        market, first, second, [1], [1], site_id=first.site["id"], quantity_t="0.38"
    )
    regulator = await market.regulator(settings)
    today = trace.china_date(datetime.now(UTC)).isoformat()
    r = await market.client.get(
        f"{API}/stats/battery-trace?from={today}&to={today}", headers=regulator
    )
    assert r.status_code == 200, r.text
    got = [
        (i["pack_code"], i["sender_uscc"], i["receiver_uscc"], i["status"], i["shipment_id"])
        for i in r.json()["items"]
    ]
    p, a, b = (x.org["uscc"] for x in (producer, first, second))
    assert got == [
        (code(1), p, a, "received", leg1),
        (code(2), p, a, "missing", leg1),
        (code(3), p, a, "received", leg1),
        (code(1), a, b, "received", leg2),
    ]
    row = r.json()["items"][0]
    assert row["vin"] == vin(1) and row["battery_type"] == "B LFP"
    assert row["outbound_date"] == today and row["received_date"] == today
    assert row["sender_name"] == producer.org["name"]
    assert r.json()["items"][1]["received_date"] is None
    # The same rows as CSV (UTF-8 with BOM, Chinese headers) and as Excel.
    c = await market.client.get(
        f"{API}/stats/battery-trace.csv?from={today}&to={today}", headers=regulator
    )
    assert c.status_code == 200 and c.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert (
        lines[0][0] == "电池编码 pack_code" and "接收企业统一社会信用代码 receiver_uscc" in lines[0]
    )
    assert [(ln[0], ln[8], ln[10]) for ln in lines[1:]] == [
        (code(1), a, "received"),
        (code(2), a, "missing"),
        (code(3), a, "received"),
        (code(1), b, "received"),
    ]
    x = await market.client.get(
        f"{API}/stats/battery-trace.xlsx?from={today}&to={today}", headers=regulator
    )
    assert x.status_code == 200, x.text
    sheet = load_workbook(io.BytesIO(x.content), read_only=True)["battery_trace"]
    cells = [list(rw) for rw in sheet.iter_rows(values_only=True)]
    assert [rw[0] for rw in cells[1:]] == [code(1), code(2), code(3), code(1)]
    # Pack 1's own chain: the producer, then the first recycler, then the second.
    h = await market.client.get(f"{API}/battery-packs/{code(1)}/events", headers=second.headers)
    assert h.status_code == 200, h.text
    steps = [(e["kind"], e["from_uscc"], e["to_uscc"]) for e in h.json()["events"]]
    assert steps == [
        ("listed", p, p),
        ("sold", p, a),
        ("shipped", p, a),
        ("received", p, a),
        ("listed", a, a),
        ("sold", a, b),
        ("shipped", a, b),
        ("received", a, b),
    ]
    assert h.json()["pack"]["holder_org_id"] == second.org_id
    stranger = await market.buyer()
    r = await market.client.get(f"{API}/battery-packs/{code(1)}/events", headers=stranger.headers)
    assert r.status_code == 404
    # The first buyer sees the packs it bought in the producer's closed lot.
    deals = (await market.get("/deals", first)).json()["items"]
    bought = [d["listing_id"] for d in deals if d["buyer"]["id"] == first.org_id]
    seen = (await market.get(f"/listings/{bought[0]}/packs", first)).json()
    # Pack 1 has been sold on in a deal of its own since (its history keeps the first).
    assert [(i["code"], i["status"]) for i in seen["items"]] == [
        (code(2), "missing"),
        (code(3), "received"),
    ]
    # Another day has none; a producer may not read the report.
    r = await market.client.get(
        f"{API}/stats/battery-trace?from=2026-01-01&to=2026-01-31", headers=regulator
    )
    assert r.json()["total"] == 0
    r = await market.client.get(
        f"{API}/stats/battery-trace?from={today}&to={today}", headers=producer.headers
    )
    assert r.status_code == 403
    bad = await market.client.get(
        f"{API}/stats/battery-trace?from={today}&to=2020-01-01", headers=regulator
    )
    assert_problem(bad, 422, "before from")


async def test_packs_overdue_for_reporting(market: Batteries, settings: Settings) -> None:
    producer = await market.seller()
    buyer = await market.recycler(settings)
    await _sell_and_ship(market, producer, buyer, [1, 2, 3], [1, 2, 3])
    # Move the receipts back: pack 1 on Mon 2 Nov (due 23 Nov), pack 2 on Fri 13 Nov (due
    # 4 Dec), pack 3 on Mon 2 Nov but reported.
    for serial, at in (
        (1, "2026-11-02 02:00:00"),
        (2, "2026-11-13 02:00:00"),
        (3, "2026-11-02 02:00:00"),
    ):
        await sql(
            settings,
            "UPDATE battery_pack_events SET at = :at WHERE kind = 'received' AND pack_id = "
            "(SELECT id FROM battery_packs WHERE code = :code)",
            at=datetime.fromisoformat(at + "+00:00"),
            code=code(serial),
        )
    r = await market.client.post(
        f"{API}/battery-packs/reported", headers=buyer.headers, json={"codes": [code(3)]}
    )
    assert r.status_code == 200 and r.json() == {"reported": 1}, r.text
    again = await market.client.post(
        f"{API}/battery-packs/reported", headers=buyer.headers, json={"codes": [code(3)]}
    )
    assert_problem(again, 422, "no unreported receipt")
    assert_problem(
        await market.client.post(
            f"{API}/battery-packs/reported", headers=producer.headers, json={"codes": [code(1)]}
        ),
        422,
    )

    async def on_3_december(session: AsyncSession) -> list[trace.OverdueRow]:
        return await trace.overdue(session, datetime(2026, 12, 3, 4, tzinfo=UTC))

    rows = await in_db(settings, on_3_december)
    assert [(r.pack_code, r.due_date, r.working_days_late) for r in rows] == [
        (code(1), date(2026, 11, 23), 8)
    ]
    assert rows[0].holder_uscc == buyer.org["uscc"]
    regulator = await market.regulator(settings)
    r = await market.client.get(f"{API}/stats/battery-trace/overdue", headers=regulator)
    assert r.status_code == 200, r.text
    assert code(1) in [i["pack_code"] for i in r.json()["items"]]
    assert code(3) not in [i["pack_code"] for i in r.json()["items"]]
    forbidden = await market.client.get(f"{API}/stats/battery-trace/overdue", headers=buyer.headers)
    assert forbidden.status_code == 403


async def test_packs_are_imported_from_csv_and_excel(market: Batteries) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    url = f"{API}/listings/{lot['id']}/packs/import"
    text = (
        "电池编码,化学体系,额定能量kWh,健康状态%,质量kg,车辆识别代号\n"
        f"{code(1)},LFP,52.5,80,380,{vin(1)}\n"
        f"{code(2)},LFP,52.5,180,380,\n"
        f"{code(3)},,52.5,80,380,\n"
    )
    r = await market.client.post(
        url, headers={**seller.headers, "content-type": "text/csv"}, content=text.encode()
    )
    body = assert_problem(r, 422, "2 of 3 packs are invalid")
    assert {(e["row"], e["field"]) for e in body["errors"]} == {
        ("3", "soh_pct"),
        ("4", "chemistry"),
    }
    template = await market.client.get(f"{API}/battery-packs/template.xlsx", headers=seller.headers)
    assert template.status_code == 200
    header = next(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    sheet.append([code(1), "LFP", 52.5, 80, 380, vin(1)])
    sheet.append([code(2), "lfp", "60.125", 65.5, 410, None])
    out = io.BytesIO()
    book.save(out)
    r = await market.client.post(
        url, headers=seller.headers, files={"file": ("packs.xlsx", out.getvalue())}
    )
    assert r.status_code == 201, r.text
    assert [(p["code"], p["soh_pct"], p["mass_kg"]) for p in r.json()["items"]] == [
        (code(1), "80.0", 380),
        (code(2), "65.5", 410),
    ]
    bogus = await market.client.post(
        url,
        headers={**seller.headers, "content-type": "text/csv"},
        content=b"code,colour\nx,y\n",
    )
    assert_problem(bogus, 422, "not a pack sheet")
