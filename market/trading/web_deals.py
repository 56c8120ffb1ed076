"""My bids, my deals, a deal's page with its loads, and my shipments, as pages.

``/my/bids`` lists the offers both ways (made by us, made to us) with their actions;
``/deals/{id}`` is where the producer records a dispatch, the buyer confirms a receipt,
either party proposes or accepts the tonnes of a disputed receipt, and either closes the
deal. Each form is the API's body and service (``ShipmentIn`` → ``record_shipment``,
``ReceiveIn`` → ``receive``, ``ProposeSettlementIn`` → ``disputes.propose`` …); a refusal
shows the page again with the messages (:mod:`market.trading.web_forms`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.web_session import Member, Viewer
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core.deps import AppSettings, Db
from market.core.errors import NotFound
from market.core.settings import Settings
from market.offers import web_lookups as lookups
from market.offers.models import Listing
from market.trading import bids as bid_svc
from market.trading import deals as deal_svc
from market.trading import disputes, manifests, shipments
from market.trading.api_shipments import dispute_view
from market.trading.manifest_export import XLSX_MEDIA_TYPE, manifest_view, to_xlsx
from market.trading.models import Deal, Manifest
from market.trading.schemas import (
    AcceptSettlementIn,
    DealDetailOut,
    DealOut,
    DecideSettlementIn,
    DisputeOut,
    ProposeSettlementIn,
    ReceiveIn,
    ShipmentIn,
    ShipmentOut,
)
from market.trading.views import deal_detail, deal_views, shipment_view
from market.trading.web_forms import Posted, body, china_local, helpers
from market.trading.web_trade import ROWS, offer_rows, run_form, validate
from market.web.render import page


def _helpers(materials: dict[str, Material]) -> dict[str, Any]:
    return {"h": helpers(materials)}


# --- /my/bids ------------------------------------------------------------------------------


async def render_my_bids(
    db: AsyncSession, member: Viewer, *, posted: Posted | None = None
) -> Template:
    rows, total = await bid_svc.list_bids(
        db, member.user, listing_id=None, status=None, page=1, page_size=ROWS
    )
    # Regulators may read every offer; "my" bids are those of the viewer's organisations.
    offers = [
        o for o in await offer_rows(db, member, rows) if o.i_buy or o.offered_by_me or o.i_answer
    ]
    materials = await lookups.materials(db)
    return page(
        "trade_bids.html",
        member,
        status=posted.status if posted is not None else 200,
        made=[o for o in offers if o.offered_by_me],
        received=[o for o in offers if not o.offered_by_me],
        total=total,
        posted=posted,
        **_helpers(materials),
    )


@get("/my/bids", name="web-my-bids")
async def my_bids(member: Member, db: Db) -> Template:
    return await render_my_bids(db, member)


# --- /my/deals -----------------------------------------------------------------------------


@get("/my/deals", name="web-my-deals")
async def my_deals(member: Member, db: Db) -> Template:
    found, total = await deal_svc.list_deals(
        db, member.user, status=None, listing_id=None, page=1, page_size=ROWS
    )
    views = await deal_views(db, found)
    mine = set(member.org_ids)
    return page(
        "trade_deals.html",
        member,
        deals=[(d, _role(d, mine)) for d in views],
        total=total,
        **_helpers(await lookups.materials(db)),
    )


def _role(deal: DealOut, mine: set[int]) -> str:
    if deal.seller is not None and deal.seller.id in mine:
        return "seller"
    if deal.buyer is not None and deal.buyer.id in mine:
        return "buyer"
    return "reader"


# --- /deals/{id} ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DealPage:
    deal: DealDetailOut
    role: str
    my_org_id: int | None
    material: Material
    listing_title: str
    disputes: dict[int, DisputeOut]
    #: A regulator reads every deal and may decide its disputes.
    regulator: bool = False

    @property
    def active(self) -> bool:
        return self.deal.status == "active"

    @property
    def in_transit(self) -> bool:
        return any(s.status == "dispatched" for s in self.deal.shipments)


async def render_deal(
    db: AsyncSession,
    member: Viewer,
    deal_id: int,
    settings: Settings,
    *,
    posted: Posted | None = None,
) -> Template:
    deal = await deal_svc.readable_deal(db, member.user, deal_id)
    detail = await deal_detail(db, deal, settings.receipt_tolerance_pct)
    material = await catalogue.get_material(db, deal.material_code)
    listing = await db.get(Listing, deal.listing_id)
    found: dict[int, DisputeOut] = {}
    for load in detail.shipments:
        if load.status == "disputed":
            found[load.id] = dispute_view(*await disputes.get_dispute(db, member.user, load.id))
    mine = set(member.org_ids)
    role = _role(detail, mine)
    my_org = {"seller": deal.seller_org_id, "buyer": deal.buyer_org_id}.get(role)
    materials = {material.code: material}
    return page(
        "trade_deal.html",
        member,
        status=posted.status if posted is not None else 200,
        d=DealPage(
            deal=detail,
            role=role,
            my_org_id=my_org,
            material=material,
            listing_title=(listing.title if listing else "") or "",
            disputes=found,
            regulator=member.regulator,
        ),
        posted=posted,
        **_helpers(materials),
    )


@get("/deals/{deal_id:int}", name="web-deal")
async def deal_page(
    deal_id: FromPath[int], member: Member, db: Db, settings: AppSettings
) -> Template:
    return await render_deal(db, member, deal_id, settings)


def _deal_again(db: AsyncSession, deal_id: int, settings: Settings) -> Any:
    async def again(member: Viewer, posted: Posted) -> Response[Any]:
        return await render_deal(db, member, deal_id, settings, posted=posted)

    return again


@post("/deals/{deal_id:int}/dispatch", name="web-deal-dispatch")
async def dispatch_form(
    request: Request[Any, Any, Any],
    deal_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    await deal_svc.readable_deal(db, member.user, deal_id)

    async def act(values: dict[str, str]) -> str:
        data = body(
            values, ("vehicle_plate", "carrier", "manifest_no", "dispatched_t"), ("dispatched_t",)
        )
        if (at := china_local(values.get("dispatched_at"))) is not None:
            data["dispatched_at"] = at
        ship_in: ShipmentIn = validate(ShipmentIn, data)
        await shipments.record_shipment(
            db,
            member.user,
            settings,
            deal_id,
            shipments.DispatchInput(**ship_in.model_dump(exclude={"pack_codes"})),
        )
        return f"/deals/{deal_id}#shipments"

    again = _deal_again(db, deal_id, settings)
    return await run_form(request, member, db, Posted("dispatch"), act, again)


async def _shipment_deal(db: AsyncSession, member: Viewer, shipment_id: int) -> int:
    load = await shipments.visible_shipment(db, member.user, shipment_id)
    return load.deal_id


async def _on_load(
    request: Request[Any, Any, Any],
    member: Viewer,
    db: AsyncSession,
    settings: Settings,
    shipment_id: int,
    name: str,
    apply: Callable[[dict[str, str]], Awaitable[None]],
) -> Response[Any]:
    """A form about one load (receipt, settlement): ``apply`` it, then back to the load on
    its deal page, or the deal page again with the refusal beside the form ``name``."""
    deal_id = await _shipment_deal(db, member, shipment_id)

    async def act(values: dict[str, str]) -> str:
        await apply(values)
        return f"/deals/{deal_id}#shipment-{shipment_id}"

    again = _deal_again(db, deal_id, settings)
    return await run_form(request, member, db, Posted(name, shipment_id), act, again)


@post("/shipments/{shipment_id:int}/receive", name="web-shipment-receive")
async def receive_form(
    request: Request[Any, Any, Any],
    shipment_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    async def apply(values: dict[str, str]) -> None:
        data = body(values, ("received_t",), ("received_t",))
        if (at := china_local(values.get("received_at"))) is not None:
            data["received_at"] = at
        receive_in: ReceiveIn = validate(ReceiveIn, data)
        receipt = shipments.ReceiptInput(**receive_in.model_dump(exclude={"pack_codes"}))
        await shipments.receive(db, member.user, settings, shipment_id, receipt)

    return await _on_load(request, member, db, settings, shipment_id, "receive", apply)


@post("/shipments/{shipment_id:int}/dispute/propose", name="web-dispute-propose")
async def propose_form(
    request: Request[Any, Any, Any],
    shipment_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    async def apply(values: dict[str, str]) -> None:
        proposal: ProposeSettlementIn = validate(
            ProposeSettlementIn, body(values, ("settled_t", "note"), ("settled_t",))
        )
        await disputes.propose(db, member.user, shipment_id, proposal.settled_t, proposal.note)

    return await _on_load(request, member, db, settings, shipment_id, "propose", apply)


@post("/shipments/{shipment_id:int}/dispute/accept", name="web-dispute-accept")
async def accept_settlement_form(
    request: Request[Any, Any, Any],
    shipment_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    async def apply(values: dict[str, str]) -> None:
        accepted: AcceptSettlementIn = validate(
            AcceptSettlementIn, body(values, ("settled_t",), ("settled_t",))
        )
        await disputes.accept(db, member.user, shipment_id, accepted.settled_t)

    return await _on_load(request, member, db, settings, shipment_id, "settle", apply)


@post("/shipments/{shipment_id:int}/dispute/decide", name="web-dispute-decide")
async def decide_form(
    request: Request[Any, Any, Any],
    shipment_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    """A regulator decides the tonnes that count (the service refuses anyone else)."""

    async def apply(values: dict[str, str]) -> None:
        decision: DecideSettlementIn = validate(
            DecideSettlementIn, body(values, ("settled_t", "note"), ("settled_t",))
        )
        await disputes.decide(db, member.user, shipment_id, decision.settled_t, decision.note)

    return await _on_load(request, member, db, settings, shipment_id, "decide", apply)


@post("/deals/{deal_id:int}/close", name="web-deal-close")
async def close_form(
    request: Request[Any, Any, Any],
    deal_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Response[Any]:
    await deal_svc.readable_deal(db, member.user, deal_id)

    async def act(values: dict[str, str]) -> str:
        await deal_svc.settle_short(db, member.user, deal_id)
        return f"/deals/{deal_id}"

    again = _deal_again(db, deal_id, settings)
    return await run_form(request, member, db, Posted("close"), act, again)


@get("/shipments/{shipment_id:int}/manifest.xlsx", name="web-shipment-manifest")
async def manifest_workbook(shipment_id: FromPath[int], member: Member, db: Db) -> Response[bytes]:
    """The load's transfer manifest (转移联单) as the API's workbook, with the session."""
    load = await shipments.visible_shipment(db, member.user, shipment_id)
    found = (await db.exec(select(Manifest).where(Manifest.shipment_id == load.id))).first()
    if found is None or found.id is None:
        raise NotFound(f"shipment {shipment_id} has no transfer manifest")
    view = await manifest_view(db, await manifests.readable_manifest(db, member.user, found.id))
    return Response(
        to_xlsx(view),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="manifest_{view.number}.xlsx"'},
    )


# --- /my/shipments -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRow:
    load: ShipmentOut
    deal: DealOut
    outgoing: bool


@get("/my/shipments", name="web-my-shipments")
async def my_shipments(member: Member, db: Db) -> Template:
    loads, total = await shipments.list_shipments(
        db, member.user, status=None, overdue=None, deal_id=None, page=1, page_size=ROWS
    )
    deal_ids = {s.deal_id for s in loads}
    found = list((await db.exec(select(Deal).where(col(Deal.id).in_(deal_ids)))).all())
    views = {d.id: d for d in await deal_views(db, found)}
    mine = set(member.org_ids)
    rows = [
        LoadRow(shipment_view(s), views[s.deal_id], _role(views[s.deal_id], mine) == "seller")
        for s in loads
    ]
    return page(
        "trade_shipments.html",
        member,
        outgoing=[r for r in rows if r.outgoing],
        incoming=[r for r in rows if not r.outgoing],
        total=total,
        **_helpers(await lookups.materials(db)),
    )


routes = [
    my_bids,
    my_deals,
    deal_page,
    dispatch_form,
    receive_form,
    propose_form,
    accept_settlement_form,
    decide_form,
    close_form,
    manifest_workbook,
    my_shipments,
]
