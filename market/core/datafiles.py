"""Reading the service's own data files (``market/data/``): TOML validated entry by entry.

Domain data (the seed catalogue, the demo roster) lives in TOML files a reviewer can check
against DOMAIN.md and diff, not in Python literals. The loaders validate at import time, so a
bad edit stops the tests and ``market db upgrade`` with a message naming the file and the
entry, instead of seeding wrong data. Each entry is validated on its own with a strict
pydantic model (unknown keys forbidden, no silent type coercion) so the error can say which
entry is wrong; cross-entry checks are the loaders' own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

#: The data directory inside the installed package (shipped as package data).
DATA_DIR: Final[Traversable] = files("market") / "data"


class DataFileError(ValueError):
    """A data file that cannot be loaded; the message names the file and the entry."""


class StrictRow(BaseModel):
    """Base of file-entry models: unknown keys and loose types are errors, rows immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


RowT = TypeVar("RowT", bound=StrictRow)

#: For list fields of an entry, the key inside each item that names it in error messages.
_ITEM_NAMES: Final = ("parameter", "suffix", "key", "site", "kind")


def read_toml(path: Traversable, *, exact_decimals: bool = False) -> dict[str, Any]:
    """Parse ``path``; a syntax error (including a key written twice) names the file.

    ``exact_decimals`` reads TOML floats as :class:`~decimal.Decimal`, for figures that must
    reproduce a standard's value exactly.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path}: file missing") from None
    try:
        return tomllib.loads(text, parse_float=Decimal if exact_decimals else float)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"{path}: not valid TOML: {exc}") from None


def _describe(exc: ValidationError, raw: object) -> str:
    """Pydantic's errors as "where: what", naming list items by their key where they have one."""
    parts = []
    for error in exc.errors():
        loc = [str(x) for x in error["loc"]]
        if len(loc) >= 2 and isinstance(raw, Mapping) and isinstance(error["loc"][1], int):
            items, index = raw.get(loc[0]), int(loc[1])
            item = items[index] if isinstance(items, list) and index < len(items) else None
            if isinstance(item, Mapping):
                name = next((item[k] for k in _ITEM_NAMES if isinstance(item.get(k), str)), None)
                if name is not None:
                    loc[:2] = [f"{loc[0]} {name!r}:"]
        where = ".".join(loc).replace(":.", ": ").rstrip(":") or "entry"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def validate_row(model: type[RowT], raw: object, where: str) -> RowT:
    """``raw`` as a ``model``; ``where`` ("<file>: material 'x'") prefixes any error."""
    if not isinstance(raw, Mapping):
        raise DataFileError(f"{where}: expected a table, got {raw!r}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise DataFileError(f"{where}: {_describe(exc, raw)}") from None


def first_duplicate(items: Iterable[str]) -> str | None:
    """The first item that occurs twice, or None."""
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
