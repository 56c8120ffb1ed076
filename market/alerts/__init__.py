"""Alerts: saved searches, notifications, webhooks.

Importing the package connects saved searches to ``market.core.hooks``, so a listing that is
created or changed notifies the searches it matches.
"""

from market.alerts import saved_searches
from market.core import hooks

hooks.on_listing_changed(saved_searches.listing_changed)
