"""The data-file loaders refuse bad files with a message naming the file and the entry.

Each case copies the shipped data files into a temporary directory, breaks one thing and
checks that loading fails with a message pointing at that entry (not just "invalid").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from market.catalogue.seed import DATA_DIR, MATERIALS, CatalogueDataError, load_catalogue


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
            "grades.toml: grade 'gb6566_decoration_c': limit on 'i_gamma': source: Field required",
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
