"""Traction-battery codes: the GB/T 34014 pack (module, cell) code and the vehicle's VIN.

Pure functions, no database: the pack services, the spreadsheet import and the tests all
check codes here, so a code is valid in exactly one sense everywhere.

**GB/T 34014-2017** *汽车动力蓄电池编码规则*. DOMAIN.md does not describe the coding rule, so
the structure below is our reading of the standard and is **UNCONFIRMED** (to be checked
against the standard's own text before it is relied on in an audit). A code has 24
characters, digits and capital Latin letters:

=====  ======  =====================================================================
pos    length  field
=====  ======  =====================================================================
1–3    3       manufacturer code (厂商代码), assigned to the maker
4      1       product type (产品类型代码): P pack (电池包/系统), M module (模块), C cell (单体)
5      1       battery type (电池类型代码): A NiMH, B LFP, C LMO, D LCO, E ternary
               (NCM/NCA), F supercapacitor, G LTO, Z other
6–7    2       specification code (规格代码), the maker's
8–14   7       traceability information (追溯信息代码), the maker's (line, plant, …)
15–17  3       production date (生产日期代码): year (the VIN's year letters/digits), month
               (1–9, A–C), day (1–9, A–V)
18–24  7       serial number (序列号)
=====  ======  =====================================================================

As far as we know the standard defines **no check character** for the pack code (the VIN
has one); none is checked. **VIN** (ISO 3779 / GB 16735): 17 characters without I, O and Q;
the 9th is the check digit (transliterated values × weights, sum mod 11, 10 written X),
which Chinese VINs always carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PACK_CODE_LENGTH = 24
_CODE_RE = re.compile(r"[0-9A-Z]{24}")

#: Product type (position 4).
PRODUCT_TYPES: dict[str, str] = {"P": "pack", "M": "module", "C": "cell"}
#: Battery type (position 5) → what it means.
BATTERY_TYPES: dict[str, str] = {
    "A": "NiMH",
    "B": "LFP",
    "C": "LMO",
    "D": "LCO",
    "E": "ternary (NCM/NCA)",
    "F": "supercapacitor",
    "G": "LTO",
    "Z": "other",
}
#: The chemistries a pack row may declare, and the battery-type letter the code must carry.
CHEMISTRY_TYPE: dict[str, str] = {
    "LFP": "B",
    "NCM": "E",
    "NCA": "E",
    "LMO": "C",
    "LCO": "D",
    "LTO": "G",
    "NIMH": "A",
    "OTHER": "Z",
}
CHEMISTRIES: tuple[str, ...] = tuple(CHEMISTRY_TYPE)
#: Year characters (the VIN's 30-year cycle: A–Y without I, O, Q, U, Z; then 1–9).
YEAR_CHARS = "ABCDEFGHJKLMNPRSTVWXY123456789"
MONTH_CHARS = "123456789ABC"
DAY_CHARS = "123456789ABCDEFGHIJKLMNOPQRSTUV"


class CodeError(ValueError):
    """Why a code is not valid, in English (the API adds the field)."""


@dataclass(frozen=True)
class PackCode:
    """A valid GB/T 34014 code taken apart."""

    code: str
    manufacturer: str
    product_type: str
    battery_type: str
    spec: str
    trace: str
    year_char: str
    month: int
    day: int
    serial: str

    @property
    def battery_type_name(self) -> str:
        return BATTERY_TYPES[self.battery_type]

    def production_year(self, not_after: int) -> int:
        """The latest year ≤ ``not_after`` with this year character (the cycle is 30 years;
        A = 1980, 2010)."""
        index = YEAR_CHARS.index(self.year_char)
        year = 1980 + index
        while year + 30 <= not_after:
            year += 30
        return year


def normalise(code: str) -> str:
    """Upper case, without the spaces and hyphens people type between fields."""
    return re.sub(r"[\s\-]", "", code).upper()


def parse_pack_code(raw: str) -> PackCode:
    """The code's fields, or :class:`CodeError` naming what is wrong."""
    code = normalise(raw)
    if len(code) != PACK_CODE_LENGTH:
        raise CodeError(f"a GB/T 34014 code has {PACK_CODE_LENGTH} characters, not {len(code)}")
    if not _CODE_RE.fullmatch(code):
        bad = next(ch for ch in code if not ("0" <= ch <= "9" or "A" <= ch <= "Z"))
        raise CodeError(f"only digits and capital letters are allowed, not {bad!r}")
    product, kind = code[3], code[4]
    if product not in PRODUCT_TYPES:
        raise CodeError(f"position 4 (product type) must be P, M or C, not {product!r}")
    if kind not in BATTERY_TYPES:
        raise CodeError(
            f"position 5 (battery type) must be one of {''.join(BATTERY_TYPES)}, not {kind!r}"
        )
    year, month, day = code[14], code[15], code[16]
    if year not in YEAR_CHARS:
        raise CodeError(f"position 15 (production year) {year!r} is not a year character")
    if month not in MONTH_CHARS:
        raise CodeError(f"position 16 (production month) must be 1–9 or A–C, not {month!r}")
    if day not in DAY_CHARS:
        raise CodeError(f"position 17 (production day) must be 1–9 or A–V, not {day!r}")
    return PackCode(
        code=code,
        manufacturer=code[0:3],
        product_type=product,
        battery_type=kind,
        spec=code[5:7],
        trace=code[7:14],
        year_char=year,
        month=MONTH_CHARS.index(month) + 1,
        day=DAY_CHARS.index(day) + 1,
        serial=code[17:24],
    )


def check_chemistry(code: PackCode, chemistry: str) -> None:
    """:class:`CodeError` unless the declared chemistry matches the code's battery type."""
    wanted = CHEMISTRY_TYPE.get(chemistry.upper())
    if wanted is None:
        raise CodeError(f"chemistry must be one of {', '.join(CHEMISTRIES)}")
    if code.battery_type != wanted:
        raise CodeError(
            f"the code's battery type {code.battery_type} ({code.battery_type_name}) "
            f"does not match the chemistry {chemistry.upper()}"
        )


# --- VIN (ISO 3779, check digit as GB 16735 requires) --------------------------------------

_VIN_VALUES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The check character a 17-character VIN's 9th position must hold."""
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def parse_vin(raw: str) -> str:
    """The VIN in capitals, or :class:`CodeError`."""
    vin = normalise(raw)
    if len(vin) != 17:
        raise CodeError(f"a VIN has 17 characters, not {len(vin)}")
    bad = [ch for ch in vin if ch not in _VIN_VALUES]
    if bad:
        raise CodeError(f"a VIN has digits and letters other than I, O and Q, not {bad[0]!r}")
    check = vin_check_digit(vin)
    if vin[8] != check:
        raise CodeError(f"the check digit (9th character) should be {check}, not {vin[8]}")
    return vin
