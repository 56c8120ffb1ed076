"""Pairing waste supplies with demands: specifications, candidates, ranking, allocation.

Pure functions over frozen dataclasses (no database, no web imports); depends only on
``geodata``. Modules: ``specs`` (limits, parameters, grades), ``compliance`` (exact Decimal
checks and bilingual summaries), ``candidates`` (spatial index), ``model`` (Supply, Demand,
Match), ``scoring`` (filters and score, vectorised), ``explain`` (Match sentences),
``engine`` (DemandBook, SupplyBook, brute-force oracle), ``allocation`` (city-wide LP).
"""
