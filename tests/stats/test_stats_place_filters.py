"""District, park and enterprise filters of the statistics API on the hand-worked city
(tests/city.py): the same figures as the city page, for regulators and enterprises."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.settings import Settings
from tests.city import City, make_regulator
from tests.conftest import Actors, assert_problem

Client = AsyncTestClient[Litestar]
URL = "/api/v1/stats/utilisation"


async def test_place_and_enterprise_filters(
    client: Client, city: City, settings: Settings, actors: Actors
) -> None:
    reg = await make_regulator(settings, actors, "placefilters@example.cn")

    async def totals(headers: dict[str, str], **params: str) -> dict[str, str]:
        r = await client.get(URL, headers=headers, params={"year": "2025", **params})
        assert r.status_code == 200, r.text
        return dict(r.json()["totals"])

    zhongxiang = await totals(reg, district="420881")
    assert zhongxiang["generated_t"] == "2000.000" and zhongxiang["utilisation_rate_pct"] == "30.00"
    assert (await totals(reg, park="P-ZXHUJI"))["generated_t"] == "2000.000"
    march = await totals(reg, month="3", district="420802")
    assert march["generated_t"] == "1500.000" and march["utilisation_rate_pct"] == "46.70"
    a = await totals(reg, organization_id=str(city.org["a"]))
    assert a["generated_t"] == "1800.000" and a["utilisation_rate_pct"] == "69.23"
    # An enterprise may narrow to itself, and learns nothing of another.
    assert (await totals(city.b, organization_id=str(city.org["b"])))["generated_t"] == "500.000"
    assert (await totals(city.b, organization_id=str(city.org["a"])))["ledgers"] == 0
    co2 = await client.get(
        "/api/v1/stats/co2", headers=reg, params={"year": "2025", "district": "420881"}
    )
    assert co2.json()["figures"]["receipts"] == 0  # C shipped nothing
    csv = await client.get(
        "/api/v1/stats/export.csv", headers=reg, params={"year": "2025", "district": "420881"}
    )
    total = next(line for line in csv.text.splitlines() if line.startswith("total"))
    assert total.split(",")[3] == "2000.000"
    bad = await client.get(URL, headers=reg, params={"district": "999999"})
    assert_problem(bad, 422, "district")
    bad = await client.get(URL, headers=reg, params={"park": "nowhere"})
    assert_problem(bad, 422, "park")
