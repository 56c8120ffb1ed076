"""Which new or changed listings notify which saved searches (on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.alerts.helpers import (
    deliveries,
    make_buyer,
    notifications,
    post_listing,
    save_search,
)
from tests.conftest import Actors

NEAR = (112.30, 31.10)  # lon, lat: ~12 km from the buyer
FAR = (112.59, 30.70)  # ~52 km


async def test_a_matching_listing_notifies_the_buyer_once(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    search = await save_search(client, buyer)
    producer, _, psite = await actors.producer(*NEAR)
    listing = await post_listing(client, producer, psite["id"])

    [note] = await notifications(client, buyer.headers)
    assert note["kind"] == "listing_match" and note["read"] is False
    assert note["listing_id"] == listing["id"] and note["saved_search_id"] == search["id"]
    assert note["organization_id"] == buyer.org["id"]
    data = note["payload"]
    assert data["spec_verdict"] == "meets" and data["missing_parameters"] == []
    assert 10 < float(data["distance_km"]) < 14
    assert data["listing"]["price_cny_t"] == "12.00"
    assert data["listing"]["available_t"] == "800.000"
    # The producer stays anonymous in the notification, as in the listing view.
    assert "organization" not in data["listing"]
    assert data["listing"]["site"] == {
        "lon": 112.3,
        "lat": 31.1,
        "district_code": psite["district_code"],
        "approximate": True,
    }
    # No webhook configured: nothing to deliver, and the producer is told nothing.
    assert await deliveries(client, buyer.headers) == []
    assert await notifications(client, producer) == []


async def test_listings_that_do_not_match(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    await save_search(client, buyer)
    producer, porg, near = await actors.producer(*NEAR)
    far = await actors.site(producer, porg["id"], *FAR)
    await post_listing(client, producer, near["id"], material_code="ggbs", spec={})
    await post_listing(client, producer, far["id"])
    await post_listing(client, producer, near["id"], spec={"loi_pct": "8.01"})
    await post_listing(client, producer, near["id"], price_cny_t="20.01")
    await post_listing(client, producer, near["id"], status="draft")
    # The buyer's own organisation posting from its own site is not news to it.
    await post_listing(client, buyer.headers, buyer.site["id"])
    assert await notifications(client, buyer.headers) == []
    # The limits are inclusive: exactly the maximum price and LOI still match.
    await post_listing(client, producer, near["id"], spec={"loi_pct": "8"}, price_cny_t="20")
    assert len(await notifications(client, buyer.headers)) == 1


async def test_missing_values_notify_as_incomplete(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    await save_search(
        client,
        buyer,
        requirements={"water_demand_ratio_pct": {"max": "105"}},
        max_price_cny_t=None,
    )
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"], price_cny_t="300")
    [note] = await notifications(client, buyer.headers)
    assert note["payload"]["spec_verdict"] == "incomplete"
    assert note["payload"]["missing_parameters"] == ["water_demand_ratio_pct"]


async def test_grade_limits_apply_and_unconfirmed_ones_are_flagged(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    await save_search(client, buyer, grade="gbt1596_f_ii_concrete", requirements={})
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"], spec={"residue_45um_pct": "35"})
    assert await notifications(client, buyer.headers) == []
    await post_listing(
        client, producer, site["id"], spec={"residue_45um_pct": "18", "loi_pct": "5"}
    )
    [note] = await notifications(client, buyer.headers)
    assert note["payload"]["spec_verdict"] == "incomplete"
    assert "so3_pct" in note["payload"]["missing_parameters"]
    assert note["payload"]["unconfirmed_limits"] is True


async def test_a_search_hears_about_each_listing_version_once(client, actors: Actors) -> None:
    buyer = await make_buyer(actors)
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    draft = await post_listing(client, producer, site["id"], status="draft")
    url = f"/api/v1/listings/{draft['id']}"
    assert await notifications(client, buyer.headers) == []

    r = await client.patch(url, headers=producer, json={"status": "open"})
    assert r.status_code == 200, r.text
    assert len(await notifications(client, buyer.headers)) == 1
    # A new title or quantity is not a new offer as far as the buyer's criteria go ...
    r = await client.patch(url, headers=producer, json={"title": "新标题", "quantity_t": "900"})
    assert r.status_code == 200, r.text
    assert len(await notifications(client, buyer.headers)) == 1
    # ... a better price is.
    r = await client.patch(url, headers=producer, json={"price_cny_t": "9.50"})
    assert r.status_code == 200, r.text
    notes = await notifications(client, buyer.headers)
    assert [n["payload"]["listing"]["price_cny_t"] for n in notes] == ["9.50", "12.00"]
    # A change that makes it fail the search notifies nothing, and neither does withdrawing.
    await client.patch(url, headers=producer, json={"spec": {"loi_pct": "9"}})
    await client.post(f"{url}/withdraw", headers=producer)
    assert len(await notifications(client, buyer.headers)) == 2


async def test_every_matching_organisation_is_told_and_deleted_searches_stop(
    client, actors: Actors
) -> None:
    first = await make_buyer(actors)
    second = await make_buyer(actors, lon=112.35, lat=31.12)
    first_search = await save_search(client, first)
    await save_search(client, second, radius_km="10", requirements={})
    producer, _, site = await actors.producer(*NEAR)
    listing = await post_listing(client, producer, site["id"])
    assert len(await notifications(client, first.headers)) == 1
    assert len(await notifications(client, second.headers)) == 1

    r = await client.delete(f"/api/v1/saved-searches/{first_search['id']}", headers=first.headers)
    assert r.status_code == 204, r.text
    await post_listing(client, producer, site["id"], price_cny_t="11.00")
    [old] = await notifications(client, first.headers)
    assert old["listing_id"] == listing["id"] and old["saved_search_id"] is None
    assert len(await notifications(client, second.headers)) == 2
