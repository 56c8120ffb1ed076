"""What a monthly ledger must obey: the checks, pure functions of the entry and its context.

Each check is an error naming the field, so an import can report it per row:

* tonnes non-negative, at most 3 decimals (kg), month not in the future (China time);
* the parts cannot exceed their totals: ``disposed_from_stockpile_t ≤ disposed_t`` and
  ``utilised_from_stockpile_t ≤`` the producer-month's whole utilisation;
* the balance identity of DOMAIN.md §3 with the producer-month's 综合利用量 defined as
  ``used_inhouse_t + shipped_outside_exchange_t + exchange receipts``::

      generated = (utilised − utilised_from_stockpile) + stored
                  + (disposed − disposed_from_stockpile) + dumped

  Exchange receipts *are* part of the identity: the shipped tonnes left the producer as
  utilisation, and the producer must not also report them as in-house use. A ledger that
  counts them twice overshoots by exactly the received tonnes and is rejected. The slack is
  ``settings.ledger_balance_tolerance_t`` (rounding) plus ``settings.receipt_tolerance_pct``
  of the receipts, because the receiver's weighbridge may differ from the producer's by that
  much before a shipment is disputed. A receipt confirmed *after* the ledger was written can
  unbalance it later; :mod:`market.stats.checks` flags such ledgers instead of hiding them.

**Which tonnes of a receipt.** Within the weighbridge tolerance a load counts at the
receiver's tonnes, as above. A *disputed* load is in the producer's books as it left, at its
own dispatch weighbridge, until the dispute is settled (:mod:`market.trading.disputes`); then
at the settled tonnes, or still at the dispatched tonnes (the producer booked its own
weighbridge before the parties agreed), so the identity may hold anywhere between the two
(``booked_slack``). These are the *booked* flows (``LedgerContext.booked``,
``market.trading.receipts``): a producer whose only load went out as 100 t and arrived as
97 t files generated = 100 and balances, before and after a settlement. Without booked flows
(callers that load none) the receipts are used, as before.

**Months.** The identity is official for a year; applied to a month, "earlier years'
stockpiles" reads "stockpiles from before this month" (the only reading under which a month
that draws on January's storage in March can balance with non-negative figures).

Nothing here reads the database: :func:`market.ledger.service.load_context` loads what the
checks need once for a whole import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from market.accounts.models import Site
from market.core import decimals as dec
from market.core.errors import Invalid
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger

CHINA_TZ_OFFSET = timedelta(hours=8)
EARLIEST_YEAR = 2000
_KG = Decimal("0.001")

#: (site, material, year, month): one ledger per key.
Key = tuple[int, str, int, int]


@dataclass(frozen=True)
class LedgerEntry:
    """One reported producer-month; ``tonnes`` maps every name of LEDGER_TONNES to a Decimal."""

    site_id: int
    material_code: str
    year: int
    month: int
    tonnes: Mapping[str, Decimal]
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.site_id, self.material_code, self.year, self.month)


@dataclass
class LedgerContext:
    """What the checks need, loaded once for a whole import rather than once per row."""

    sites: dict[int, Site]
    writable_org_ids: set[int]
    materials: dict[str, str]
    received: dict[Key, Decimal]
    this_month: tuple[int, int]
    settings: Settings
    existing: dict[Key, Ledger] = field(default_factory=dict)
    #: The same loads as the producer booked them out (settled, else dispatched); None:
    #: not loaded, the balance then uses ``received``.
    booked: dict[Key, Decimal] | None = None
    #: How many more tonnes the producer may have booked: Σ (dispatched − settled) of the
    #: month's settled loads.
    booked_slack: dict[Key, Decimal] = field(default_factory=dict)

    def exchange_flow(self, key: Key) -> Decimal:
        """The exchange tonnes a producer-month's balance accounts for."""
        flows = self.received if self.booked is None else self.booked
        return flows.get(key, Decimal(0))


def china_month(now: datetime | None = None) -> tuple[int, int]:
    local = (now or datetime.now(UTC)) + CHINA_TZ_OFFSET
    return local.year, local.month


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def check_filter(year: int | None, month: int | None) -> None:
    """A period filter that makes sense: a month needs its year; years 2000–2100."""
    if month is not None and not 1 <= month <= 12:
        raise Invalid("month", f"must be 1–12, got {month}")
    if month is not None and year is None:
        raise Invalid("month", "needs year")
    if year is not None and not 2000 <= year <= 2100:
        raise Invalid("year", f"must be between 2000 and 2100, got {year}")


def check_entry(ctx: LedgerContext, e: LedgerEntry) -> list[tuple[str, str]]:
    """Every problem with one entry as (field, reason); empty when it may be written."""
    errors: list[tuple[str, str]] = []
    site = ctx.sites.get(e.site_id)
    if site is None:
        errors.append(("site_id", f"site {e.site_id} does not exist"))
    elif site.organization_id not in ctx.writable_org_ids:
        errors.append(
            ("site_id", f"site {e.site_id} belongs to an organisation you are not a member of")
        )
    if e.material_code not in ctx.materials.values():
        errors.append(("material_code", f"unknown material {e.material_code!r}"))
    if not 1 <= e.month <= 12:
        errors.append(("month", f"month must be 1–12, got {e.month}"))
    elif e.year < EARLIEST_YEAR:
        errors.append(("month", f"must be {EARLIEST_YEAR} or later"))
    elif (e.year, e.month) > ctx.this_month:
        errors.append(("month", f"{month_label(e.year, e.month)} is in the future"))
    bad_number = False
    for name in LEDGER_TONNES:
        value = e.tonnes[name]
        if not value.is_finite():
            errors.append((name, "must be a number"))
            bad_number = True
        elif value < 0:
            errors.append((name, f"must not be negative, got {value}"))
            bad_number = True
        elif value != value.quantize(_KG) or value >= Decimal("1e12"):
            errors.append((name, "at most 3 decimal places (kg) and below 10^12 t"))
            bad_number = True
    if bad_number:
        return errors
    errors += check_balance(ctx, e)
    return errors


def check_balance(ctx: LedgerContext, e: LedgerEntry) -> list[tuple[str, str]]:
    """The parts-within-totals rules and the balance identity, exchange loads included (as
    the producer booked them: :meth:`LedgerContext.exchange_flow`)."""
    t = e.tonnes
    received = ctx.exchange_flow(e.key)
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    errors: list[tuple[str, str]] = []
    if t["disposed_from_stockpile_t"] > t["disposed_t"]:
        errors.append(
            ("disposed_from_stockpile_t", f"exceeds disposed_t ({dec.t(t['disposed_t'])} t)")
        )
    if t["utilised_from_stockpile_t"] > utilised:
        errors.append(
            (
                "utilised_from_stockpile_t",
                f"exceeds the month's utilisation ({dec.t(utilised)} t incl. "
                f"{dec.t(received)} t received on the exchange)",
            )
        )
    if errors:
        return errors
    accounted = balance_rhs(t, received)
    difference = t["generated_t"] - accounted
    tolerance = balance_tolerance(ctx.settings, received)
    slack = ctx.booked_slack.get(e.key, Decimal(0))
    if not balances(ctx.settings, t, received, slack):
        errors.append(
            (
                "balance",
                f"产生量 generated {dec.t(t['generated_t'])} t ≠ {dec.t(accounted)} t accounted for "
                f"(utilised {dec.t(utilised)} t incl. {dec.t(received)} t received on the exchange, "
                f"− {dec.t(t['utilised_from_stockpile_t'])} t from stockpile, + stored "
                f"{dec.t(t['stored_t'])}, + disposed {dec.t(t['disposed_t'])} − "
                f"{dec.t(t['disposed_from_stockpile_t'])} from stockpile, + dumped "
                f"{dec.t(t['dumped_t'])}); difference {dec.t(difference)} t exceeds the "
                f"tolerance of {dec.t(tolerance)} t. Tonnes shipped on the exchange count "
                "from their receipts: do not report them as in-house use",
            )
        )
    return errors


def balance_rhs(t: Mapping[str, Decimal], received: Decimal) -> Decimal:
    """Right-hand side of the identity: where the month's generation went."""
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    return (
        (utilised - t["utilised_from_stockpile_t"])
        + t["stored_t"]
        + (t["disposed_t"] - t["disposed_from_stockpile_t"])
        + t["dumped_t"]
    )


def balances(
    settings: Settings, t: Mapping[str, Decimal], booked: Decimal, slack: Decimal = Decimal(0)
) -> bool:
    """Whether the identity holds with the month's exchange loads at ``booked`` tonnes, give
    or take the tolerance, or up to ``slack`` more (settled loads booked at their dispatch)."""
    difference = t["generated_t"] - balance_rhs(t, booked)
    tolerance = balance_tolerance(settings, booked)
    return -tolerance <= difference <= tolerance + slack


def balance_tolerance(settings: Settings, received: Decimal) -> Decimal:
    return settings.ledger_balance_tolerance_t + received * settings.receipt_tolerance_pct / 100
