"""Trading: bids, tenders, deals, stock, shipments and receipts.

Importing the package tells ``market.core.hooks`` who has a deal on which listing or demand,
which lifts the producer's anonymity for that buyer and the buyer's for that seller, and who
has bid on which listing (a bidder sees the listing's parties-only lab reports).
"""

from market.core import hooks
from market.trading import parties

hooks.provide_dealt_listings(parties.dealt_listing_ids)
hooks.provide_dealt_demands(parties.dealt_demand_ids)
hooks.provide_bid_listings(parties.bid_listing_ids)
