"""Hard filters and the ranking score, vectorised over candidate rows.

Score (CNY per tonne, lower is better)::

    road_km    = great-circle km × circuity
    delivered  = supply price + road_km × freight rate        (CNY/t at the buyer's gate)
    volume_fit = min(q_supply, q_demand) / max(q_supply, q_demand)          in [0, 1]
    margin     = worst normalised spec margin (compliance.spec_margin)      in [0, 1]
                 (1 when the demand sets no limits; a missing value counts 0)
    score      = delivered − weight_volume × volume_fit − weight_margin × margin

Delivered cost dominates because it is what the buyer pays and what makes a trade happen;
the two bonuses (a few yuan per tonne by default) only reorder offers of similar cost,
preferring a lot that covers the request in one go and one that meets the spec comfortably
rather than on the edge. Because both bonuses are bounded, ``score ≥ price + rate × road_km
− weight_volume − weight_margin``; the engine uses that bound to stop searching outward.

Ties are broken by the other side's id, so results are deterministic.

Hard filters (a pair failing any is never proposed): same material; organisations differ;
supply price ≤ demand's max price (prices may be negative); road km ≤ the demand's haul limit
(``default_max_haul_km`` when it sets none); a hazardous lot only to a holder of a permit
for its code or HW category; a battery-recycling lot only to an MIIT-listed recycler, a
cascade-use battery lot only to an MIIT-listed cascade-use firm;
specification verdict not "fails" (incomplete is allowed and shown as such).

All of this runs in float64 on columns because it is evaluated for thousands of candidates
per query; only the top rows are turned into Decimal :class:`~matching.model.Match` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.distance import geodesic_km_many, geodesic_km_pairs
from matching.compliance import margin_scale
from matching.model import Demand, Supply
from matching.specs import Limit

F64 = NDArray[np.float64]
Rows = NDArray[np.intp]
Objects = NDArray[np.object_]


@dataclass(frozen=True)
class MatchSettings:
    """Tunable economics of matching (an administrator's settings, not code).

    ``freight_cny_per_t_km`` defaults to 0.45, inside the 0.3–0.6 CNY/t·km range the domain
    sheet gives as unconfirmed. ``circuity`` turns great-circle km into estimated road km
    until a router is wired in. The weights are in CNY/t: a perfect volume fit is worth
    ``weight_volume`` yuan per tonne of delivered cost, a comfortable spec margin
    ``weight_margin``.
    """

    freight_cny_per_t_km: Decimal = Decimal("0.45")
    circuity: float = 1.3
    weight_volume: Decimal = Decimal("5")
    weight_margin: Decimal = Decimal("3")
    default_max_haul_km: Decimal = Decimal("300")

    def __post_init__(self) -> None:
        if not self.circuity >= 1.0:
            raise ValueError("circuity must be >= 1 (roads are never shorter than the arc)")
        for name in ("freight_cny_per_t_km", "weight_volume", "weight_margin"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.default_max_haul_km <= 0:
            raise ValueError("default_max_haul_km must be positive")

    @property
    def slope(self) -> float:
        """CNY/t added per great-circle km."""
        return float(self.freight_cny_per_t_km) * self.circuity

    @property
    def bonus_cap(self) -> float:
        """Largest amount the two bonuses can subtract from delivered cost."""
        return float(self.weight_volume) + float(self.weight_margin)


def _f(value: Decimal | None, default: float) -> float:
    return default if value is None else float(value)


def _material_codes(materials: Iterable[str]) -> tuple[dict[str, int], NDArray[np.int32]]:
    lookup: dict[str, int] = {}
    codes = [lookup.setdefault(m, len(lookup)) for m in materials]
    return lookup, np.asarray(codes, dtype=np.int32)


def _objects(items: Iterable[Any], n: int) -> Objects:
    """A 1-D object array of ``items`` (never unpacked, even when they are tuples)."""
    return np.fromiter(items, dtype=object, count=n)


def _decimal(x: float) -> Decimal:
    """The Decimal a float column holds (its shortest repr: a scaled database decimal of
    up to 15 digits comes back digit for digit)."""
    return Decimal(repr(float(x)))


@dataclass(frozen=True)
class _OrDemand:
    """``make`` of joined records: a Demand as it is, any other record through ``make``."""

    make: Callable[[Any], Demand]

    def __call__(self, record: Any) -> Demand:
        return record if isinstance(record, Demand) else self.make(record)


def _made(record: Any) -> Demand:
    """A joined record: a Demand, or (the part's ``make``, the part's record)."""
    if isinstance(record, Demand):
        return record
    make, own = record
    return make(own)


def margin_scales(lo: F64, hi: F64) -> F64:
    """:func:`matching.compliance.margin_scale` over columns (NaN = no bound; NaN where
    neither is set)."""
    both = ~np.isnan(lo) & ~np.isnan(hi)
    half = (hi - lo) / 2
    bound = np.where(np.isnan(lo), hi, lo)
    one = np.where((bound == 0) | np.isnan(bound), 1.0, np.abs(bound))
    out = np.where(both, np.where(half > 0, half, 1.0), one)
    return np.asarray(np.where(np.isnan(lo) & np.isnan(hi), np.nan, out), dtype=np.float64)


def permit_masks_by_org(
    org_ids: NDArray[np.int64], permits_by_org: Mapping[int, Iterable[str]]
) -> dict[str, NDArray[np.bool_]]:
    """Per permit kind, which rows belong to an organisation holding it (vectorised)."""
    holders: dict[str, list[int]] = {}
    for org, kinds in permits_by_org.items():
        for kind in kinds:
            holders.setdefault(kind.strip().upper(), []).append(org)
    return {k: np.isin(org_ids, np.asarray(v, dtype=np.int64)) for k, v in holders.items()}


def _kind_masks(kinds_per_row: Sequence[Iterable[str]]) -> dict[str, NDArray[np.bool_]]:
    n = len(kinds_per_row)
    masks: dict[str, NDArray[np.bool_]] = {}
    for i, kinds in enumerate(kinds_per_row):
        for kind in kinds:
            masks.setdefault(kind.strip().upper(), np.zeros(n, dtype=bool))[i] = True
    return masks


@dataclass(frozen=True)
class Scored:
    """Feasible rows and their figures, aligned (unsorted)."""

    rows: Rows
    road_km: F64
    delivered: F64
    volume_fit: F64
    margin: F64
    score: F64

    def __len__(self) -> int:
        return int(self.rows.size)

    def take(self, keep: NDArray[np.bool_] | Rows) -> Scored:
        return Scored(
            self.rows[keep],
            self.road_km[keep],
            self.delivered[keep],
            self.volume_fit[keep],
            self.margin[keep],
            self.score[keep],
        )


def _finish(
    rows: Rows,
    road: F64,
    price: F64 | float,
    q_supply: F64 | float,
    q_demand: F64 | float,
    margin: F64,
    settings: MatchSettings,
) -> Scored:
    delivered = price + road * float(settings.freight_cny_per_t_km)
    big = np.maximum(q_supply, q_demand)
    fit = np.where(big > 0, np.minimum(q_supply, q_demand) / np.where(big > 0, big, 1.0), 0.0)
    fit = np.broadcast_to(fit, rows.shape).astype(np.float64)
    score = delivered - float(settings.weight_volume) * fit - float(settings.weight_margin) * margin
    return Scored(rows, road, np.asarray(delivered, dtype=np.float64), fit, margin, score)


@dataclass(frozen=True)
class DemandColumns:
    """Demands as numpy columns, so one supply can be scored against many at once.

    Limits become per-parameter ``lo``/``hi`` columns (NaN where a demand sets no bound)
    and ``scale`` columns for the normalised margin (when absent, :meth:`scales` works them
    out for the candidate rows only); ``keys_by_material`` lists the parameters each
    material's demands use, so a query loops over a handful of keys.

    Build it from column arrays with :meth:`from_arrays` (no per-row Python object: a
    million rows in well under a second) or from :class:`~matching.model.Demand` objects
    with :meth:`from_demands`. :meth:`demand` makes the Demand of one row only when a query
    returns it: from ``records[row]`` through ``make`` when the caller gave them (the
    service keeps its database rows, so limits keep their source and confirmed flag),
    else from the columns themselves.
    """

    ids: NDArray[np.int64]
    org_ids: NDArray[np.int64]
    material_lookup: dict[str, int]
    material_codes: NDArray[np.int32]
    lons: F64
    lats: F64
    quantity: F64
    max_price: F64
    max_haul: F64
    miit: NDArray[np.bool_]
    permit_masks: dict[str, NDArray[np.bool_]]
    lo: dict[str, F64]
    hi: dict[str, F64]
    scale: dict[str, F64]
    keys_by_material: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Per demand: on the MIIT list as a cascade-use firm.
    cascade: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Row-aligned objects :meth:`demand` turns into Demands (``make``; else they are ones).
    records: Objects | None = None
    make: Callable[[Any], Demand] | None = None

    @classmethod
    def from_arrays(
        cls,
        *,
        ids: ArrayLike,
        org_ids: ArrayLike,
        materials: Sequence[str],
        material_codes: ArrayLike,
        lons: ArrayLike,
        lats: ArrayLike,
        quantity: ArrayLike,
        max_price: ArrayLike | None = None,
        max_haul: ArrayLike | None = None,
        lo: Mapping[str, ArrayLike] | None = None,
        hi: Mapping[str, ArrayLike] | None = None,
        miit: ArrayLike | None = None,
        cascade: ArrayLike | None = None,
        permit_masks: Mapping[str, NDArray[np.bool_]] | None = None,
        records: Objects | None = None,
        make: Callable[[Any], Demand] | None = None,
    ) -> DemandColumns:
        """Columns from arrays: ``materials`` names the codes of ``material_codes``;
        ``max_price`` is +inf or NaN and ``max_haul`` NaN where a demand sets none; ``lo``
        and ``hi`` are per-parameter columns, NaN where a demand sets no such bound."""
        id_col = np.asarray(ids, dtype=np.int64)
        n = id_col.size
        codes = np.asarray(material_codes, dtype=np.int32)
        price = np.full(n, np.inf) if max_price is None else np.array(max_price, dtype=np.float64)
        price[np.isnan(price)] = np.inf
        lo_in, hi_in = dict(lo or {}), dict(hi or {})
        lo_c: dict[str, F64] = {}
        hi_c: dict[str, F64] = {}
        scale: dict[str, F64] = {}
        keys_by_material: dict[str, set[str]] = {}
        for key in sorted(set(lo_in) | set(hi_in)):
            a = np.full(n, np.nan) if key not in lo_in else np.asarray(lo_in[key], np.float64)
            b = np.full(n, np.nan) if key not in hi_in else np.asarray(hi_in[key], np.float64)
            bounded = ~(np.isnan(a) & np.isnan(b))
            if not bounded.any():
                continue
            lo_c[key], hi_c[key] = a, b
            for c in np.unique(codes[bounded]).tolist():
                keys_by_material.setdefault(materials[c], set()).add(key)

        def flags(x: ArrayLike | None) -> NDArray[np.bool_]:
            return np.zeros(n, dtype=bool) if x is None else np.asarray(x, dtype=bool)

        return cls(
            ids=id_col,
            org_ids=np.asarray(org_ids, dtype=np.int64),
            material_lookup={m: i for i, m in enumerate(materials)},
            material_codes=codes,
            lons=np.asarray(lons, dtype=np.float64),
            lats=np.asarray(lats, dtype=np.float64),
            quantity=np.asarray(quantity, dtype=np.float64),
            max_price=price,
            max_haul=np.full(n, np.nan)
            if max_haul is None
            else np.asarray(max_haul, dtype=np.float64),
            miit=flags(miit),
            cascade=flags(cascade),
            permit_masks=dict(permit_masks or {}),
            lo=lo_c,
            hi=hi_c,
            scale=scale,
            keys_by_material={m: tuple(sorted(k)) for m, k in keys_by_material.items()},
            records=records,
            make=make,
        )

    @classmethod
    def from_demands(cls, demands: Sequence[Demand]) -> DemandColumns:
        ds = tuple(demands)
        n = len(ds)
        lookup, codes = _material_codes(d.material for d in ds)
        lo: dict[str, F64] = {}
        hi: dict[str, F64] = {}
        scale: dict[str, F64] = {}
        keys_by_material: dict[str, set[str]] = {}
        for i, d in enumerate(ds):
            for key, lim in d.limits.items():
                if not lim.bounded:
                    continue
                keys_by_material.setdefault(d.material, set()).add(key)
                if key not in lo:
                    lo[key] = np.full(n, np.nan)
                    hi[key] = np.full(n, np.nan)
                    scale[key] = np.full(n, np.nan)
                lo[key][i] = _f(lim.min, np.nan)
                hi[key][i] = _f(lim.max, np.nan)
                scale[key][i] = float(margin_scale(lim.min, lim.max))
        return cls(
            records=_objects(ds, n),
            ids=np.fromiter((d.id for d in ds), dtype=np.int64, count=n),
            org_ids=np.fromiter((d.org_id for d in ds), dtype=np.int64, count=n),
            material_lookup=lookup,
            material_codes=codes,
            lons=np.fromiter((d.lon for d in ds), dtype=np.float64, count=n),
            lats=np.fromiter((d.lat for d in ds), dtype=np.float64, count=n),
            quantity=np.fromiter((float(d.quantity_t) for d in ds), dtype=np.float64, count=n),
            max_price=np.fromiter(
                (_f(d.max_price_cny_t, np.inf) for d in ds), dtype=np.float64, count=n
            ),
            max_haul=np.fromiter(
                (_f(d.max_haul_km, np.nan) for d in ds), dtype=np.float64, count=n
            ),
            miit=np.fromiter((d.miit_listed for d in ds), dtype=bool, count=n),
            cascade=np.fromiter((d.miit_cascade_listed for d in ds), dtype=bool, count=n),
            permit_masks=_kind_masks([d.permits for d in ds]),
            lo=lo,
            hi=hi,
            scale=scale,
            keys_by_material={m: tuple(sorted(k)) for m, k in keys_by_material.items()},
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def scales(self, key: str, rows: Rows) -> F64:
        """Margin scale of ``key`` on ``rows``."""
        column = self.scale.get(key)
        if column is not None:
            return column[rows]
        return margin_scales(self.lo[key][rows], self.hi[key][rows])

    @cached_property
    def material_names(self) -> list[str]:
        """Material name of each code (``material_lookup`` inverted)."""
        names = [""] * len(self.material_lookup)
        for name, code in self.material_lookup.items():
            names[code] = name
        return names

    def demand(self, row: int) -> Demand:
        """The Demand of ``row``, made now (only the rows a query returns are ever made)."""
        if self.records is not None:
            record = self.records[row]
            return self.make(record) if self.make is not None else record
        material = self.material_names[int(self.material_codes[row])]
        limits: dict[str, Limit] = {}
        for key in self.keys_by_material.get(material, ()):
            a, b = float(self.lo[key][row]), float(self.hi[key][row])
            if not (np.isnan(a) and np.isnan(b)):
                limits[key] = Limit(
                    min=None if np.isnan(a) else _decimal(a),
                    max=None if np.isnan(b) else _decimal(b),
                )
        price, haul = float(self.max_price[row]), float(self.max_haul[row])
        return Demand(
            id=int(self.ids[row]),
            org_id=int(self.org_ids[row]),
            material=material,
            lon=float(self.lons[row]),
            lat=float(self.lats[row]),
            quantity_t=_decimal(self.quantity[row]),
            max_price_cny_t=None if np.isinf(price) else _decimal(price),
            max_haul_km=None if np.isnan(haul) else _decimal(haul),
            limits=limits,
            permits=frozenset(k for k, mask in self.permit_masks.items() if mask[row]),
            miit_listed=bool(self.miit[row]),
            miit_cascade_listed=bool(self.cascade[row]) if self.cascade.size else False,
        )

    @classmethod
    def join(cls, parts: Sequence[tuple[DemandColumns, Rows]]) -> DemandColumns:
        """The ``rows`` of each part, in order, as one set of columns (no row made into a
        Demand: the parts' records and ``make`` are kept)."""
        names: list[str] = []
        for cols, _ in parts:
            names += [m for m in cols.material_names if m not in names]
        lookup = {m: i for i, m in enumerate(names)}
        keys = sorted({k for cols, _ in parts for k in (*cols.lo, *cols.hi)})
        kinds = sorted({k for cols, _ in parts for k in cols.permit_masks})

        def cat(get: Callable[[DemandColumns, Rows], Any]) -> Any:
            return np.concatenate([np.asarray(get(c, r)) for c, r in parts])

        def fill(c: DemandColumns, r: Rows, column: Any, default: Any) -> Any:
            return np.full(r.size, default) if column is None else column[r]

        def keyed(name: str, key: str, default: Any) -> Any:
            return np.concatenate(
                [fill(c, r, getattr(c, name).get(key), default) for c, r in parts]
            )

        remap = [np.asarray([lookup[m] for m in c.material_names], np.int32) for c, _ in parts]
        owns: list[Objects] = []
        makes: list[Callable[[Any], Demand] | None] = []
        for c, r in parts:
            if c.records is None:  # row numbers, made from the part's own columns when asked
                owns.append(r.astype(object))
                makes.append(c.demand)
            else:
                owns.append(c.records[r])
                makes.append(c.make)
        distinct = {id(m): m for m in makes if m is not None}
        make: Callable[[Any], Demand] | None
        if len(distinct) <= 1:  # the usual case: one part's records and Demands
            records = np.concatenate(owns) if owns else np.empty(0, dtype=object)
            (only,) = distinct.values() if distinct else (None,)
            make = only if only is None or isinstance(only, _OrDemand) else _OrDemand(only)
        else:
            pairs = [
                own if m is None else np.fromiter(((m, x) for x in own), object, own.size)
                for own, m in zip(owns, makes, strict=True)
            ]
            records, make = np.concatenate(pairs), _made
        return cls.from_arrays(
            ids=cat(lambda c, r: c.ids[r]),
            org_ids=cat(lambda c, r: c.org_ids[r]),
            materials=names,
            material_codes=np.concatenate(
                [m[c.material_codes[r]] for m, (c, r) in zip(remap, parts, strict=True)]
            ),
            lons=cat(lambda c, r: c.lons[r]),
            lats=cat(lambda c, r: c.lats[r]),
            quantity=cat(lambda c, r: c.quantity[r]),
            max_price=cat(lambda c, r: c.max_price[r]),
            max_haul=cat(lambda c, r: c.max_haul[r]),
            lo={k: keyed("lo", k, np.nan) for k in keys},
            hi={k: keyed("hi", k, np.nan) for k in keys},
            miit=cat(lambda c, r: c.miit[r]),
            cascade=cat(lambda c, r: fill(c, r, c.cascade if c.cascade.size else None, False)),
            permit_masks={k: keyed("permit_masks", k, False) for k in kinds},
            records=records,
            make=make,
        )

    @property
    def demands(self) -> tuple[Demand, ...]:
        """Every row as a Demand (slow for a big book: for tests and small callers)."""
        return tuple(self.demand(i) for i in range(len(self)))

    def haul_limit(self, rows: Rows, settings: MatchSettings) -> F64:
        """Road-km limit of each row, the settings' default where the demand sets none."""
        h = self.max_haul[rows]
        return np.where(np.isnan(h), float(settings.default_max_haul_km), h)


def score_demands(
    supply: Supply, cols: DemandColumns, rows: Rows | None, settings: MatchSettings
) -> Scored:
    """Apply the hard filters to ``rows`` of ``cols`` for one supply and score the rest."""
    r = np.arange(len(cols), dtype=np.intp) if rows is None else rows
    code = cols.material_lookup.get(supply.material)
    if code is None or r.size == 0:
        return _finish(r[:0], np.empty(0), 0.0, 0.0, 0.0, np.empty(0), settings)
    ok = cols.material_codes[r] == code
    ok &= cols.org_ids[r] != supply.org_id
    ok &= cols.max_price[r] >= float(supply.price_cny_t)
    if supply.hazardous:
        permitted = np.zeros(r.size, dtype=bool)
        for kind in supply.permit_kinds():
            mask = cols.permit_masks.get(kind)
            if mask is not None:
                permitted |= mask[r]
        ok &= permitted
    if supply.battery_recycling:
        ok &= cols.miit[r]
    if supply.battery_cascade:
        ok &= cols.cascade[r]
    r = r[ok]

    road = geodesic_km_many(supply.lon, supply.lat, cols.lons[r], cols.lats[r]) * settings.circuity
    ok = road <= cols.haul_limit(r, settings)

    margin = np.ones(r.size)
    for key in cols.keys_by_material.get(supply.material, ()):
        bounded = ~(np.isnan(cols.lo[key][r]) & np.isnan(cols.hi[key][r]))
        value = supply.values.get(key)
        if value is None:
            margin[bounded] = 0.0
            continue
        v = float(value)
        m = np.fmin(v - cols.lo[key][r], cols.hi[key][r] - v)
        ok &= ~(m < 0)
        margin = np.fmin(margin, np.clip(m / cols.scales(key, r), 0.0, 1.0))

    r, road, margin = r[ok], road[ok], margin[ok]
    return _finish(
        r,
        road,
        float(supply.price_cny_t),
        float(supply.quantity_t),
        cols.quantity[r],
        margin,
        settings,
    )


def feasible_pairs(
    supplies: Sequence[Supply],
    owners: NDArray[np.intp],
    cols: DemandColumns,
    rows: NDArray[np.intp],
    settings: MatchSettings,
) -> tuple[NDArray[np.bool_], F64]:
    """:func:`score_demands`' hard filters for many (supply, demand row) pairs at once:
    which pairs pass, and each pair's road km.

    ``owners[k]`` is the index in ``supplies`` of pair k, ``rows[k]`` its demand row. The
    city-wide allocation asks this for some 10⁵–10⁶ pairs; one call per lot cost it 0.17 s
    of its 1.1 s at 2,000 lots a side. Only plain lots: a hazardous or battery lot's permit
    and list rules stay in :func:`score_demands` (the caller sends those lots there), and a
    test keeps the two equal.
    """
    assert not any(s.hazardous or s.battery_recycling or s.battery_cascade for s in supplies)
    codes = np.asarray([cols.material_lookup.get(s.material, -1) for s in supplies], np.int64)
    org = np.asarray([s.org_id for s in supplies], dtype=np.int64)
    price = np.asarray([float(s.price_cny_t) for s in supplies], dtype=np.float64)
    lon = np.asarray([s.lon for s in supplies], dtype=np.float64)
    lat = np.asarray([s.lat for s in supplies], dtype=np.float64)
    ok = cols.material_codes[rows] == codes[owners]
    ok &= cols.org_ids[rows] != org[owners]
    ok &= cols.max_price[rows] >= price[owners]
    road = (
        geodesic_km_pairs(lon[owners], lat[owners], cols.lons[rows], cols.lats[rows])
        * settings.circuity
    )
    ok &= road <= cols.haul_limit(rows, settings)
    keys = {k for s in supplies for k in cols.keys_by_material.get(s.material, ())}
    for key in sorted(keys):
        measured = np.asarray(
            [float(x) if (x := s.values.get(key)) is not None else np.nan for s in supplies]
        )
        pair_value = measured[owners]
        m = np.fmin(pair_value - cols.lo[key][rows], cols.hi[key][rows] - pair_value)
        ok &= ~(m < 0)  # NaN (no test result, or no limit) passes, as in score_demands
    return ok, road


@dataclass(frozen=True)
class SupplyColumns:
    """Supplies as numpy columns, the mirror of :class:`DemandColumns`.

    ``values`` holds one column per parameter (NaN where the lot has no test result);
    ``kind_masks`` says, per permit kind, which hazardous lots that permit covers.
    """

    supplies: tuple[Supply, ...]
    ids: NDArray[np.int64]
    org_ids: NDArray[np.int64]
    material_lookup: dict[str, int]
    material_codes: NDArray[np.int32]
    lons: F64
    lats: F64
    quantity: F64
    price: F64
    hazardous: NDArray[np.bool_]
    battery: NDArray[np.bool_]
    kind_masks: dict[str, NDArray[np.bool_]]
    values: dict[str, F64]
    min_price_by_material: dict[str, float] = field(default_factory=dict)
    #: Per lot: a cascade-use battery lot.
    cascade: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @classmethod
    def from_supplies(cls, supplies: Sequence[Supply]) -> SupplyColumns:
        ss = tuple(supplies)
        n = len(ss)
        lookup, codes = _material_codes(s.material for s in ss)
        values: dict[str, F64] = {}
        min_price: dict[str, float] = {}
        for i, s in enumerate(ss):
            for key, value in s.values.items():
                values.setdefault(key, np.full(n, np.nan))[i] = float(value)
            p = float(s.price_cny_t)
            min_price[s.material] = min(p, min_price.get(s.material, p))
        return cls(
            supplies=ss,
            ids=np.fromiter((s.id for s in ss), dtype=np.int64, count=n),
            org_ids=np.fromiter((s.org_id for s in ss), dtype=np.int64, count=n),
            material_lookup=lookup,
            material_codes=codes,
            lons=np.fromiter((s.lon for s in ss), dtype=np.float64, count=n),
            lats=np.fromiter((s.lat for s in ss), dtype=np.float64, count=n),
            quantity=np.fromiter((float(s.quantity_t) for s in ss), dtype=np.float64, count=n),
            price=np.fromiter((float(s.price_cny_t) for s in ss), dtype=np.float64, count=n),
            hazardous=np.fromiter((s.hazardous for s in ss), dtype=bool, count=n),
            battery=np.fromiter((s.battery_recycling for s in ss), dtype=bool, count=n),
            cascade=np.fromiter((s.battery_cascade for s in ss), dtype=bool, count=n),
            kind_masks=_kind_masks([s.permit_kinds() for s in ss]),
            values=values,
            min_price_by_material=min_price,
        )

    def __len__(self) -> int:
        return len(self.supplies)


def demand_haul_km(demand: Demand, settings: MatchSettings) -> float:
    """The demand's road-km limit, the settings' default when it sets none."""
    return _f(demand.max_haul_km, float(settings.default_max_haul_km))


def score_supplies(
    demand: Demand, cols: SupplyColumns, rows: Rows | None, settings: MatchSettings
) -> Scored:
    """Apply the hard filters to ``rows`` of ``cols`` for one demand and score the rest."""
    r = np.arange(len(cols), dtype=np.intp) if rows is None else rows
    code = cols.material_lookup.get(demand.material)
    if code is None or r.size == 0:
        return _finish(r[:0], np.empty(0), 0.0, 0.0, 0.0, np.empty(0), settings)
    ok = cols.material_codes[r] == code
    ok &= cols.org_ids[r] != demand.org_id
    if demand.max_price_cny_t is not None:
        ok &= cols.price[r] <= float(demand.max_price_cny_t)
    permitted = ~cols.hazardous[r]
    for kind in demand.permits:
        mask = cols.kind_masks.get(kind.strip().upper())
        if mask is not None:
            permitted |= mask[r]
    ok &= permitted
    if not demand.miit_listed:
        ok &= ~cols.battery[r]
    if not demand.miit_cascade_listed:
        ok &= ~cols.cascade[r]
    r = r[ok]

    road = geodesic_km_many(demand.lon, demand.lat, cols.lons[r], cols.lats[r]) * settings.circuity
    ok = road <= demand_haul_km(demand, settings)

    bounded_limits = {k: lim for k, lim in demand.limits.items() if lim.bounded}
    margin = np.full(r.size, 1.0 if not bounded_limits else np.inf)
    for key, lim in bounded_limits.items():
        column = cols.values.get(key)
        if column is None:
            margin[:] = 0.0
            continue
        v = column[r]
        m = np.fmin(v - _f(lim.min, np.nan), _f(lim.max, np.nan) - v)
        ok &= ~(m < 0)
        norm = np.clip(m / float(margin_scale(lim.min, lim.max)), 0.0, 1.0)
        margin = np.minimum(margin, np.where(np.isnan(v), 0.0, norm))

    r, road, margin = r[ok], road[ok], margin[ok]
    return _finish(
        r, road, cols.price[r], cols.quantity[r], float(demand.quantity_t), margin, settings
    )


def top_order(score: F64, ids: NDArray[np.int64], limit: int) -> Rows:
    """Positions of the ``limit`` best entries, by score then id (deterministic ties)."""
    n = score.size
    if limit <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    if n > limit:
        cut = np.partition(score, limit - 1)[limit - 1]
        pool = np.flatnonzero(score <= cut)
    else:
        pool = np.arange(n, dtype=np.intp)
    order = np.lexsort((ids[pool], score[pool]))
    return np.asarray(pool[order[:limit]], dtype=np.intp)
