"""Trading: bids, tenders, deals, stock, shipments and receipts.

Importing the package tells ``market.core.hooks`` who has a deal on which listing, which
lifts the producer's anonymity for that buyer.
"""

from market.core import hooks
from market.trading import parties

hooks.provide_dealt_listings(parties.dealt_listing_ids)
