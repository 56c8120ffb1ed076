"""GB/T 34014 pack codes and VINs (pure): valid ones parse into their fields, each kind of
wrong one is refused naming the position or the rule."""

from __future__ import annotations

import pytest

from market.catalogue.pack_codes import (
    CodeError,
    check_chemistry,
    parse_pack_code,
    parse_vin,
    vin_check_digit,
)
from tests.batteries.helpers import code, vin


def test_a_valid_code_is_taken_apart() -> None:
    p = parse_pack_code("abc-PB01 1234567 TC3 0000042")  # case and separators as typed
    assert p.code == "ABCPB011234567TC30000042"
    assert (p.manufacturer, p.product_type, p.battery_type, p.spec) == ("ABC", "P", "B", "01")
    assert (p.trace, p.serial) == ("1234567", "0000042")
    assert (p.month, p.day) == (12, 3)
    assert p.production_year(2026) == 2026  # T in the VIN's year cycle
    assert p.battery_type_name == "LFP"
    check_chemistry(p, "lfp")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("ABCPB011234567TC3000004", "24 characters, not 23"),
        ("ABCPB011234567TC300000422", "24 characters, not 25"),
        ("ABCPB011234567TC3000004*", "not '*'"),
        ("ABCXB011234567TC30000042", "position 4 (product type)"),
        ("ABCPX011234567TC30000042", "position 5 (battery type)"),
        ("ABCPB011234567OC30000042", "position 15 (production year)"),
        ("ABCPB011234567TD30000042", "position 16 (production month)"),
        ("ABCPB011234567TCW0000042", "position 17 (production day)"),
    ],
)
def test_invalid_codes_are_refused_saying_why(raw: str, fragment: str) -> None:
    with pytest.raises(
        CodeError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
    ):
        parse_pack_code(raw)


def test_the_chemistry_must_match_the_battery_type() -> None:
    ncm = parse_pack_code(code(1, kind="E"))
    check_chemistry(ncm, "NCM")
    check_chemistry(ncm, "NCA")
    with pytest.raises(CodeError, match="does not match the chemistry LFP"):
        check_chemistry(ncm, "LFP")
    with pytest.raises(CodeError, match="must be one of"):
        check_chemistry(ncm, "lead")


def test_vin_check_digit() -> None:
    assert parse_vin("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"  # ISO 3779's worked example
    assert vin_check_digit("11111111111111111") == "1"
    assert parse_vin(vin(7))[8] == vin_check_digit(vin(7))
    with pytest.raises(CodeError, match="check digit"):
        parse_vin("1M8GDM9A1KP042788")
    with pytest.raises(CodeError, match="17 characters"):
        parse_vin("1M8GDM9AXKP04278")
    with pytest.raises(CodeError, match="other than I, O and Q"):
        parse_vin("1M8GDM9AXKP04278O")
