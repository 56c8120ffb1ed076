"""SQLModel tables. Import from here so Alembic and the services see one metadata."""

from market.models.accounts import ApiToken, Membership, Organization, Permit, User
from market.models.alerts import Notification, SavedSearch, WebhookAttempt, WebhookDelivery
from market.models.audit import AuditEvent
from market.models.catalogue import Grade, GradeLimit, Material, MaterialParameter
from market.models.ledger import Ledger, UtilisationTarget
from market.models.listings import Demand, Listing
from market.models.regions import RegionRecord
from market.models.sites import Site
from market.models.trading import Bid, Deal, Shipment, Tender

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Bid",
    "Deal",
    "Demand",
    "Grade",
    "GradeLimit",
    "Ledger",
    "Listing",
    "Material",
    "MaterialParameter",
    "Membership",
    "Notification",
    "Organization",
    "Permit",
    "RegionRecord",
    "SavedSearch",
    "Shipment",
    "Site",
    "Tender",
    "User",
    "UtilisationTarget",
    "WebhookAttempt",
    "WebhookDelivery",
]
