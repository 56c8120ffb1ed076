"""The material catalogue over HTTP: browse, crosswalk search, admin corrections."""

from __future__ import annotations

import asyncio

from tests.conftest import Actors, assert_problem
from tests.geo.test_regions_import_and_geocode import platform_admin


async def test_materials_and_crosswalk_search(client, actors: Actors) -> None:
    headers = await actors.user()
    all_ = (await client.get("/api/v1/materials", headers=headers)).json()["items"]
    codes = {m["code"] for m in all_}
    assert {
        "phosphogypsum",
        "fly_ash",
        "ggbs",
        "battery_lfp",
        "battery_lead_acid",
        "waste_mineral_oil",
    } <= codes
    # EU List of Waste → Chinese code, and back
    url = "/api/v1/materials"
    by_eu = (await client.get(url, params={"q": "100102"}, headers=headers)).json()["items"]
    assert [m["code"] for m in by_eu] == ["fly_ash"] and by_eu[0]["cn_code"] == "SW02"
    by_cn = (await client.get(url, params={"q": "SW10"}, headers=headers)).json()["items"]
    assert [m["code"] for m in by_cn] == ["phosphogypsum"] and by_cn[0]["eu_code"] == "06 09 04"
    by_name = (await client.get(url, params={"q": "磷石膏"}, headers=headers)).json()["items"]
    assert by_name[0]["code"] == "phosphogypsum"
    lead = next(m for m in all_ if m["code"] == "battery_lead_acid")
    assert lead["hazardous"] is True and lead["hazard_code"] == "HW31"


async def test_material_detail_has_parameters_and_sourced_grades(client, actors: Actors) -> None:
    headers = await actors.user()
    fly = (await client.get("/api/v1/materials/fly_ash", headers=headers)).json()
    residue = next(p for p in fly["parameters"] if p["key"] == "residue_45um_pct")
    assert residue["unit"] == "%" and residue["valid_min"] == "0" and residue["valid_max"] == "100"
    f1 = next(g for g in fly["grades"] if g["key"] == "gbt1596_f_i_concrete")
    limit = next(lim for lim in f1["limits"] if lim["parameter"] == "residue_45um_pct")
    assert limit == {
        "parameter": "residue_45um_pct",
        "min": None,
        "max": "12",
        "source": limit["source"],
        "confirmed": True,
    }
    so3 = next(lim for lim in f1["limits"] if lim["parameter"] == "so3_pct")
    assert so3["confirmed"] is False and f1["confirmed"] is False
    assert_problem(
        await client.get("/api/v1/materials/unobtainium", headers=headers), 404, "unobtainium"
    )
    assert_problem(await client.get("/api/v1/materials"), 401)


async def test_admin_corrects_an_unconfirmed_limit(
    client, actors: Actors, mutable_catalogue
) -> None:
    settings = mutable_catalogue
    admin = await platform_admin(settings, actors)
    url = "/api/v1/materials/fly_ash/grades/gbt1596_f_i_concrete/limits/so3_pct"
    r = await client.put(
        url,
        headers=admin,
        json={"max": "3.0", "source": "GB/T 1596-2017 表1（核对原文）", "confirmed": True},
    )
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] is True and r.json()["max"] == "3"
    fly = (await client.get("/api/v1/materials/fly_ash", headers=admin)).json()
    f1 = next(g for g in fly["grades"] if g["key"] == "gbt1596_f_i_concrete")
    assert next(lim for lim in f1["limits"] if lim["parameter"] == "so3_pct")["confirmed"] is True
    user = await actors.user()
    assert_problem(
        await client.put(url, headers=user, json={"max": "3", "source": "x"}),
        403,
        "platform administrator",
    )
    assert_problem(
        await client.put(url, headers=admin, json={"max": "300", "source": "x"}),
        422,
        "so3_pct",
        "valid range",
    )
    assert_problem(await client.put(url, headers=admin, json={"source": "x"}), 422, "min")
    assert_problem(
        await client.put(url, headers=admin, json={"min": "5", "max": "1", "source": "x"}),
        422,
        "greater than max",
    )
    assert_problem(await client.put(url, headers=admin, json={"max": "3"}), 422, "source")
    bad = "/api/v1/materials/fly_ash/grades/no_such_grade/limits/so3_pct"
    assert_problem(
        await client.put(bad, headers=admin, json={"max": "3", "source": "x"}), 404, "no_such_grade"
    )
    bad = "/api/v1/materials/fly_ash/grades/gbt1596_f_i_concrete/limits/colour"
    assert_problem(
        await client.put(bad, headers=admin, json={"max": "3", "source": "x"}), 422, "colour"
    )
    r = await client.patch(
        "/api/v1/materials/fly_ash", headers=admin, json={"cn_code_confirmed": True}
    )
    assert r.status_code == 200 and r.json()["cn_code_confirmed"] is True
    assert_problem(
        await client.patch("/api/v1/materials/fly_ash", headers=user, json={"name_en": "x"}), 403
    )
    assert_problem(
        await client.patch("/api/v1/materials/fly_ash", headers=admin, json={"name_zh": ""}),
        422,
        "name_zh",
    )


async def test_cli_sets_a_limit(mutable_catalogue, monkeypatch) -> None:
    from click.testing import CliRunner

    from market.cli import main as cli

    monkeypatch.setenv("MARKET_DATABASE_URL", mutable_catalogue.database_url)
    runner = CliRunner()
    args = [
        "catalogue",
        "set-limit",
        "ggbs",
        "gbt18046_s105",
        "activity_7d_pct",
        "--min",
        "95",
        "--source",
        "GB/T 18046-2017 表1",
        "--confirmed",
    ]
    result = await asyncio.to_thread(runner.invoke, cli, args)
    assert result.exit_code == 0, result.output
    assert "min=95" in result.output and "confirmed" in result.output
    bad = await asyncio.to_thread(
        runner.invoke,
        cli,
        [
            "catalogue",
            "set-limit",
            "ggbs",
            "gbt18046_s105",
            "activity_7d_pct",
            "--min",
            "abc",
            "--source",
            "x",
        ],
    )
    assert bad.exit_code != 0 and "decimal" in bad.output
    unknown = await asyncio.to_thread(
        runner.invoke,
        cli,
        [
            "catalogue",
            "set-limit",
            "ggbs",
            "nope",
            "activity_7d_pct",
            "--min",
            "1",
            "--source",
            "x",
        ],
    )
    assert unknown.exit_code != 0 and "nope" in unknown.output
