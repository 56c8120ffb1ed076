"""Bulk ledger import from CSV or Excel: rows to ledger entries, then all or none written.

Producers keep their 台账 in Excel and often export CSV from it, so both are read; CSV may be
UTF-8 (with or without BOM) or GB18030 (what Chinese Excel writes by default). Headers may be
Chinese or English (:mod:`market.ledger.columns`); materials may be given by code or Chinese
name. The template producers fill in is :mod:`market.ledger.template`.

Row numbers in errors are the spreadsheet's own (the header is row 1), so a producer can go
straight to the cell. Parsing problems and domain checks are collected for every row before
anything is written; :func:`market.ledger.service.import_entries` then writes all or none.

**Never on the event loop.** Reading and parsing (:func:`parse_file`) are pure and run in a
worker thread under the limits of :mod:`market.ledger.reading`, before the request's first
query (on SQLite a transaction holds the write lock, which every other request waits for);
the checks and writes that follow yield to the loop between chunks, so other requests
(``/health`` among them) keep being answered while a large file goes in.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.accounts.service import normalise_email
from market.core.errors import Invalid, NotFound, Problem
from market.core.settings import Settings
from market.ledger import worker
from market.ledger.columns import map_header
from market.ledger.models import LEDGER_TONNES
from market.ledger.reading import (
    CLOCK_EVERY,
    XLSX_MEDIA_TYPE,
    FileTooLarge,
    Limits,
    blank,
    read_rows,
)
from market.ledger.rules import LedgerEntry
from market.ledger.service import ImportResult, import_entries, material_names

__all__ = [
    "XLSX_MEDIA_TYPE",
    "count_rows",
    "import_file",
    "parse_file",
    "reporting_user",
    "resolve_materials",
]

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))\s*$")
ParsedRow = tuple[int, LedgerEntry | list[tuple[str, str]]]
#: A parsed row whose material is still as written in the file.
UnresolvedRow = tuple[int, str, LedgerEntry | list[tuple[str, str]]]


def parse_month(value: Any) -> tuple[int, int]:
    if isinstance(value, datetime | date):
        return value.year, value.month
    text = str(value).strip()
    m = _MONTH.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a month; write it as 2026-03")
    return int(m.group(1)), int(m.group(2) or m.group(3))


def parse_tonnes(value: Any) -> Decimal:
    if blank(value):
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc


def parse_site(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a site number") from exc


def parse_row(
    values: Sequence[Any], columns: dict[str, int]
) -> tuple[str, LedgerEntry | list[tuple[str, str]]]:
    """The row's material as written, and its entry (material still as written) or every
    parse error of the row as (field, reason); :func:`resolve_materials` checks the material."""

    def cell(key: str) -> Any:
        i = columns.get(key)
        return values[i] if i is not None and i < len(values) else None

    errors: list[tuple[str, str]] = []
    site_id = year = month = 0
    try:
        site_id = parse_site(cell("site_id"))
    except ValueError as exc:
        errors.append(("site_id", str(exc)))
    material = "" if blank(cell("material_code")) else str(cell("material_code")).strip()
    try:
        year, month = parse_month(cell("month"))
    except ValueError as exc:
        errors.append(("month", str(exc)))
    if blank(cell("generated_t")):
        errors.append(("generated_t", "is required"))
    tonnes: dict[str, Decimal] = {}
    for name in LEDGER_TONNES:
        try:
            tonnes[name] = parse_tonnes(cell(name))
        except ValueError as exc:
            errors.append((name, str(exc)))
    note = "" if blank(cell("note")) else str(cell("note")).strip()[:500]
    if errors:
        return material, errors
    return material, LedgerEntry(site_id, material, year, month, tonnes, note)


def parse_file(content: bytes, limits: Limits) -> list[UnresolvedRow]:
    """Every data row of the file, parsed: (row number, material as written, entry or the
    row's errors).

    Synchronous and database-free, for a worker thread before the request's transaction
    starts (on SQLite that takes the write lock); bounded by ``limits`` (413).
    """
    started = time.monotonic()
    rows = read_rows(content, limits)
    if not rows:
        return []
    (_, header), *data = rows
    columns = map_header(header)
    parsed: list[UnresolvedRow] = []
    for i, (number, values) in enumerate(data):
        if i % CLOCK_EVERY == 0 and time.monotonic() - started > limits.seconds:
            raise FileTooLarge(
                f"the file took more than {limits.seconds:g} s to read", "ledger_import_seconds"
            )
        parsed.append((number, *parse_row(values, columns)))
    return parsed


def resolve_materials(rows: Sequence[UnresolvedRow], materials: dict[str, str]) -> list[ParsedRow]:
    """Materials by code (any case) or Chinese name to codes; an unknown one is the row's
    error, listed after a bad site as the columns go."""
    resolved: list[ParsedRow] = []
    for number, written, item in rows:
        code = materials.get(written) or materials.get(written.lower())
        if code is None:
            error = ("material_code", f"unknown material {written!r}")
            errors = [] if isinstance(item, LedgerEntry) else list(item)
            at = 1 if errors and errors[0][0] == "site_id" else 0
            resolved.append((number, [*errors[:at], error, *errors[at:]]))
        elif isinstance(item, LedgerEntry):
            resolved.append(
                (number, item if code == written else replace(item, material_code=code))
            )
        else:
            resolved.append((number, item))
    return resolved


async def reporting_user(session: AsyncSession, email: str) -> User:
    """The user a CLI import reports as, by e-mail."""
    user = (await session.exec(select(User).where(User.email == normalise_email(email)))).first()
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


async def import_file(
    session: AsyncSession,
    actor: User | None,
    content: bytes,
    settings: Settings,
    progress: Callable[[int], Any] | None = None,
) -> ImportResult:
    """Parse and import a whole file in the caller's transaction (all rows or none).

    ``actor`` None is the trusted CLI operator: any site, no reporting user recorded.
    """
    if not content.strip():
        raise Invalid("file", "the file is empty")
    limits = Limits.from_settings(settings)
    if len(content) >= worker.MIN_BYTES:
        unresolved = await worker.parse_in_process(content, limits)
    else:  # small: a thread is quicker than the process hop and holds the GIL only briefly
        unresolved = await asyncio.to_thread(parse_file, content, limits)
    materials = await material_names(session)  # the transaction starts here
    rows = await asyncio.to_thread(resolve_materials, unresolved, materials)
    return await import_entries(session, actor, rows, settings, progress)


def count_rows(content: bytes, settings: Settings | None = None) -> int:
    """Data rows in a file (for a progress bar's length); 0 if unreadable or over a limit."""
    try:
        limits = Limits.from_settings(settings) if settings else Limits.defaults()
        return max(len(read_rows(content, limits)) - 1, 0)
    except Problem:
        return 0
