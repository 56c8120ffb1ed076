"""The demo year's trading: lots, deals, loads and receipts, so the exchange share is not 0.00 %.

What was traded is data (``market/data/demo/trades.toml``, checked against the roster and
the streams when read); this module draws each lot's spec sheet (its own ``random.Random``,
so the open lots of :func:`market.demo.seed.build_demo` keep their draws) and plays the story
through the trading services, exactly as the API would: :func:`market.trading.buying.buy`,
:func:`market.trading.bids.place_bid` and the answers (accept, counter), then
:func:`market.trading.shipments.record_shipment` and :func:`~market.trading.shipments.receive`
per lorry, a dispute proposed and accepted (:mod:`market.trading.disputes`), and
:func:`market.trading.deals.settle_short` for a deal whose receipts came a little short. So the
MIIT-list and HW-permit rules are checked as for any deal, and every listing's reserved and
delivered tonnes are what its deals say.

**Dates.** Dispatch, receipt, settlement and completion times are passed to the services as
the story's days (they take ``dispatched_at``, ``received_at`` and ``now``). Buying, bidding
and answering run at the real clock (an offer's expiry and a lot's availability are checked
against it), and a dispatch must not precede its deal; so right after each deal is made one
step, :func:`set_back_to_story_day`, moves the deal's and its offers' timestamps to the day the
story says it was made, and :func:`close_lot` gives each lot its listing day and last day
after its deals. Audit events and notifications keep the moment the demo was loaded.

**Ledgers.** Receipts count toward their producer's monthly 综合利用量, so the story runs
before :mod:`market.demo.ledgers`, which books them into the month's balance. It runs only
while the demo ledgers are not yet loaded (:func:`market.demo.load.load_demo`): a second load
adds nothing, and a database loaded before the story existed keeps balanced ledgers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from importlib.resources.abc import Traversable
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Site, User
from market.accounts.service import normalise_email
from market.catalogue.seed import MATERIALS_BY_CODE
from market.core.datafiles import DataFileError, read_toml, validate_row
from market.core.settings import Settings
from market.demo.roster import DATA_DIR, ROSTER, DemoDataError
from market.demo.roster_rows import TradeDealRow, TradeLotRow
from market.demo.seed import DEMO_TODAY, DISTRICTS, DemoData, listing_title, site_district
from market.demo.specs import Gen, grade_met, listing_price, listing_spec
from market.offers.listings import create_listing
from market.offers.models import Listing
from market.offers.schemas import ListingIn
from market.trading import answers, disputes
from market.trading.bids import BidInput, place_bid
from market.trading.buying import BuyInput, buy
from market.trading.deals import CHINA, settle_short
from market.trading.models import Bid, Deal
from market.trading.shipments import DispatchInput, ReceiptInput, receive, record_shipment

__all__ = [
    "TRADES_SEED",
    "DemoLot",
    "DemoTrade",
    "TradeReport",
    "build_lots",
    "close_lot",
    "load_demo_trades",
    "load_trade_rows",
    "set_back_to_story_day",
]

#: Draws of the story's spec sheets and plates (not the open lots' seed).
TRADES_SEED: Final = 20261125
_KG = Decimal("0.001")
_CENT = Decimal("0.01")
#: A disputed receipt is short by the tolerance plus this (per cent).
DISPUTE_EXTRA_PCT: Final = Decimal("2.5")
#: Loads leave the producer at 08:30 and are weighed in at 13:30 (China time).
DISPATCH_AT: Final = time(8, 30)
RECEIPT_DELAY: Final = timedelta(hours=5)


@dataclass(frozen=True)
class DemoTrade:
    """One deal of a lot: the buyer's site and use, the day, tonnes, loads and how it was made."""

    buyer_site: str
    use: str
    on: date
    tonnes: Decimal
    loads: int
    every_days: int
    via: str
    off: Decimal
    diff_pct: Decimal
    dispute: int | None


@dataclass(frozen=True)
class DemoLot:
    """A lot of the demo year, ready for ``create_listing``, and the deals made on it."""

    key: str
    site_key: str
    material: str
    spec: dict[str, Decimal]
    price_cny_t: Decimal
    quantity_t: Decimal
    listed: date
    until: date
    title: str
    deals: tuple[DemoTrade, ...]


@dataclass
class TradeReport:
    lots: int = 0
    deals: int = 0
    shipments: int = 0
    disputes: int = 0
    tonnes: Decimal = Decimal(0)


def _dec(x: float | int) -> Decimal:
    return Decimal(str(x))


def _check_lot(row: TradeLotRow, where: str, site_org: dict[str, str]) -> None:
    supplied = {(s.site, s.material) for s in ROSTER.supply}
    if (row.site, row.material) not in supplied:
        raise DemoDataError(f"{where}: streams.toml has no supply of {row.material} at {row.site}")
    material = MATERIALS_BY_CODE[row.material]
    if row.grade is not None and material.grade(row.grade) is None:
        raise DemoDataError(f"{where}: {row.material!r} has no grade {row.grade!r}")
    # Receipts count in their month's ledger: the demo's own month has none yet.
    first_of_month = DEMO_TODAY.replace(day=1)
    if not row.listed < row.until < first_of_month:
        raise DemoDataError(f"{where}: needs listed < until < {first_of_month}")
    uses = {u[0] for u in material.typical_uses}
    for i, d in enumerate(row.deals, 1):
        at = f"{where} deal {i}"
        if d.buyer not in site_org or site_org[d.buyer] == site_org[row.site]:
            raise DemoDataError(f"{at}: buyer {d.buyer!r} is unknown or the seller itself")
        if d.use not in uses:
            raise DemoDataError(f"{at}: use {d.use!r} is not a typical use of {row.material!r}")
        last = d.on + timedelta(days=1 + (d.loads - 1) * d.every_days)
        if not row.listed <= d.on or last > row.until:
            raise DemoDataError(
                f"{at}: the deal and its loads must lie in {row.listed}..{row.until}"
            )
        if d.dispute is not None and d.dispute > d.loads:
            raise DemoDataError(f"{at}: dispute names load {d.dispute} of {d.loads}")


def load_trade_rows(directory: Traversable = DATA_DIR) -> tuple[TradeLotRow, ...]:
    """Read and check ``trades.toml`` against the roster and the streams."""
    path = directory / "trades.toml"
    try:
        doc = read_toml(path)
        unknown = set(doc) - {"lot"}
        if unknown:
            raise DemoDataError(f"{path}: unknown key {sorted(unknown)[0]!r}")
        site_org = {f"{o.key}_{s.suffix}": o.key for o in ROSTER.orgs for s in o.sites}
        rows = []
        for i, raw in enumerate(doc.get("lot", []), 1):
            row = validate_row(TradeLotRow, raw, f"{path}: lot {i}")
            _check_lot(row, f"{path}: lot {row.key}", site_org)
            rows.append(row)
    except DemoDataError:
        raise
    except DataFileError as exc:
        raise DemoDataError(str(exc)) from None
    if len({r.key for r in rows}) != len(rows):
        raise DemoDataError(f"{path}: two lots share a key")
    return tuple(rows)


def _spec(g: Gen, row: TradeLotRow) -> tuple[dict[str, Decimal], str]:
    """The lot's spec sheet; with a grade, drawn again until the spec meets it."""
    for _ in range(200):
        spec, label = listing_spec(g, row.material, row.profile)
        if row.grade is None or grade_met(row.material, spec, (row.grade,)) == row.grade:
            return spec, label
    raise DemoDataError(
        f"trades.toml: lot {row.key}: no draw meets {row.grade}"
    )  # pragma: no cover


def _trade(d: TradeDealRow) -> DemoTrade:
    return DemoTrade(
        d.buyer, d.use, d.on, _dec(d.tonnes), d.loads, d.every_days, d.via, _dec(d.off),
        _dec(d.diff_pct), d.dispute,
    )  # fmt: skip


def build_lots(data: DemoData, rows: tuple[TradeLotRow, ...] | None = None) -> list[DemoLot]:
    """The story's lots as plain values (deterministic: same result on every call)."""
    rows = load_trade_rows() if rows is None else rows
    g = Gen(TRADES_SEED)
    district = {s.key: DISTRICTS[site_district(o, s)] for o in data.orgs for s in o.sites}
    lots = []
    for row in rows:
        spec, label = _spec(g, row)
        price = (
            _dec(row.price_cny_t).quantize(_CENT)
            if row.price_cny_t is not None
            else listing_price(g, row.material, spec)
        )
        deals = tuple(_trade(d) for d in row.deals)
        quantity = sum((d.tonnes for d in deals), _dec(row.spare_t))
        lots.append(
            DemoLot(
                key=row.key,
                site_key=row.site,
                material=row.material,
                spec=spec,
                price_cny_t=price,
                quantity_t=quantity,
                listed=row.listed,
                until=row.until,
                title=listing_title(row.material, label, quantity, "one_off", district[row.site]),
                deals=deals,
            )
        )
    return lots


def _at(day: date, clock: time) -> datetime:
    """A China-time moment of the story as an aware datetime."""
    return datetime.combine(day, clock, tzinfo=CHINA)


def _plate(g: Gen) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"鄂H·{g.rng.choice(letters)}{g.rng.randint(1000, 9999)}"


async def set_back_to_story_day(
    session: AsyncSession, deal: Deal, offers: list[Bid], at: datetime
) -> None:
    """THE one place the story rewrites service timestamps: the deal was made, and its offers
    placed and answered, on the story's day rather than while the demo loads (each offer an
    hour before the next; it expires as a default bid would, a week after it was placed)."""
    deal.created_at = at
    session.add(deal)
    for i, bid in enumerate(reversed(offers), 1):
        placed = at - timedelta(hours=i)
        bid.created_at = placed
        bid.updated_at = placed + timedelta(minutes=50)
        bid.expires_at = placed + timedelta(days=7)
        session.add(bid)
    await session.flush()


async def close_lot(session: AsyncSession, listing: Listing, lot: DemoLot) -> None:
    """The lot's own dates: listed on its day, on offer until its last day; tonnes nobody took
    then lapse (``expired``), a lot whose tonnes were all delivered is already ``closed``."""
    await session.refresh(listing)
    listing.created_at = _at(lot.listed, time(9, 0))
    listing.updated_at = _at(lot.until, time(18, 0))
    listing.available_from = lot.listed
    listing.available_until = lot.until
    if listing.status == "open":
        listing.status = "expired"
    session.add(listing)
    await session.flush()


class _Story:
    """The lookups a run needs: demo users, organisations and site ids by roster key."""

    def __init__(self, session: AsyncSession, settings: Settings, data: DemoData) -> None:
        self.session = session
        self.settings = settings
        self.data = data
        self.org_of_site = {s.key: o for o in data.orgs for s in o.sites}
        self.users: dict[str, User] = {}
        self.org_ids: dict[str, int] = {}
        self.site_ids: dict[str, int] = {}
        carrier = next(o for o in data.orgs if o.kind == "carrier")
        self.carrier = carrier.name
        self.g = Gen(TRADES_SEED + 1)
        self.report = TradeReport()

    async def prepare(self) -> None:
        usccs = {o.uscc: o for o in self.data.orgs}
        rows = await self.session.exec(
            select(Organization.uscc, Organization.id, Site.name, Site.id)
            .join(Site, col(Site.organization_id) == col(Organization.id))
            .where(col(Organization.uscc).in_(list(usccs)))
        )
        names = {(o.key, s.name): s.key for o in self.data.orgs for s in o.sites}
        for uscc, org_id, site_name, site_id in rows.all():
            org = usccs[uscc]
            self.org_ids[org.key] = org_id or 0
            if (org.key, site_name) in names:
                self.site_ids[names[(org.key, site_name)]] = site_id or 0
        emails = {normalise_email(o.admin.email): o.key for o in self.data.orgs}
        for user in (
            await self.session.exec(select(User).where(col(User.email).in_(list(emails))))
        ).all():
            self.users[emails[user.email]] = user

    def who(self, site_key: str) -> tuple[User, int]:
        org = self.org_of_site[site_key]
        return self.users[org.key], self.org_ids[org.key]

    async def lot(self, lot: DemoLot) -> None:
        seller, _ = self.who(lot.site_key)
        listing = await create_listing(
            self.session,
            seller,
            ListingIn(
                site_id=self.site_ids[lot.site_key],
                material_code=lot.material,
                quantity_t=lot.quantity_t,
                cadence="one_off",
                spec=lot.spec,
                price_cny_t=lot.price_cny_t,
                available_from=lot.listed,
                available_until=None,
                status="open",
                title=lot.title,
            ),
        )
        plates = [_plate(self.g) for _ in range(3)]
        for trade in lot.deals:
            deal = await self.deal(listing, lot, trade)
            await self.loads(deal, lot, trade, plates)
        await close_lot(self.session, listing, lot)
        self.report.lots += 1

    async def deal(self, listing: Listing, lot: DemoLot, t: DemoTrade) -> Deal:
        seller, _ = self.who(lot.site_key)
        buyer, buyer_org = self.who(t.buyer_site)
        listing_id = listing.id or 0
        site_id = self.site_ids[t.buyer_site]
        offers: list[Bid] = []
        if t.via == "buy":
            deal = await buy(
                self.session,
                buyer,
                listing_id,
                BuyInput(buyer_org, site_id, use=t.use, quantity_t=t.tonnes),
            )
        else:
            bid = await place_bid(
                self.session,
                buyer,
                listing_id,
                BidInput(
                    lot.price_cny_t - t.off, buyer_org, site_id, use=t.use, quantity_t=t.tonnes
                ),
            )
            offers.append(bid)
            if t.via == "counter":
                half_way = (lot.price_cny_t - t.off / 2).quantize(_CENT, ROUND_HALF_EVEN)
                bid = await answers.counter(
                    self.session, seller, bid.id or 0, answers.CounterInput(price_cny_t=half_way)
                )
                offers.append(bid)
            answering = buyer if t.via == "counter" else seller
            _, deal = await answers.accept(
                self.session, answering, bid.id or 0, answers.AcceptInput()
            )
        await set_back_to_story_day(self.session, deal, offers, _at(t.on, time(10, 0)))
        self.report.deals += 1
        return deal

    async def loads(self, deal: Deal, lot: DemoLot, t: DemoTrade, plates: list[str]) -> None:
        seller, _ = self.who(lot.site_key)
        buyer, _ = self.who(t.buyer_site)
        tol = self.settings.receipt_tolerance_pct
        diff = max(min(t.diff_pct, tol / 2), -tol / 2)
        nominal = (t.tonnes / t.loads).quantize(_KG)
        last_receipt: datetime | None = None
        for i in range(t.loads):
            await self.session.refresh(deal)
            left = deal.quantity_t - deal.delivered_t
            if deal.status != "active" or left <= 0:
                break
            weight = left if i == t.loads - 1 else min(nominal, left)
            out = _at(t.on + timedelta(days=1 + i * t.every_days), DISPATCH_AT)
            shipment = await record_shipment(
                self.session,
                seller,
                self.settings,
                deal.id or 0,
                DispatchInput(plates[i % len(plates)], self.carrier, weight, dispatched_at=out),
                now=out,
            )
            disputed = t.dispute == i + 1
            pct = -(tol + DISPUTE_EXTRA_PCT) if disputed else diff
            received = (weight * (1 + pct / 100)).quantize(_KG)
            arrived = out + RECEIPT_DELAY
            await receive(
                self.session,
                buyer,
                self.settings,
                shipment.id or 0,
                ReceiptInput(received, received_at=arrived),
                now=arrived,
            )
            last_receipt = arrived
            self.report.shipments += 1
            self.report.tonnes += received
            if disputed:
                await self.settle(shipment.id or 0, weight, received, seller, buyer, arrived)
        await self.session.refresh(deal)
        if deal.status == "active" and last_receipt is not None:
            # The weighbridges left a few hundred kilograms owing: the buyer closes the deal.
            await settle_short(
                self.session, buyer, deal.id or 0, now=last_receipt + timedelta(hours=2)
            )

    async def settle(
        self,
        shipment_id: int,
        dispatched: Decimal,
        received: Decimal,
        seller: User,
        buyer: User,
        arrived: datetime,
    ) -> None:
        """The seller proposes half-way between the two weighbridges; the buyer accepts."""
        half_way = ((dispatched + received) / 2).quantize(_KG)
        note = "双方复磅后按两次过磅的中间值结算 / settled half-way after re-weighing"
        await disputes.propose(
            self.session, seller, shipment_id, half_way, note, now=arrived + timedelta(hours=20)
        )
        await disputes.accept(
            self.session, buyer, shipment_id, half_way, now=arrived + timedelta(hours=26)
        )
        self.report.disputes += 1


async def load_demo_trades(
    session: AsyncSession, data: DemoData, settings: Settings
) -> TradeReport:
    """Play the demo year's trading through the services (see the module docstring)."""
    story = _Story(session, settings, data)
    await story.prepare()
    for lot in build_lots(data):
        await story.lot(lot)
    return story.report
