"""The call-off schedule of a standing contract: one call-off a month, computed, not stored.

A standing contract (a deal with ``tonnes_per_month`` × ``term_months``) calls off
``tonnes_per_month`` each calendar month of its term, **China time**, from the month of
``delivery_from`` (else the month the deal was made) for ``term_months`` months. What was
delivered against a month is the credited tonnes (the deal's own figure: settled, else
credited at receipt) of the loads *received* in it, as the producer's ledger books them
(:mod:`market.trading.receipts`); a load received before the term counts in its first month,
one received after it (dispatched in the last month, arrived in the next) in its last.

Per month, in order:

* ``due_t`` = ``tonnes_per_month`` + ``carried_in_t``; ``carried_in_t`` is the previous
  month's shortfall when the contract's ``shortfall`` policy is ``roll_over`` and 0 when it
  is ``lapse`` (the default); the last month's shortfall lapses either way, the term is over;
* ``shortfall_t`` = due − delivered, once the month is over (a month still running or to come
  is not short yet; ``remaining_t`` says what it still needs);
* ``overrun_t`` = delivered − due when that is more than ``tolerance_pct`` of the due tonnes
  (the weighbridge tolerance: 100.5 t against 100 t is a full call-off, not an overrun). An
  overrun is shown, not credited to the next month: the deal's total still caps shipping;
* ``status``: ``upcoming`` | ``open`` (the current month) | ``met`` | ``short`` (over, with a
  shortfall) | ``overrun`` | ``ended`` (after the deal was completed or closed).

The months are recomputed from the deal and its shipments on every read, so a settled
dispute or a late receipt changes them without any call-off row to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from market.trading.models import Deal

CHINA = ZoneInfo("Asia/Shanghai")
ShortfallPolicy = Literal["roll_over", "lapse"]
SHORTFALL_POLICIES: tuple[str, ...] = get_args(ShortfallPolicy)
DEFAULT_SHORTFALL: ShortfallPolicy = "lapse"
CallOffStatus = Literal["upcoming", "open", "met", "short", "overrun", "ended"]
ZERO = Decimal(0)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (China time)."""

    year: int
    month: int

    @classmethod
    def of(cls, at: datetime) -> Month:
        """The China-time month of an instant."""
        local = at.astimezone(CHINA)
        return cls(local.year, local.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def starts_at(self) -> datetime:
        """The first instant of the month in China, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=CHINA).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Contract:
    """What the schedule needs of a standing contract."""

    tonnes_per_month: Decimal
    term_months: int
    first: Month
    shortfall: ShortfallPolicy = DEFAULT_SHORTFALL
    tolerance_pct: Decimal = ZERO

    @property
    def last(self) -> Month:
        return self.first.plus(self.term_months - 1)

    def ends_at(self) -> datetime:
        """The instant the term is over: the start of the month after its last (UTC)."""
        return self.last.plus(1).starts_at()


@dataclass(frozen=True)
class CallOff:
    """One month of the schedule (see the module docstring for each figure)."""

    month: Month
    due_t: Decimal
    delivered_t: Decimal
    shortfall_t: Decimal
    overrun_t: Decimal
    carried_in_t: Decimal
    remaining_t: Decimal
    status: CallOffStatus


def contract_of(deal: Deal, tolerance_pct: Decimal) -> Contract | None:
    """The standing contract of a deal, or None for a one-off deal."""
    if deal.tonnes_per_month is None or not deal.term_months:
        return None
    first = (
        Month(deal.delivery_from.year, deal.delivery_from.month)
        if deal.delivery_from is not None
        else Month.of(deal.created_at)
    )
    policy: ShortfallPolicy = "roll_over" if deal.shortfall == "roll_over" else "lapse"
    return Contract(deal.tonnes_per_month, deal.term_months, first, policy, tolerance_pct)


def schedule(
    contract: Contract,
    receipts: Iterable[tuple[datetime, Decimal]],
    now: datetime,
    ended_at: datetime | None = None,
) -> list[CallOff]:
    """The contract's months as of ``now``: ``receipts`` are (received_at, credited tonnes);
    ``ended_at`` is when the deal was completed or closed, if it was (the months after that
    one are ``ended``, due nothing)."""
    first, last = contract.first, contract.last
    delivered: dict[Month, Decimal] = {}
    for at, tonnes in receipts:
        month = min(max(Month.of(at), first), last)
        delivered[month] = delivered.get(month, ZERO) + tonnes
    current = Month.of(now)
    ended = Month.of(ended_at) if ended_at is not None else None
    out: list[CallOff] = []
    carried = ZERO
    for i in range(contract.term_months):
        month = first.plus(i)
        got = delivered.get(month, ZERO)
        if ended is not None and month > ended:
            out.append(CallOff(month, ZERO, got, ZERO, ZERO, ZERO, ZERO, "ended"))
            carried = ZERO
            continue
        due = contract.tonnes_per_month + carried
        over = (ended is not None and month <= ended) or month < current
        excess = got - due
        overrun = excess if excess > due * contract.tolerance_pct / 100 else ZERO
        short = max(due - got, ZERO) if over else ZERO
        status: CallOffStatus
        if overrun > 0:
            status = "overrun"
        elif got >= due:
            status = "met"
        elif over:
            status = "short"
        else:
            status = "open" if month == current else "upcoming"
        out.append(CallOff(month, due, got, short, overrun, carried, max(due - got, ZERO), status))
        carried = short if contract.shortfall == "roll_over" else ZERO
    return out
