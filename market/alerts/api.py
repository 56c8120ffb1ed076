"""Alerts: saved searches, notifications, an organisation's webhook and its delivery log.

Saved searches, notifications and deliveries are private to the organisation: another
organisation's ids answer 404, so ids cannot be probed. Regulators read notifications
(the city watches what is offered to whom) but change nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import Field, StringConstraints

from market.accounts.deps import CurrentUser
from market.alerts import saved_searches as svc
from market.alerts import webhooks
from market.core.deps import Db
from market.core.schemas import Body, Yuan
from market.offers.api_listings import Page, PageSize
from market.offers.schemas import BoundsIn, bounds

RadiusKm = Annotated[Decimal, Field(gt=0, le=500, decimal_places=1)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class SavedSearchIn(Body):
    site_id: int
    material_code: str
    radius_km: Annotated[RadiusKm, Field(description="km around the site, at most 500")]
    requirements: dict[str, BoundsIn] = Field(default_factory=dict)
    grade: str | None = None
    max_price_cny_t: Yuan | None = None


class WebhookIn(Body):
    url: Annotated[Url | None, Field(description="http(s) URL, or null to remove the webhook")]


@post(
    "/saved-searches",
    tags=["alerts"],
    summary="Save a search around one of your sites; matching new listings notify you",
)
async def create_saved_search(
    data: JSONBody[SavedSearchIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    search = await svc.create_saved_search(
        db,
        user,
        site_id=data.site_id,
        material_code=data.material_code,
        radius_km=data.radius_km,
        requirements=bounds(data.requirements),
        grade=data.grade,
        max_price_cny_t=data.max_price_cny_t,
    )
    return svc.saved_search_view(search)


@get("/saved-searches", tags=["alerts"], summary="Your organisations' saved searches")
async def list_saved_searches(user: CurrentUser, db: Db) -> dict[str, Any]:
    return {"items": [svc.saved_search_view(s) for s in await svc.visible_searches(db, user)]}


@delete("/saved-searches/{search_id:int}", tags=["alerts"], summary="Delete a saved search")
async def delete_saved_search(search_id: FromPath[int], user: CurrentUser, db: Db) -> None:
    await svc.delete_saved_search(db, user, search_id)


@get("/notifications", tags=["alerts"], summary="Your organisations' notifications, newest first")
async def list_notifications(
    user: CurrentUser,
    db: Db,
    unread: FromQuery[bool | None] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    items, total = await svc.visible_notifications(
        db, user, unread=unread, page=page, page_size=page_size
    )
    return {
        "items": [svc.notification_view(n) for n in items],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


@post(
    "/notifications/{notification_id:int}/read",
    tags=["alerts"],
    status_code=200,
    summary="Mark a notification read (for the whole organisation)",
)
async def read_notification(
    notification_id: FromPath[int], user: CurrentUser, db: Db
) -> dict[str, Any]:
    return svc.notification_view(await svc.mark_read(db, user, notification_id))


@put(
    "/organizations/{org_id:int}/webhook",
    tags=["alerts"],
    summary="Set or remove the webhook (org admins); returns the new signing secret once",
)
async def set_webhook(
    org_id: FromPath[int], data: JSONBody[WebhookIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    org = await webhooks.set_webhook(db, user, org_id, data.url)
    return {
        "organization_id": org.id,
        "url": org.webhook_url,
        "secret": org.webhook_secret,
        "signature": (
            "X-Exchange-Signature: sha256=<hex HMAC-SHA256(secret, X-Exchange-Timestamp + '.' + body)>"
            if org.webhook_url
            else None
        ),
    }


@get(
    "/webhook-deliveries",
    tags=["alerts"],
    summary="Webhook delivery log of your organisations, with every attempt",
)
async def list_deliveries(
    user: CurrentUser,
    db: Db,
    organization_id: FromQuery[int | None] = None,
    status: FromQuery[DeliveryStatus | None] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    items, total = await webhooks.delivery_log(
        db, user, organization_id=organization_id, status=status, page=page, page_size=page_size
    )
    return {"items": items, "total": total, "page": page, "page_size": page_size}


routes = [
    create_saved_search,
    list_saved_searches,
    delete_saved_search,
    list_notifications,
    read_notification,
    set_webhook,
    list_deliveries,
]
