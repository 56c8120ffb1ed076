"""Reading geodata's own tables in ``geodata/data/``: small CSV and TOML files, checked.

The place, district and outline tables are data an administrator may correct from an
official source, so they live in files a reviewer can diff rather than in Python literals.
Their loaders (:mod:`geodata.districts`, :mod:`geodata.places`, :mod:`geodata.regions`) check
them at import; every problem is a :class:`DataFileError` naming the file, the line and the
entry, so a bad edit fails loudly instead of misplacing listings.

CSV files may open with comment lines starting with ``#``; the first other line is the header,
which must list exactly the columns the loader expects.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final

from geodata.datums import out_of_china

#: The directory of geodata's data files inside the installed package.
DATA_DIR: Final[Traversable] = files("geodata") / "data"


class DataFileError(ValueError):
    """A geodata data file that cannot be loaded; the message names the file and entry."""


@dataclass(frozen=True)
class Row:
    """One CSV record with where it came from, for error messages."""

    path: str
    line: int
    values: dict[str, str]

    @property
    def where(self) -> str:
        code = self.values.get("code")
        entry = f" ({code})" if code else ""
        return f"{self.path}: line {self.line}{entry}"

    def error(self, problem: str) -> DataFileError:
        return DataFileError(f"{self.where}: {problem}")

    def text(self, column: str, *, required: bool = True) -> str:
        value = self.values[column].strip()
        if required and not value:
            raise self.error(f"{column} is empty")
        return value

    def number(self, column: str, *, positive: bool = False) -> float:
        raw = self.text(column)
        try:
            value = float(raw)
        except ValueError:
            raise self.error(f"{column} is not a number: {raw!r}") from None
        if not math.isfinite(value) or (positive and value <= 0):
            raise self.error(f"{column} must be a {'positive' if positive else 'finite'} number")
        return value

    def point(self) -> tuple[float, float]:
        """The row's ``lon``/``lat``, checked to be where GCJ-02 applies (inside China)."""
        lon, lat = self.number("lon"), self.number("lat")
        if out_of_china(lon, lat):
            raise self.error(f"point ({lon}, {lat}) is outside China: not a GCJ-02 point")
        return lon, lat

    def aliases(self) -> tuple[str, ...]:
        raw = self.text("aliases", required=False)
        names = tuple(a.strip() for a in raw.split("|")) if raw else ()
        if any(not a for a in names):
            raise self.error("aliases has an empty entry")
        return names


def read_csv(path: Traversable, columns: tuple[str, ...]) -> Iterator[Row]:
    """The records of ``path``, after checking its header is exactly ``columns``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path}: file missing") from None
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and lines[skip].startswith("#"):
        skip += 1
    reader = csv.reader(io.StringIO("\n".join(lines[skip:])))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != columns:
        raise DataFileError(f"{path}: line {skip + 1}: header must be {','.join(columns)}")
    codes: set[str] = set()
    for record in reader:
        line = skip + reader.line_num
        if not record:
            continue
        if len(record) != len(columns):
            raise DataFileError(
                f"{path}: line {line}: {len(record)} fields, expected {len(columns)}"
            )
        row = Row(str(path), line, dict(zip(columns, record, strict=True)))
        code = row.values.get("code")
        if code is not None:
            if code in codes:
                raise row.error("duplicate code")
            codes.add(code)
        yield row


def read_toml(path: Traversable) -> dict[str, Any]:
    """Parse ``path``; syntax errors (including a key written twice) name the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"{path}: file missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"{path}: not valid TOML: {exc}") from None


def lonlat_list(path: Traversable, where: str, value: object) -> tuple[tuple[float, float], ...]:
    """A TOML array of ``[lon, lat]`` pairs as float tuples, checked to lie inside China."""
    if not isinstance(value, list) or not value:
        raise DataFileError(f"{path}: {where}: expected a list of [lon, lat] pairs")
    points = []
    for i, pair in enumerate(value):
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        )
        if not ok or out_of_china(float(pair[0]), float(pair[1])):
            raise DataFileError(f"{path}: {where}: point {i + 1} is not a [lon, lat] in China")
        points.append((float(pair[0]), float(pair[1])))
    return tuple(points)
