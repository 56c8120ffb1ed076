"""Traction batteries pack by pack: the API over :mod:`market.trading.packs`, the spreadsheet
import of packs and the traceability report for the national platform.

Placed after ``ledger`` in the layer order (it reuses the ledger import's bounded file
reader, :mod:`market.ledger.reading`) and before ``stats``; the rules every deal obeys live
in trading (:mod:`market.trading.packs`), which this package only calls.
"""
