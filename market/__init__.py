"""The exchange service: settings, database, models, domain services, HTTP API, pages, CLI.

Depends on ``matching`` and ``geodata``; nothing depends on it.
"""
