"""The import template lists the user's sites; a name typed as a formula stays text."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.conftest import Actors

EVIL = '=HYPERLINK("http://evil.example/steal","点击查看")'


async def test_a_site_named_like_a_formula_is_written_as_text(client, actors: Actors) -> None:
    headers = await actors.user()
    org = await actors.org(headers)
    r = await client.post(
        f"/api/v1/organizations/{org['id']}/sites",
        headers=headers,
        json={"name": EVIL, "address": "+1 荆门市", "lon": 112.2, "lat": 31.03},
    )
    assert r.status_code == 201, r.text
    r = await client.get("/api/v1/ledger/template.xlsx", headers=headers)
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content))["场所 sites"]
    (row,) = sheet.iter_rows(min_row=2)
    name, address = row[1], row[2]
    assert name.data_type == "s" and name.value == "'" + EVIL
    assert address.data_type == "s" and address.value == "'+1 荆门市"
    formulas = [c.coordinate for r_ in sheet.iter_rows() for c in r_ if c.data_type == "f"]
    assert formulas == []
