"""A post form shows every out-of-range value at once, in the page's language."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Actors
from tests.web.helpers import post_form, web_login

Client = AsyncTestClient[Litestar]


async def _listing_form(client: Client, actors: Actors) -> dict[str, str]:
    headers = await actors.user("plant1")
    org = await actors.org(headers, kind="producer")
    site = await actors.site(headers, org["id"])
    await web_login(client, "plant1@example.cn")
    return {
        "material_code": "fly_ash",
        "site_id": str(site["id"]),
        "quantity_t": "5,000",
        "price_cny_t": "-15",
        "cadence": "one_off",
        "status": "open",
    }


async def test_every_bad_spec_value_is_named_at_once(client: Client, actors: Actors) -> None:
    data = await _listing_form(client, actors)
    bad = data | {"spec.loi_pct": "150", "spec.residue_45um_pct": "-3", "spec.so3_pct": "abc"}
    r = await post_form(client, "/listings/new", bad, "/listings/new?material=fly_ash")
    assert r.status_code == 422
    messages = re.findall(r'class="field-error"[^>]*>([^<]*)<', r.text)
    assert "150 超出有效范围 0–100 %" in messages
    assert "-3 超出有效范围 0–100 %" in messages
    assert "请输入数字" in messages
    assert len(messages) == 3
    await client.get("/lang/en")
    r = await post_form(client, "/listings/new", bad, "/listings/new?material=fly_ash")
    messages = re.findall(r'class="field-error"[^>]*>([^<]*)<', r.text)
    assert "150 is outside the valid range 0–100 %" in messages and "Enter a number" in messages


async def test_thousands_and_negative_prices_are_read(client: Client, actors: Actors) -> None:
    data = await _listing_form(client, actors)
    r = await post_form(
        client, "/listings/new", data | {"spec.loi_pct": "4.5"}, "/listings/new?material=fly_ash"
    )
    assert r.status_code == 303, r.text
    page = await client.get(r.headers["location"])
    assert "5,000" in page.text and "处置费 15 元/吨" in page.text


async def test_demand_limits_out_of_range_at_once(client: Client, actors: Actors) -> None:
    headers = await actors.user("cement1")
    org = await actors.org(headers, kind="consumer")
    site = await actors.site(headers, org["id"])
    await web_login(client, "cement1@example.cn")
    data = {
        "material_code": "fly_ash",
        "site_id": str(site["id"]),
        "quantity_t": "1,200",
        "cadence": "monthly",
        "status": "open",
        "requirements.loi_pct.max": "120",
        "requirements.so3_pct.min": "-1",
    }
    r = await post_form(client, "/demands/new", data, "/demands/new?material=fly_ash")
    assert r.status_code == 422
    messages = re.findall(r'class="field-error"[^>]*>([^<]*)<', r.text)
    assert "120 超出有效范围 0–100 %" in messages and "-1 超出有效范围 0–100 %" in messages
