"""Tests for the GB 32100 Unified Social Credit Code checks."""

from __future__ import annotations

import pytest

from market.accounts.uscc import (
    ALPHABET,
    WEIGHTS,
    USCCError,
    is_valid_uscc,
    make_uscc,
    normalise_uscc,
    uscc_check_char,
    validate_uscc,
)

#: The example printed in GB 32100-2015 and widely reproduced; it must be accepted.
PUBLISHED_EXAMPLE = "91350100M000100Y43"


def _reference_check(first17: str) -> str:
    """Independent restatement of the check formula with the weights written out."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    c = 31 - total % 31
    return ALPHABET[0 if c == 31 else c]


def test_weights_match_standard() -> None:
    assert list(WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_alphabet_excludes_confusable_letters() -> None:
    assert len(ALPHABET) == 31
    for ch in "IOZSV":
        assert ch not in ALPHABET


def test_published_example_is_valid() -> None:
    assert validate_uscc(PUBLISHED_EXAMPLE) == PUBLISHED_EXAMPLE
    assert uscc_check_char(PUBLISHED_EXAMPLE[:17]) == "3"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        make_uscc("420881", 1),
        make_uscc("420802", 12345),
        make_uscc("420800", 7, registration="1", org_type="1"),
        make_uscc("420882", 99_999_999),
    ],
)
def test_valid_codes(code: str) -> None:
    assert validate_uscc(code) == code
    assert _reference_check(code[:17]) == code[17]


def test_make_uscc_layout_and_determinism() -> None:
    code = make_uscc("420881", 42)
    assert code == make_uscc("420881", 42)
    assert code[:2] == "91"
    assert code[2:8] == "420881"
    assert len(code) == 18
    assert make_uscc("420881", 43) != code


def test_make_uscc_distinct_serials_give_distinct_codes() -> None:
    codes = {make_uscc("420804", n) for n in range(2000)}
    assert len(codes) == 2000


def test_make_uscc_org_code_has_valid_gb11714_check() -> None:
    # Generated codes should be clean under GB 11714 too, even though we don't enforce it.
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    for n in range(200):
        org = make_uscc("420822", n)[8:17]
        c = 11 - sum(int(d) * w for d, w in zip(org[:8], weights, strict=True)) % 11
        assert org[8] == {10: "X", 11: "0"}.get(c, str(c))


def test_position17_org_check_not_enforced() -> None:
    # Change position 17 and recompute position 18: GB 11714 check now wrong, still accepted.
    code = make_uscc("420881", 5)
    first17 = code[:16] + ("1" if code[16] != "1" else "2")
    altered = first17 + uscc_check_char(first17)
    assert validate_uscc(altered) == altered


def test_wrong_check_character() -> None:
    bad = PUBLISHED_EXAMPLE[:17] + "4"
    with pytest.raises(USCCError) as exc:
        validate_uscc(bad)
    assert exc.value.reason == "check character should be '3', got '4'"
    assert not is_valid_uscc(bad)


def test_single_character_typo_detected() -> None:
    code = make_uscc("420881", 321)
    for pos in range(17):
        for ch in ALPHABET:
            if ch == code[pos]:
                continue
            typo = code[:pos] + ch + code[pos + 1 :]
            assert not is_valid_uscc(typo), typo


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_wrong_length(value: str) -> None:
    with pytest.raises(USCCError) as exc:
        validate_uscc(value)
    assert exc.value.reason == "must be 18 characters"


@pytest.mark.parametrize("forbidden", ["I", "O", "Z", "S", "V", "-", "*"])
def test_forbidden_characters(forbidden: str) -> None:
    value = "9135" + forbidden + PUBLISHED_EXAMPLE[5:]
    with pytest.raises(USCCError) as exc:
        validate_uscc(value)
    assert exc.value.reason == f"character {forbidden!r} at position 5 is not allowed"


def test_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        validate_uscc("nonsense")


def test_lower_case_and_whitespace_normalised() -> None:
    assert normalise_uscc("  91350100m000100y43\n") == PUBLISHED_EXAMPLE
    assert validate_uscc(" 91350100m000100y43 ") == PUBLISHED_EXAMPLE


def test_check_char_needs_17_characters() -> None:
    with pytest.raises(USCCError):
        uscc_check_char("123")


@pytest.mark.parametrize(
    ("region", "serial", "registration", "org_type"),
    [
        ("42088", 1, "9", "1"),
        ("42088A", 1, "9", "1"),
        ("420881", -1, "9", "1"),
        ("420881", 10**8, "9", "1"),
        ("420881", 1, "I", "1"),
        ("420881", 1, "9", "12"),
    ],
)
def test_make_uscc_rejects_bad_arguments(
    region: str, serial: int, registration: str, org_type: str
) -> None:
    with pytest.raises(ValueError):
        make_uscc(region, serial, registration=registration, org_type=org_type)
