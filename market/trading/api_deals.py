"""Deals and their shipments: read deals, record loads, confirm receipts."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.core.openapi import problems
from market.core.schemas import Page
from market.trading import deals as svc
from market.trading import packs, shipments
from market.trading.schemas import (
    DealDetailOut,
    DealOut,
    PageNumber,
    PageSize,
    ReceiveIn,
    ShipmentIn,
    ShipmentOut,
)
from market.trading.views import deal_detail, deal_views, shipment_view

DealStatus = Annotated[str | None, QueryParameter(description="active, completed, cancelled")]
ShipmentStatus = Annotated[str | None, QueryParameter(description="dispatched, received, disputed")]


@get("/deals", tags=["deals"], summary="Deals you are a party to (regulators: all)")
async def list_deals(
    user: CurrentUser,
    db: Db,
    status: DealStatus = None,
    listing_id: FromQuery[int | None] = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[DealOut]:
    deals, total = await svc.list_deals(
        db, user, status=status, listing_id=listing_id, page=page, page_size=page_size
    )
    items = await deal_views(db, deals)
    return Page[DealOut](items=items, total=total, page=page, page_size=page_size)


@get("/deals/{deal_id:int}", tags=["deals"], summary="A deal with its shipments")
async def get_deal(
    deal_id: FromPath[int], user: CurrentUser, db: Db, settings: AppSettings
) -> DealDetailOut:
    """Both parties and sites in full, the loads and, for a standing contract, its monthly
    schedule (due, delivered, shortfall, overrun, carried in)."""
    deal = await svc.readable_deal(db, user, deal_id)
    return await deal_detail(db, deal, settings.receipt_tolerance_pct)


@post(
    "/deals/{deal_id:int}/shipments",
    tags=["deals"],
    summary="Record a load (the seller)",
    responses=problems(403, 409),
)
async def record_shipment(
    deal_id: FromPath[int],
    data: JSONBody[ShipmentIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> ShipmentOut:
    body = data.model_dump(exclude={"pack_codes"})
    shipment = await shipments.record_shipment(
        db, user, settings, deal_id, shipments.DispatchInput(**body)
    )
    if data.pack_codes:
        await packs.ship_packs(db, user, shipment.id or 0, data.pack_codes)
    return shipment_view(shipment)


@post(
    "/shipments/{shipment_id:int}/receive",
    tags=["deals"],
    status_code=200,
    responses=problems(403, 409),
)
async def receive_shipment(
    shipment_id: FromPath[int],
    data: JSONBody[ReceiveIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> ShipmentOut:
    """The buyer confirms a load with its own weighbridge tonnes; beyond the tolerance the
    shipment is ``disputed``."""
    body = data.model_dump(exclude={"pack_codes"})
    shipment = await shipments.receive(
        db, user, settings, shipment_id, shipments.ReceiptInput(**body)
    )
    if data.pack_codes is not None:
        await packs.receive_packs(db, user, shipment_id, data.pack_codes, shipment.received_at)
    return shipment_view(shipment)


@post("/deals/{deal_id:int}/close", tags=["deals"], status_code=200, responses=problems(403, 409))
async def close_deal(
    deal_id: FromPath[int], user: CurrentUser, db: Db, settings: AppSettings
) -> DealDetailOut:
    """Settle a deal short (either party): ``completed`` with what was delivered, or
    ``cancelled`` if nothing was; the tonnes it still held return to the listing. 409 while
    a load is in transit."""
    deal = await svc.settle_short(db, user, deal_id)
    return await deal_detail(db, deal, settings.receipt_tolerance_pct)


@get("/shipments", tags=["deals"], summary="Shipments of your deals (regulators: all)")
async def list_shipments(
    user: CurrentUser,
    db: Db,
    status: ShipmentStatus = None,
    overdue: FromQuery[bool | None] = None,
    deal_id: FromQuery[int | None] = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[ShipmentOut]:
    loads, total = await shipments.list_shipments(
        db,
        user,
        status=status,
        overdue=overdue,
        deal_id=deal_id,
        page=page,
        page_size=page_size,
    )
    items = [shipment_view(s) for s in loads]
    return Page[ShipmentOut](items=items, total=total, page=page, page_size=page_size)


routes = [list_deals, get_deal, close_deal, record_shipment, receive_shipment, list_shipments]
