"""The listing and demand forms read numbers as clerks type them: "3,000", "－15", "1 200"."""

from __future__ import annotations

from market.web.forms import clean_number
from tests.conftest import Actors
from tests.web.helpers import post_form, web_login
from tests.web.test_pages_render_and_post import Client, _member


def test_clean_number_reads_grouping_and_full_width_signs() -> None:
    assert clean_number("3,000") == "3000"
    assert clean_number("－15") == "-15"
    assert clean_number("\u221212.5") == "-12.5"
    assert clean_number(" 1 200 ") == "1200"
    assert clean_number("５，０００") == "5000"
    assert clean_number("5,5") == "5,5"  # not grouping: left for validation to refuse


async def test_a_listing_posted_with_typed_numbers_keeps_their_values(
    client: Client, actors: Actors
) -> None:
    headers, _, site = await _member(actors, "typed1", kind="producer")
    await web_login(client, "typed1@example.cn")
    data = {
        "site_id": str(site["id"]),
        "material_code": "fly_ash",
        "title": "千分位数量",
        "quantity_t": "3,000",
        "price_cny_t": "－15",
        "cadence": "one_off",
        "status": "open",
        "spec.loi_pct": " 4.5 ",
    }
    r = await post_form(client, "/listings/new", data, "/listings/new?material=fly_ash")
    assert r.status_code == 303, r.text
    lid = r.headers["location"].rsplit("/", 1)[1]
    lot = (await client.get(f"/api/v1/listings/{lid}", headers=headers)).json()
    assert (lot["quantity_t"], lot["price_cny_t"]) == ("3000.000", "-15.00")
    assert lot["spec"]["loi_pct"] == "4.5"


async def test_a_comma_that_is_not_grouping_is_refused_not_misread(
    client: Client, actors: Actors
) -> None:
    _, _, site = await _member(actors, "typed2", kind="producer")
    await web_login(client, "typed2@example.cn")
    data = {
        "site_id": str(site["id"]),
        "material_code": "fly_ash",
        "quantity_t": "5,5",
        "price_cny_t": "1",
    }
    r = await post_form(client, "/listings/new", data, "/listings/new?material=fly_ash")
    assert r.status_code == 422 and 'id="err-quantity_t"' in r.text
