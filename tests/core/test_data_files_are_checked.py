"""The data-file loaders refuse bad files with a message naming the file and the entry.

Each case copies the shipped data files into a temporary directory, breaks one thing and
checks that loading fails with a message pointing at that entry (not just "invalid").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geodata.datafiles import DATA_DIR as GEODATA_DIR
from geodata.datafiles import DataFileError
from geodata.districts import DISTRICTS, load_districts
from geodata.places import PLACES, load_places
from geodata.regions import load_schematic_tables
from market.catalogue.seed import DATA_DIR, MATERIALS, CatalogueDataError, load_catalogue
from market.demo.roster import DATA_DIR as DEMO_DIR
from market.demo.roster import ROSTER, DemoDataError, load_roster


def _copy(src: object, dst: Path) -> Path:
    shutil.copytree(str(src), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test fixture out of date: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- catalogue -------------------------------------------------------------------------


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    return _copy(DATA_DIR, tmp_path / "catalogue")


def test_catalogue_copy_loads_like_the_package(catalogue_dir: Path) -> None:
    assert load_catalogue(catalogue_dir).materials == MATERIALS


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        pytest.param(
            "materials.toml",
            'battery = false\ntypical_uses = ["gypsum_retarder", "building_gypsum", "road_base"',
            'battery = false\ncolour = "white"\n'
            'typical_uses = ["gypsum_retarder", "building_gypsum", "road_base"',
            "materials.toml: material 'phosphogypsum': colour: Extra inputs are not permitted",
            id="unknown-key",
        ),
        pytest.param(
            "grades.toml",
            '{ parameter = "i_gamma", max = 2.8,',
            '{ parameter = "i_gamma_x", max = 2.8,',
            "grades.toml: grade 'gb6566_decoration_c': limit on unknown parameter 'i_gamma_x'",
            id="limit-on-unknown-parameter",
        ),
        pytest.param(
            "materials.toml",
            'parameters = ["caso4_2h2o_pct", "free_water_pct", "ph", "chloride_pct", "i_ra", ',
            'parameters = ["caso4_2h2o_pct", "free_water_pct", "ph", "chloride_pct", ',
            "materials.toml: material 'fgd_gypsum': grade 'gb6566_main_building' "
            "(set 'gb6566') limits 'i_ra'",
            id="limit-on-parameter-the-material-lacks",
        ),
        pytest.param(
            "materials.toml",
            "[red_mud]",
            "[fly_ash]",
            "materials.toml: not valid TOML: Cannot declare ('fly_ash',) twice",
            id="duplicate-code",
        ),
        pytest.param(
            "grades.toml",
            '{ parameter = "density_g_cm3", min = 2.8,',
            '{ parameter = "density_g_cm3", min = 2.8, max = 2.5,',
            "grades.toml: grade 'gbt18046_s105': limit on 'density_g_cm3': min 2.8 > max 2.5",
            id="min-above-max",
        ),
        pytest.param(
            "grades.toml",
            '{ parameter = "i_gamma", max = 2.8, source = "DOMAIN.md §1 (GB 6566-2010)", ',
            '{ parameter = "i_gamma", max = 2.8, ',
            "grades.toml: grade 'gb6566_decoration_c': limits 'i_gamma': source: Field required",
            id="missing-source",
        ),
        pytest.param(
            "grades.toml",
            '{ parameter = "i_gamma", max = 2.8,',
            '{ parameter = "i_gamma", max = 12,',
            "grades.toml: grade 'gb6566_decoration_c': limit on 'i_gamma': 12 outside",
            id="bound-outside-valid-range",
        ),
        pytest.param(
            "parameters.toml",
            'ph = { name_zh = "pH值", name_en = "pH", unit = "—", valid_min = 0, valid_max = 14 }',
            'ph = { name_zh = "pH值", name_en = "pH", unit = "—", valid_min = 0, valid_max = "14" }',
            "parameters.toml: parameter 'ph': valid_max: Value error, must be a number",
            id="number-as-text",
        ),
        pytest.param(
            "parameters.toml",
            "valid_min = 0, valid_max = 14 }",
            "valid_min = 14, valid_max = 0 }",
            "parameters.toml: parameter 'ph': valid_min 14 must be below valid_max 0",
            id="valid-range-reversed",
        ),
        pytest.param(
            "materials.toml",
            'typical_uses = ["regeneration", "fuel"]\nparameters = ["impurity_pct", "moisture_pct"]',
            'typical_uses = ["regeneration", "fule"]\nparameters = ["impurity_pct", "moisture_pct"]',
            "materials.toml: material 'waste_plastics': typical_uses: unknown 'fule'",
            id="unknown-use",
        ),
        pytest.param(
            "materials.toml",
            'hazard_code = "HW08"\n',
            "",
            "materials.toml: material 'waste_mineral_oil': hazard_code must be given",
            id="hazardous-without-code",
        ),
    ],
)
def test_bad_catalogue_refused(
    catalogue_dir: Path, file: str, old: str, new: str, expected: str
) -> None:
    _edit(catalogue_dir / file, old, new)
    with pytest.raises(CatalogueDataError) as info:
        load_catalogue(catalogue_dir)
    assert expected in str(info.value)
    assert str(catalogue_dir / file) in str(info.value)


def test_missing_catalogue_file_named(catalogue_dir: Path) -> None:
    (catalogue_dir / "uses.toml").unlink()
    with pytest.raises(CatalogueDataError, match=r"uses\.toml: file missing"):
        load_catalogue(catalogue_dir)


# --- geodata ---------------------------------------------------------------------------


@pytest.fixture
def geodata_dir(tmp_path: Path) -> Path:
    return _copy(GEODATA_DIR, tmp_path / "geodata")


def test_geodata_copy_loads_like_the_package(geodata_dir: Path) -> None:
    districts = load_districts(geodata_dir / "districts.csv")
    assert districts == DISTRICTS
    assert load_places(geodata_dir / "places.csv", districts) == PLACES


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "420804,掇刀区,Duodao District,112.1984,",
            "420802,掇刀区,Duodao District,112.1984,",
            "districts.csv: line 8 (420802): duplicate code",
            id="duplicate-code",
        ),
        pytest.param(
            "420822,沙洋县,Shayang County,112.5952,30.7036,",
            "420822,沙洋县,Shayang County,1125.952,30.7036,",
            "districts.csv: line 9 (420822): point (1125.952, 30.7036) is outside China",
            id="point-outside-china",
        ),
        pytest.param(
            "code,name_zh,name_en,lon,lat,precision_km,aliases",
            "code,name_zh,name_en,lon,lat,aliases",
            "districts.csv: line 6: header must be code,name_zh,",
            id="wrong-header",
        ),
        pytest.param(
            "420881,钟祥市,Zhongxiang,112.5873,31.1656,1.0,",
            "420881,钟祥市,Zhongxiang,112.5873,31.1656,-1,",
            "districts.csv: line 10 (420881): precision_km must be a positive number",
            id="negative-precision",
        ),
    ],
)
def test_bad_districts_refused(geodata_dir: Path, old: str, new: str, expected: str) -> None:
    path = geodata_dir / "districts.csv"
    _edit(path, old, new)
    with pytest.raises(DataFileError) as info:
        load_districts(path)
    assert str(geodata_dir) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "T-MACHENG,town,",
            "T-MACHENG,village,",
            "(T-MACHENG): kind must be one of city, park, town, zone, got 'village'",
            id="unknown-kind",
        ),
        pytest.param(
            "T-HOUGANG,town,后港镇,Hougang Town,112.385,30.6,420822,420822,",
            "T-HOUGANG,town,后港镇,Hougang Town,112.385,30.6,420822,420899,",
            "(T-HOUGANG): unknown district_code '420899'",
            id="unknown-district",
        ),
        pytest.param(
            "T-SHAYANG,town,沙洋镇,Shayang Town,112.59,30.705,420822,",
            "T-SHAYANG,town,沙洋镇,Shayang Town,112.59,30.705,420823,",
            "(T-SHAYANG): unknown parent '420823'",
            id="unknown-parent",
        ),
        pytest.param(
            "T-SONGHE,town,宋河镇,Songhe Town,113.07,",
            "T-SONGHE,town,宋河镇,Songhe Town,east,",
            "(T-SONGHE): lon is not a number: 'east'",
            id="not-a-number",
        ),
        pytest.param(
            "T-XINSHI,town,",
            "420882,town,",
            "(420882): districts belong in districts.csv",
            id="district-repeated",
        ),
    ],
)
def test_bad_places_refused(geodata_dir: Path, old: str, new: str, expected: str) -> None:
    path = geodata_dir / "places.csv"
    _edit(path, old, new)
    with pytest.raises(DataFileError) as info:
        load_places(path, DISTRICTS)
    assert f"{path}: line " in str(info.value)
    assert expected in str(info.value)


def test_bad_schematic_refused(geodata_dir: Path) -> None:
    path = geodata_dir / "schematic.toml"
    assert load_schematic_tables(path)[2]["P-JMCIRC"] == 2.5
    _edit(path, "P-SYCHEM = 2.0\n", "")
    with pytest.raises(DataFileError, match=r"schematic\.toml: park_radius_km must name"):
        load_schematic_tables(path)


# --- demo roster -----------------------------------------------------------------------


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    return _copy(DEMO_DIR, tmp_path / "demo")


def test_demo_copy_loads_like_the_package(demo_dir: Path) -> None:
    assert load_roster(demo_dir) == ROSTER


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        pytest.param(
            "roster.toml",
            'key = "dongbao_coal"\nname = "荆门仙居煤业有限公司"\nkind = "producer"\n'
            'district = "420802"',
            'key = "dongbao_coal"\nname = "荆门仙居煤业有限公司"\nkind = "producer"\n'
            'district = "420809"',
            "roster.toml: org 'dongbao_coal': unknown district '420809'",
            id="unknown-district",
        ),
        pytest.param(
            "roster.toml",
            'anchor = "huji", dlon = -0.02',
            'anchor = "hujii", dlon = -0.02',
            "roster.toml: org 'huji_phos_a' site 'stack': unknown anchor 'hujii'",
            id="unknown-anchor",
        ),
        pytest.param(
            "roster.toml",
            'key = "carrier"\n',
            'key = "carrier"\nfleet = 12\n',
            "roster.toml: org 'carrier': fleet: Extra inputs are not permitted",
            id="unknown-key",
        ),
        pytest.param(
            "roster.toml",
            'key = "rmc_duodao"',
            'key = "rmc_dongbao"',
            "roster.toml: org 'rmc_dongbao' written twice",
            id="duplicate-org",
        ),
        pytest.param(
            "roster.toml",
            'permits = [{ kind = "HW08", valid_until = 2028-03-31 }]',
            'permits = [{ kind = "HW8", valid_until = 2028-03-31 }]',
            "roster.toml: org 'oil_recycler': permits 'HW8': kind: String should match",
            id="bad-permit",
        ),
        pytest.param(
            "streams.toml",
            '{ site = "huji_mining_mill", material = "tailings", listings = 4 }',
            '{ site = "huji_mining_mil", material = "tailings", listings = 4 }',
            "streams.toml: supply 7 (huji_mining_mil, tailings): unknown site 'huji_mining_mil'",
            id="unknown-site",
        ),
        pytest.param(
            "streams.toml",
            'material = "coal_gangue", use = "fuel", demands = 1',
            'material = "coal_gangue", use = "smelting", demands = 1',
            "(jingmen_power_plant, coal_gangue): use 'smelting' is not a typical use of "
            "'coal_gangue'",
            id="use-not-typical",
        ),
        pytest.param(
            "streams.toml",
            'grade = "gbt18046_s75", demands = 1',
            'grade = "gbt18046_s70", demands = 1',
            "streams.toml: demand 7 (zhongxiang_cement_plant, ggbs): 'ggbs' has no grade "
            "'gbt18046_s70'",
            id="unknown-grade",
        ),
        pytest.param(
            "market.toml",
            "fgd_gypsum = { range = [10, 60], step = 1 }",
            "fgd_gypsum = { range = [60, 10], step = 1 }",
            "market.toml: listing_price_cny_t.fgd_gypsum: low 60 > high 10",
            id="low-above-high",
        ),
    ],
)
def test_bad_demo_roster_refused(
    demo_dir: Path, file: str, old: str, new: str, expected: str
) -> None:
    _edit(demo_dir / file, old, new)
    with pytest.raises(DemoDataError) as info:
        load_roster(demo_dir)
    assert str(demo_dir / file) in str(info.value)
    assert expected in str(info.value)
