"""Number formatting shared by the one-line summaries.

Kept separate so the Chinese and English texts print figures identically: a reader comparing
the two versions must see the same numbers.
"""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def fmt_number(value: Decimal) -> str:
    """Plain decimal without exponent or trailing zeros: ``Decimal("12.0")`` → ``"12"``."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def fmt_money(value: Decimal) -> str:
    """Yuan to the cent with the sign in front of the symbol: ``-¥12.00``, ``¥28.50``."""
    q = value.quantize(CENT)
    return f"-¥{-q}" if q < 0 else f"¥{q}"
