"""Alerts: buyers' saved searches, the notifications they raise, and webhook deliveries.

A saved search is evaluated whenever a listing is posted or changed
(:func:`market.alerts.saved_searches.listing_changed`); each match stores a notification for the
searching organisation and, if it set a webhook URL, a *pending* delivery. Deliveries are
sent later by :func:`market.alerts.delivery.deliver_due`, outside the listing request,
so a slow or broken receiver never slows the producer who posted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType, ScaledDecimal, yuan

NOTIFICATION_KINDS = ("listing_match",)
#: pending → delivered | failed. "failed" is final: the attempts ran out (or the webhook was
#: removed before the delivery could be sent).
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class SavedSearch(SQLModel, table=True):
    """What a buyer wants to hear about: a material within ``radius_km`` of one of its sites.

    ``requirements`` has the shape of a demand's (``{param: {"min": "1.5", "max": null}}``,
    exact decimal strings); ``grade_key`` names a grade of ``material_code`` (grades are per
    material). A listing matches unless its spec *fails* them: missing values do not stop a
    notification, they are listed in it so the buyer knows what to ask for. ``active`` lets a
    search be paused without losing it; the API creates active searches and deletes outright.
    """

    __tablename__ = "saved_searches"
    __table_args__ = (Index("ix_saved_searches_material_active", "material_code", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="sites.id", ondelete="CASCADE")
    material_code: str = Field(foreign_key="materials.code", max_length=40)
    radius_km: Decimal = Field(sa_column=Column(ScaledDecimal(1), nullable=False))
    requirements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    grade_key: str | None = Field(default=None, max_length=60)
    max_price_cny_t: Decimal | None = Field(default=None, sa_column=Column(yuan()))
    active: bool = True
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class Notification(SQLModel, table=True):
    """Something an organisation was told, kept whether or not a webhook was configured.

    ``listing_fingerprint`` identifies the version of the listing that matched (a hash of
    what a buyer judges: site, spec, price), and is unique per saved search and listing, so a
    change of title or quantity does not notify again but a new price or test result does.
    ``read_at`` is per organisation: one member marking it read marks it for all.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "saved_search_id",
            "listing_id",
            "listing_fingerprint",
            name="uq_notifications_search_listing_version",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=30)
    listing_id: int | None = Field(
        default=None, foreign_key="listings.id", index=True, ondelete="CASCADE"
    )
    #: Null once the saved search is deleted; the notification itself stays.
    saved_search_id: int | None = Field(
        default=None, foreign_key="saved_searches.id", ondelete="SET NULL"
    )
    listing_fingerprint: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    read_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class WebhookDelivery(SQLModel, table=True):
    """One notification to POST to an organisation's webhook, and where that stands.

    ``body`` is the exact JSON text sent (and signed) on every attempt, so a receiver that
    de-duplicates on ``X-Exchange-Delivery`` sees identical retries. ``next_attempt_at`` is
    both the retry schedule and the claim: a sender moves it into the future (a lease) with a
    conditional UPDATE before posting, so two app processes never send the same attempt.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    notification_id: int = Field(foreign_key="notifications.id", index=True, ondelete="CASCADE")
    event: str = Field(max_length=30)
    url: str = Field(max_length=500)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    delivered_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per POST tried, successful or not (append-only)."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", index=True, ondelete="CASCADE")
    attempted_at: datetime = Field(sa_column=ts_column())
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
