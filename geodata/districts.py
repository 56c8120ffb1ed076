"""Jingmen's five county-level units (DOMAIN.md §5): adcode → Chinese name.

One table for the whole code base: the service, the pages and the demo data read it here.
"""

from __future__ import annotations

from typing import Final

DISTRICT_NAMES: Final[dict[str, str]] = {
    "420802": "东宝区",
    "420804": "掇刀区",
    "420822": "沙洋县",
    "420881": "钟祥市",
    "420882": "京山市",
}
DISTRICT_CODES: Final = frozenset(DISTRICT_NAMES)
