"""Text written into a spreadsheet someone will open: never a live formula.

A name chosen by a user (a site called ``=HYPERLINK("http://…","点击")``) becomes a formula
when written to a cell as is, and Excel runs it for whoever opens the file. Text that
starts like a formula gets a leading apostrophe, which Excel shows as text; control
characters openpyxl refuses are dropped. The same rule as the utilisation export's
(:func:`market.stats.export.safe_text`), here so that every domain's workbook shares it.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula. Numbers never come here, so a
    negative figure keeps its sign."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def safe_cell(value: Any) -> Any:
    """A cell value: text made safe, anything else (numbers, None) as it is."""
    return safe_text(value) if isinstance(value, str) else value
