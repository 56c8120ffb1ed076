"""SQLModel tables. Import from here so Alembic and the services see one metadata."""

from market.models.accounts import ApiToken, Membership, Organization, Permit, User
from market.models.catalogue import Grade, GradeLimit, Material, MaterialParameter
from market.models.listings import Demand, Listing
from market.models.sites import Site

__all__ = [
    "ApiToken",
    "Demand",
    "Grade",
    "GradeLimit",
    "Listing",
    "Material",
    "MaterialParameter",
    "Membership",
    "Organization",
    "Permit",
    "Site",
    "User",
]
