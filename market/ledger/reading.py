"""Reading an uploaded ledger file into raw rows, within limits that keep a worker free.

An upload is untrusted and small files can be expensive: a 1.7 KB workbook whose sheet
declares ``A1:XFD1048576`` makes a padding reader build a million rows of 16,384 cells, a zip
bomb unpacks tens of megabytes of XML from a few kilobytes, and a CSV of a hundred thousand
valid rows is a minute of checks and writes. So, before and while reading:

* an .xlsx is a ZIP archive: its members' declared sizes (Python's ``zipfile`` never
  unpacks past them) are summed and compared, and so is each member's compression ratio,
  before openpyxl opens it;
* a sheet whose declared used range is wider than the column limit is refused; the sheet
  is then streamed (openpyxl read-only, values only) without padding rows to that range,
  and never wider than the limit (a range that understates the width gains nothing);
* reading stops at the first stretch of :data:`BLANK_STRETCH` blank rows (where a sheet
  ends), and at a row or column past its limit, or past the time allowed;
* a CSV field longer than the ``csv`` module's limit is a 422 naming the row, not a 500.

Every refusal is a :class:`FileTooLarge` (413) naming the limit and the setting that sets
it. The functions here are synchronous and pure (no database): the importer runs them in a
worker thread so that the event loop keeps answering.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from market.core.errors import Invalid, Problem
from market.core.settings import Settings, env_name

#: Consecutive blank rows taken as the end of the data (nothing after them is read).
BLANK_STRETCH = 100
#: How often (in rows) the reader looks at the clock.
CLOCK_EVERY = 256
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileTooLarge(Problem):
    """413: the file is over one of the import's limits; nothing was imported."""

    status = 413

    def __init__(self, reason: str, setting: str) -> None:
        detail = f"{reason} (limit set by {env_name(setting)}); nothing was imported"
        super().__init__(detail, errors=[{"field": "file", "reason": reason}])


@dataclass(frozen=True)
class Limits:
    """The import's limits, from :class:`Settings` (``ledger_import_*``)."""

    rows: int
    columns: int
    unpacked_bytes: int
    ratio: int
    seconds: float

    @classmethod
    def defaults(cls) -> Limits:
        """The limits of a default configuration, without reading the environment."""
        return cls.from_settings(Settings.model_construct())

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            rows=settings.ledger_import_max_rows,
            columns=settings.ledger_import_max_columns,
            unpacked_bytes=settings.ledger_import_max_unpacked_mb * 1_000_000,
            ratio=settings.ledger_import_max_ratio,
            seconds=settings.ledger_import_seconds,
        )


def is_xlsx(content: bytes) -> bool:
    """An .xlsx file is a ZIP archive; anything else is read as CSV text."""
    return content[:4] == b"PK\x03\x04"


def decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise Invalid("file", "CSV must be UTF-8 or GB18030 text") from exc


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_archive(content: bytes, limits: Limits) -> None:
    """Refuse a workbook that would unpack too far, from the ZIP directory alone."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Invalid("file", f"not a readable .xlsx workbook: {exc}") from exc
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.unpacked_bytes:
        raise FileTooLarge(
            f"the workbook unpacks to {unpacked / 1e6:,.1f} MB, more than "
            f"{limits.unpacked_bytes / 1e6:,.0f} MB",
            "ledger_import_max_unpacked_mb",
        )
    for m in members:
        # Tiny members compress oddly well (an empty sheet); only large ones are bombs.
        if m.file_size > 1_000_000 and m.file_size > limits.ratio * max(m.compress_size, 1):
            raise FileTooLarge(
                f"{m.filename} is compressed {m.file_size // max(m.compress_size, 1):,} to 1, "
                f"more than {limits.ratio:,} to 1",
                "ledger_import_max_ratio",
            )


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[tuple[Any, ...]]:
    check_archive(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Invalid("file", f"not a readable .xlsx workbook: {exc}") from exc
    try:
        sheet = book["台账"] if "台账" in book.sheetnames else book.worksheets[0]
        # The used range Excel declares (<dimension ref="A1:XFD1048576"/>); None if absent.
        declared = sheet.max_column
        if isinstance(declared, int) and declared > limits.columns:
            raise FileTooLarge(
                f"the sheet's used range is {declared:,} columns wide, more than "
                f"{limits.columns:,}; delete the columns right of the ledger",
                "ledger_import_max_columns",
            )
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:  # read-only sheets: never pad rows to the declared range
            reset()
        # A sheet whose range understates its width is read no wider than the limit.
        yield from sheet.iter_rows(max_col=limits.columns, values_only=True)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:
        raise Invalid("file", f"not a readable .xlsx workbook: {exc}") from exc
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(decode_csv(content)))
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field larger than 131,072 characters
            raise Invalid("file", f"row {reader.line_num}: {exc}") from exc
        yield values


def read_rows(content: bytes, limits: Limits) -> list[tuple[int, tuple[Any, ...]]]:
    """(spreadsheet row number, cell values) of the non-blank rows of the first sheet.

    Raises :class:`FileTooLarge` as soon as a limit is passed, so a hostile file costs at
    most the limits' worth of work.
    """
    source: Iterator[Any] = _xlsx_rows(content, limits) if is_xlsx(content) else _csv_rows(content)
    deadline = time.monotonic() + limits.seconds
    rows: list[tuple[int, tuple[Any, ...]]] = []
    blanks = 0
    for number, values in enumerate(source, start=1):
        if number % CLOCK_EVERY == 0 and time.monotonic() > deadline:
            raise FileTooLarge(
                f"the file took more than {limits.seconds:g} s to read", "ledger_import_seconds"
            )
        if all(blank(v) for v in values):
            blanks += 1
            if blanks >= BLANK_STRETCH:
                break
            continue
        blanks = 0
        if len(values) > limits.columns and any(not blank(v) for v in values[limits.columns :]):
            raise FileTooLarge(
                f"row {number} has a value beyond column {limits.columns:,}",
                "ledger_import_max_columns",
            )
        if len(rows) > limits.rows:  # the header and ``rows`` data rows are already in
            raise FileTooLarge(
                f"the file has more than {limits.rows:,} ledger rows; split it",
                "ledger_import_max_rows",
            )
        # A tuple of plain values: the garbage collector stops tracking it, so 100,000 rows
        # held for the parse do not set off full collections that pause every thread.
        rows.append((number, tuple(values[: limits.columns])))
    return rows
