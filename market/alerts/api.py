"""Alerts: saved searches, notifications, an organisation's webhook and its delivery log.

Saved searches, notifications and deliveries are private to the organisation: another
organisation's ids answer 404, so ids cannot be probed. Regulators read notifications
(the city watches what is offered to whom) but change nothing.
"""

from __future__ import annotations

from litestar import delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from market.accounts.deps import CurrentUser
from market.alerts import saved_searches as svc
from market.alerts import webhooks
from market.alerts.models import Notification, SavedSearch
from market.alerts.schemas import (
    DeliveryOut,
    DeliveryStatus,
    NotificationOut,
    PageNumber,
    PageSize,
    SavedSearchIn,
    SavedSearchOut,
    WebhookIn,
    WebhookOut,
)
from market.core import decimals as dec
from market.core.deps import AppSettings, Db
from market.core.openapi import problems
from market.core.schemas import Page

SIGNATURE = (
    "X-Exchange-Signature: sha256=<hex HMAC-SHA256(secret, X-Exchange-Timestamp + '.' + body)>"
)


def saved_search_out(search: SavedSearch) -> SavedSearchOut:
    return SavedSearchOut.model_validate(
        {
            "id": search.id,
            "organization_id": search.organization_id,
            "site_id": search.site_id,
            "material_code": search.material_code,
            "radius_km": dec.km(search.radius_km),
            "requirements": dict(search.requirements),
            "grade": search.grade_key,
            "max_price_cny_t": dec.opt_cny(search.max_price_cny_t),
            "active": search.active,
            "created_at": search.created_at,
        }
    )


def notification_out(note: Notification) -> NotificationOut:
    return NotificationOut.model_validate(
        {
            "id": note.id,
            "organization_id": note.organization_id,
            "kind": note.kind,
            "listing_id": note.listing_id,
            "saved_search_id": note.saved_search_id,
            "payload": dict(note.payload),
            "created_at": note.created_at,
            "read_at": note.read_at,
            "read": note.read_at is not None,
        }
    )


@post(
    "/saved-searches",
    tags=["alerts"],
    summary="Save a search around one of your sites; matching new listings notify you",
    responses=problems(403),
)
async def create_saved_search(
    data: JSONBody[SavedSearchIn], user: CurrentUser, db: Db
) -> SavedSearchOut:
    return saved_search_out(await svc.create_saved_search(db, user, data))


@get("/saved-searches", tags=["alerts"], summary="Your organisations' saved searches")
async def list_saved_searches(user: CurrentUser, db: Db) -> Page[SavedSearchOut]:
    items = [saved_search_out(s) for s in await svc.visible_searches(db, user)]
    return Page[SavedSearchOut](items=items, total=len(items), page=1, page_size=len(items))


@delete(
    "/saved-searches/{search_id:int}",
    tags=["alerts"],
    summary="Delete a saved search",
    responses=problems(403),
)
async def delete_saved_search(search_id: FromPath[int], user: CurrentUser, db: Db) -> None:
    await svc.delete_saved_search(db, user, search_id)


@get("/notifications", tags=["alerts"], summary="Your organisations' notifications, newest first")
async def list_notifications(
    user: CurrentUser,
    db: Db,
    unread: FromQuery[bool | None] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Page[NotificationOut]:
    items, total = await svc.visible_notifications(
        db, user, unread=unread, page=page, page_size=page_size
    )
    return Page[NotificationOut](
        items=[notification_out(n) for n in items], total=total, page=page, page_size=page_size
    )


@post(
    "/notifications/{notification_id:int}/read",
    tags=["alerts"],
    status_code=200,
    summary="Mark a notification read (for the whole organisation)",
    responses=problems(403),
)
async def read_notification(
    notification_id: FromPath[int], user: CurrentUser, db: Db
) -> NotificationOut:
    return notification_out(await svc.mark_read(db, user, notification_id))


@put(
    "/organizations/{org_id:int}/webhook",
    tags=["alerts"],
    summary="Set or remove the webhook (org admins); returns the new signing secret once",
    responses=problems(403),
)
async def set_webhook(
    org_id: FromPath[int],
    data: JSONBody[WebhookIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> WebhookOut:
    org = await webhooks.set_webhook(db, user, org_id, data.url, settings)
    return WebhookOut(
        organization_id=org_id,
        url=org.webhook_url,
        secret=org.webhook_secret,
        signature=SIGNATURE if org.webhook_url else None,
    )


@get(
    "/webhook-deliveries",
    tags=["alerts"],
    summary="Webhook delivery log of your organisations, with every attempt",
    responses=problems(403, 404),
)
async def list_deliveries(
    user: CurrentUser,
    db: Db,
    organization_id: FromQuery[int | None] = None,
    status: FromQuery[DeliveryStatus | None] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Page[DeliveryOut]:
    items, total = await webhooks.delivery_log(
        db, user, organization_id=organization_id, status=status, page=page, page_size=page_size
    )
    return Page[DeliveryOut](
        items=[DeliveryOut.model_validate(d) for d in items],
        total=total,
        page=page,
        page_size=page_size,
    )


routes = [
    create_saved_search,
    list_saved_searches,
    delete_saved_search,
    list_notifications,
    read_notification,
    set_webhook,
    list_deliveries,
]
