"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

Every organisation on the exchange is identified by its USCC, so a typo must be caught at
registration rather than surfacing later as a duplicate firm or a failed permit lookup.
The code is 18 characters from a 31-symbol alphabet (the digits and the capital letters
without I, O, Z, S and V, which are easily confused with digits):

====  =====================================================================
pos   meaning
====  =====================================================================
1     registration authority (1 机构编制, 5 民政, 9 工商/市场监管, Y other, ...)
2     organisation type (for authority 9: 1 company, 2 sole proprietorship, 3 farmers'
      cooperative)
3-8   administrative division code of the registering authority (e.g. 420881 钟祥市)
9-17  organisation code (GB 11714); position 17 is that code's own check character
18    GB 32100 check character over positions 1-17
====  =====================================================================

Only the GB 32100 check (position 18) is enforced. The GB 11714 check at position 17 is
deliberately *not* validated: codes converted from pre-2015 registrations and data pasted
from government portals violate it often enough that rejecting them would lock real firms
out, while the position-18 check already catches single-character typos and transpositions.
"""

from __future__ import annotations

#: The 31 symbols of the code, in value order: a character's value is its index here.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Weight of positions 1..17 for the check character: 3**(i-1) mod 31.
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

#: GB 11714 organisation-code weights for its 8 body characters (used only when *building*
#: demo codes, so that generated codes are correct under both standards).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

USCC_LENGTH = 18


class USCCError(ValueError):
    """A string is not a valid USCC.

    ``reason`` is a short English phrase suitable for a form error message; it is kept
    separate from the exception text so that the UI can show it without the offending value.
    """

    def __init__(self, reason: str, value: str | None = None) -> None:
        self.reason = reason
        self.value = value
        super().__init__(f"invalid USCC {value!r}: {reason}" if value is not None else reason)


def normalise_uscc(s: str) -> str:
    """Strip surrounding whitespace and upper-case.

    Users paste codes from PDFs and web pages with stray spaces and sometimes type them in
    lower case; neither changes which organisation is meant, so both are forgiven before the
    code is checked or stored. Inner whitespace is *not* removed: it usually means two
    values were pasted together.
    """
    return s.strip().upper()


def _check_alphabet(s: str, *, value: str) -> None:
    """Raise on the first character outside the alphabet, naming its 1-based position."""
    for pos, ch in enumerate(s, start=1):
        if ch not in _VALUE:
            raise USCCError(f"character {ch!r} at position {pos} is not allowed", value)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters.

    check = 31 - (sum(value * weight) mod 31), where a result of 31 becomes 0.
    ``first17`` must already be normalised (upper case).
    """
    if len(first17) != USCC_LENGTH - 1:
        raise USCCError("must be 17 characters to compute a check character", first17)
    _check_alphabet(first17, value=first17)
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(s: str) -> str:
    """Return the normalised code, or raise :class:`USCCError` with a reason.

    Checks are ordered so that the reason names the most basic problem first: length, then
    forbidden characters, then the check character.
    """
    code = normalise_uscc(s)
    if len(code) != USCC_LENGTH:
        raise USCCError(f"must be {USCC_LENGTH} characters", s)
    _check_alphabet(code, value=s)
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise USCCError(f"check character should be {expected!r}, got {code[17]!r}", s)
    return code


def is_valid_uscc(s: str) -> bool:
    """True when :func:`validate_uscc` would accept ``s`` (for filters and tests)."""
    try:
        validate_uscc(s)
    except USCCError:
        return False
    return True


def _org_code(serial: int) -> str:
    """Derive a 9-character GB 11714 organisation code from ``serial``.

    The 8 body digits come from an affine bijection of ``serial`` modulo 10**8 so that
    consecutive serials do not produce visibly consecutive codes (demo data should look
    like real data), while distinct serials still give distinct codes. The 9th character is
    the proper GB 11714 check (0-9 or X), so generated codes are valid under both standards.
    """
    if not 0 <= serial < 10**8:
        raise ValueError("serial must be in [0, 10**8)")
    body = f"{(serial * 7_919_113 + 30_170_419) % 10**8:08d}"
    total = sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    check = "X" if c == 10 else "0" if c == 11 else str(c)
    return body + check


def make_uscc(region_code6: str, serial: int, registration: str = "9", org_type: str = "1") -> str:
    """Build a valid, deterministic USCC for demo and test data.

    ``region_code6`` is the 6-digit administrative division code (e.g. ``"420881"``);
    ``serial`` picks the organisation code; ``registration``/``org_type`` default to a
    company registered with market regulation ("91"), the most common prefix. For a
    government body such as the ecology and environment bureau pass ``registration="1"``.
    """
    if len(region_code6) != 6 or not region_code6.isdigit():
        raise ValueError("region_code6 must be 6 digits")
    for name, ch in (("registration", registration), ("org_type", org_type)):
        if len(ch) != 1 or ch not in _VALUE:
            raise ValueError(f"{name} must be one character of the USCC alphabet")
    first17 = registration + org_type + region_code6 + _org_code(serial)
    return first17 + uscc_check_char(first17)
