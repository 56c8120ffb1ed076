"""Every table of every domain, imported once so Alembic and the tests see one metadata.

Services import their models from their own domain (``market.offers.models``); this module
exists only for tools that need the whole schema.
"""

from market.accounts.models import ApiToken, Membership, Organization, Permit, Site, User
from market.alerts.models import Notification, SavedSearch, WebhookAttempt, WebhookDelivery
from market.catalogue.models import Grade, GradeLimit, Material, MaterialParameter
from market.core.audit_model import AuditEvent
from market.geo.models import RegionRecord
from market.ledger.models import Ledger, UtilisationTarget
from market.offers.document_models import ListingDocument
from market.offers.models import Demand, Listing
from market.stats.scenario_models import AllocationScenario
from market.trading.models import Bid, Deal, Shipment, Tender
from market.trading.pack_models import BatteryPack, BatteryPackEvent

__all__ = [
    "AllocationScenario",
    "ApiToken",
    "AuditEvent",
    "BatteryPack",
    "BatteryPackEvent",
    "Bid",
    "Deal",
    "Demand",
    "Grade",
    "GradeLimit",
    "Ledger",
    "Listing",
    "ListingDocument",
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
