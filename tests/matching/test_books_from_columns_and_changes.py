"""Issue #14.4: a demand book built from column arrays ranks as one built from Demand
objects, and a book that takes changes (new, changed, withdrawn) ranks as one built afresh."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import numpy as np
import pytest

from matching.engine import DemandBook, SupplyBook
from matching.model import Demand
from matching.scoring import DemandColumns, MatchSettings, permit_masks_by_org
from matching.specs import Limit
from tests.matching.test_engine import _random_market

MATERIALS = ("fly_ash", "slag", "phosphogypsum")
KEYS = ("residue_45um", "water_demand_ratio", "loi")
HOLDERS = {org: frozenset({"HW31"}) for org in range(1, 60, 4)}


def _columns_market(seed: int, n: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Random demands as arrays (NaN: no bound), the way a database query would give them."""
    rng = np.random.default_rng(seed)
    sites = np.column_stack([rng.uniform(111.9, 113.5, 150), rng.uniform(30.4, 31.6, 150)])
    at = rng.integers(0, 150, n)
    price = rng.integers(-20, 80, n).astype(float)
    price[rng.random(n) < 0.3] = np.nan
    haul = rng.integers(20, 150, n).astype(float)
    haul[rng.random(n) < 0.2] = np.nan
    cols = {
        "ids": np.arange(1, n + 1) * 3,
        "org_ids": rng.integers(1, 60, n),
        "material_codes": rng.integers(0, 3, n),
        "lons": sites[at, 0],
        "lats": sites[at, 1],
        "quantity": rng.choice([100.0, 500.0, 1000.0, 2500.5], n),
        "max_price": price,
        "max_haul": haul,
        "miit": rng.random(n) < 0.3,
    }
    his = {}
    for key in KEYS:
        hi = rng.integers(10, 60, n).astype(float) + rng.choice([0.0, 0.5], n)
        hi[rng.random(n) < 0.5] = np.nan
        his[key] = hi
    return cols, his


def _objects(cols: dict[str, Any], his: dict[str, np.ndarray]) -> list[Demand]:
    """The same demands as the objects the old constructor takes."""
    out = []
    for i in range(cols["ids"].size):
        org = int(cols["org_ids"][i])
        price, haul = cols["max_price"][i], cols["max_haul"][i]
        out.append(
            Demand(
                id=int(cols["ids"][i]),
                org_id=org,
                material=MATERIALS[int(cols["material_codes"][i])],
                lon=float(cols["lons"][i]),
                lat=float(cols["lats"][i]),
                quantity_t=D(str(cols["quantity"][i])),
                max_price_cny_t=None if np.isnan(price) else D(int(price)),
                max_haul_km=None if np.isnan(haul) else D(int(haul)),
                limits={k: Limit(max=D(str(h[i]))) for k, h in his.items() if not np.isnan(h[i])},
                permits=HOLDERS.get(org, frozenset()),
                miit_listed=bool(cols["miit"][i]),
            )
        )
    return out


def _from_arrays(cols: dict[str, Any], his: dict[str, np.ndarray]) -> DemandColumns:
    return DemandColumns.from_arrays(
        materials=MATERIALS,
        hi=his,
        permit_masks=permit_masks_by_org(cols["org_ids"], HOLDERS),
        **cols,
    )


@pytest.mark.parametrize("limit", [1, 20, 5000])
def test_book_from_arrays_ranks_as_book_from_objects(limit: int) -> None:
    cols, his = _columns_market(7, 4000)
    _, supplies = _random_market(1, 10, 80)
    fast, old = DemandBook(_from_arrays(cols, his)), DemandBook(_objects(cols, his))
    total = 0
    for s in supplies:
        got = fast.matches_for_supply(s, MatchSettings(), limit)
        assert got == old.matches_for_supply(s, MatchSettings(), limit)
        total += len(got)
    assert total >= min(limit, 20) * 40  # not vacuous
    # A demand made from the columns is the one the objects describe (numerically).
    row = int(np.flatnonzero(~np.isnan(his["loi"]) & ~np.isnan(cols["max_price"]))[0])
    assert fast.columns.demand(row) == _objects(cols, his)[row]


def _changed(demands: list[Demand], rng: np.random.Generator) -> tuple[list[Demand], set[int]]:
    """New versions of some demands (quantity, price, place, limits) and ids withdrawn."""
    picked = rng.choice(len(demands), 300, replace=False)
    new = [
        replace(
            demands[i],
            quantity_t=D(int(rng.integers(50, 4000))),
            max_price_cny_t=D(int(rng.integers(-20, 80))),
            lon=demands[i].lon + 0.05,
            limits={},
        )
        for i in picked[:200]
    ]
    return new, {demands[i].id for i in picked[200:]}


def test_a_book_that_takes_changes_ranks_as_one_built_afresh() -> None:
    demands, supplies = _random_market(4, 3000, 60)
    rng = np.random.default_rng(5)
    base, added = demands[:2500], demands[2500:]
    book = DemandBook(base)
    book.apply(added[:200])  # new demands first, then more changes (some of new ones)
    changed, gone = _changed(demands[:2700], rng)
    book.apply(changed + added[200:], sorted(gone))
    final = {d.id: d for d in demands}
    final.update({d.id: d for d in changed})
    for i in gone:
        del final[i]
    fresh = DemandBook(list(final.values()))
    assert len(book) == len(fresh) and book.pending > 0
    for limit in (1, 20, 10_000):
        for s in supplies:
            got = book.matches_for_supply(s, MatchSettings(), limit)
            assert got == fresh.matches_for_supply(s, MatchSettings(), limit)
    assert any(book.matches_for_supply(s, limit=10_000) for s in supplies)
    seen = {m.demand_id for s in supplies for m in book.matches_for_supply(s, limit=10_000)}
    assert seen and not seen & gone
    by_id = {m.demand_id: m for s in supplies for m in book.matches_for_supply(s, limit=10_000)}
    assert any(d.id in by_id for d in changed)
    # Merged into new columns and trees, the changes rank as they did beside them.
    merged = book.compacted()
    assert merged.pending == 0 and len(merged) == len(fresh)
    for s in supplies:
        assert merged.matches_for_supply(s, limit=20) == fresh.matches_for_supply(s, limit=20)


def test_a_book_from_arrays_merges_its_changes() -> None:
    cols, his = _columns_market(8, 3000)
    _, supplies = _random_market(1, 10, 60)
    objects = _objects(cols, his)
    book = DemandBook(_from_arrays(cols, his))
    changed = [replace(d, quantity_t=D(5), max_price_cny_t=None) for d in objects[:300]]
    book.apply(changed, [d.id for d in objects[300:400]])
    merged = book.compacted().compacted()  # records made of records are still made right
    fresh = DemandBook(changed + objects[400:])
    for s in supplies:
        want = fresh.matches_for_supply(s, limit=50)
        assert book.matches_for_supply(s, limit=50) == want
        assert merged.matches_for_supply(s, limit=50) == want


def test_a_supply_book_that_takes_changes_ranks_as_one_built_afresh() -> None:
    demands, supplies = _random_market(6, 60, 3000)
    book = SupplyBook(supplies[:2500])
    new = [replace(s, price_cny_t=s.price_cny_t - 5, quantity_t=D(77)) for s in supplies[:300]]
    gone = {s.id for s in supplies[300:400]}
    book.apply(new + supplies[2500:], sorted(gone))
    final = {s.id: s for s in supplies} | {s.id: s for s in new}
    fresh = SupplyBook([s for i, s in final.items() if i not in gone])
    assert len(book) == len(fresh)
    for limit in (1, 20, 10_000):
        for d in demands:
            got = book.matches_for_demand(d, MatchSettings(), limit)
            assert got == fresh.matches_for_demand(d, MatchSettings(), limit)
    found = [m for d in demands for m in book.matches_for_demand(d, limit=10_000)]
    assert found and not {m.supply_id for m in found} & gone
    merged = book.compacted()
    assert merged.pending == 0 and len(merged) == len(fresh)
    for d in demands:
        assert merged.matches_for_demand(d, limit=20) == fresh.matches_for_demand(d, limit=20)
