"""Deals and their shipments: read deals, record loads, confirm receipts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid
from market.offers.api_listings import Page, PageSize
from market.trading import deals as svc
from market.trading import shipments
from market.trading.models import DEAL_STATUSES
from market.trading.schemas import ReceiveIn, ShipmentIn
from market.trading.views import deal_views, shipment_view

DealStatus = Annotated[str | None, QueryParameter(description="active, completed, cancelled")]
ShipmentStatus = Annotated[str | None, QueryParameter(description="dispatched, received, disputed")]


@get("/deals", tags=["deals"], summary="Deals you are a party to (regulators: all)")
async def list_deals(
    user: CurrentUser,
    db: Db,
    status: DealStatus = None,
    listing_id: FromQuery[int | None] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    if status is not None and status not in DEAL_STATUSES:
        raise Invalid("status", f"must be one of {', '.join(DEAL_STATUSES)}")
    deals = await svc.list_deals(
        db, user, status=status, listing_id=listing_id, page=page, page_size=page_size
    )
    return {"items": await deal_views(db, deals), "page": page, "page_size": page_size}


@get("/deals/{deal_id:int}", tags=["deals"], summary="A deal with its shipments")
async def get_deal(deal_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    deal = await svc.readable_deal(db, user, deal_id)
    return (await deal_views(db, [deal], with_shipments=True))[0]


@post("/deals/{deal_id:int}/shipments", tags=["deals"], summary="Record a load (the seller)")
async def record_shipment(
    deal_id: FromPath[int],
    data: JSONBody[ShipmentIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> dict[str, Any]:
    shipment = await shipments.record_shipment(
        db, user, settings, deal_id, shipments.DispatchInput(**data.model_dump())
    )
    return shipment_view(shipment)


@post("/shipments/{shipment_id:int}/receive", tags=["deals"], status_code=200)
async def receive_shipment(
    shipment_id: FromPath[int],
    data: JSONBody[ReceiveIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> dict[str, Any]:
    """The buyer confirms a load with its own weighbridge tonnes; beyond the tolerance the
    shipment is ``disputed``."""
    shipment = await shipments.receive(
        db, user, settings, shipment_id, data.received_t, data.received_at
    )
    return shipment_view(shipment)


@post("/deals/{deal_id:int}/close", tags=["deals"], status_code=200)
async def close_deal(deal_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    """Settle a deal short (either party): ``completed`` with what was delivered, or
    ``cancelled`` if nothing was; the tonnes it still held return to the listing. 409 while
    a load is in transit."""
    deal = await svc.settle_short(db, user, deal_id)
    return (await deal_views(db, [deal], with_shipments=True))[0]


@get("/shipments", tags=["deals"], summary="Shipments of your deals (regulators: all)")
async def list_shipments(
    user: CurrentUser,
    db: Db,
    status: ShipmentStatus = None,
    overdue: FromQuery[bool | None] = None,
    deal_id: FromQuery[int | None] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    items = await shipments.list_shipments(
        db,
        user,
        status=status,
        overdue=overdue,
        deal_id=deal_id,
        page=page,
        page_size=page_size,
    )
    return {"items": [shipment_view(s) for s in items], "page": page, "page_size": page_size}


routes = [list_deals, get_deal, close_deal, record_shipment, receive_shipment, list_shipments]
