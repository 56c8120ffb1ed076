"""Fixed scales for the figures the API shows: tonnes to the kg, yuan to the fen, km to 0.1.

The database stores these exactly (``market.core.db.ScaledDecimal``); quantising in the views
makes the JSON the same whether a row was just written or read back.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

_T = Decimal("0.001")
_CNY = Decimal("0.01")
_KM = Decimal("0.1")


def t(value: Decimal) -> Decimal:
    return value.quantize(_T, ROUND_HALF_EVEN)


def cny(value: Decimal) -> Decimal:
    return value.quantize(_CNY, ROUND_HALF_EVEN)


def km(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(_KM, ROUND_HALF_EVEN)


def opt_cny(value: Decimal | None) -> Decimal | None:
    return None if value is None else cny(value)


def opt_km(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else km(value)
