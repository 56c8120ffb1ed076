"""Permits carry an annual capacity (t/yr) and show this year's use; regulators see the
permits about to expire (issue 10, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from market.accounts.permit_use import CHINA
from market.accounts.service import create_user
from market.core.db import make_engine, make_sessionmaker, transaction
from tests.conftest import Actors, assert_problem

API = "/api/v1"


async def regulator(settings: Any, actors: Actors) -> dict[str, str]:
    engine = make_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        await create_user(
            session, "huanbao@example.cn", "regulator-pass", "环保局", role="regulator"
        )
    await engine.dispose()
    return await actors.login("huanbao@example.cn", "regulator-pass")


def day(offset: int) -> str:
    """China's date ``offset`` days from today, as the API writes dates."""
    return (datetime.now(UTC).astimezone(CHINA).date() + timedelta(days=offset)).isoformat()


async def test_a_permit_records_its_annual_capacity(
    client: Any, actors: Actors, settings: Any
) -> None:
    reg = await regulator(settings, actors)
    headers, org, _site = await actors.producer(kind="recycler")
    url = f"{API}/organizations/{org['id']}/permits"
    body = {"kind": "hw31", "number": "鄂危废0001", "valid_until": day(400)}
    r = await client.post(url, headers=reg, json={**body, "annual_capacity_t": "5000.5"})
    assert r.status_code == 201, r.text
    permit = r.json()
    assert permit["kind"] == "HW31" and permit["valid"] is True
    assert permit["annual_capacity_t"] == "5000.500"
    assert permit["taken_t"] == "0.000" and permit["remaining_t"] == "5000.500"
    for bad in ("0", "-1", "1.0001", "lots"):
        assert_problem(
            await client.post(url, headers=reg, json={**body, "annual_capacity_t": bad}),
            422,
            "annual_capacity_t",
        )
    r = await client.post(url, headers=reg, json=body)
    assert r.status_code == 201 and r.json()["annual_capacity_t"] is None
    assert r.json()["remaining_t"] is None, "no capacity recorded: nothing to count down"
    mine = (await client.get(url, headers=headers)).json()["items"]
    assert [p["annual_capacity_t"] for p in mine] == ["5000.500", None]
    assert_problem(
        await client.post(url, headers=headers, json={**body, "annual_capacity_t": "10"}), 403
    )


async def test_regulators_see_permits_expiring_soon(
    client: Any, actors: Actors, settings: Any
) -> None:
    reg = await regulator(settings, actors)
    headers, org, _site = await actors.producer(kind="recycler")
    other_headers, other, _ = await actors.producer(kind="recycler")
    url = f"{API}/organizations/{{}}/permits"
    for org_id, kind, offset in [
        (org["id"], "HW31", 10),
        (org["id"], "HW08", 40),
        (other["id"], "HW31", 0),
        (other["id"], "HW49", -1),
    ]:
        r = await client.post(
            url.format(org_id),
            headers=reg,
            json={"kind": kind, "valid_until": day(offset), "annual_capacity_t": "100"},
        )
        assert r.status_code == 201, r.text
    r = await client.get(f"{API}/permits/expiring", headers=reg)
    assert r.status_code == 200, r.text
    page = r.json()
    got = [(p["organization_id"], p["kind"], p["days_left"]) for p in page["items"]]
    assert got == [(other["id"], "HW31", 0), (org["id"], "HW31", 10)], "soonest first"
    assert page["total"] == 2 and page["items"][0]["organization_name"] == other["name"]
    assert page["items"][1]["remaining_t"] == "100.000"
    wider = (await client.get(f"{API}/permits/expiring?days=45", headers=reg)).json()
    assert [p["kind"] for p in wider["items"]] == ["HW31", "HW31", "HW08"]
    for bad in ("-1", "367", "soon"):
        r = await client.get(f"{API}/permits/expiring?days={bad}", headers=reg)
        assert r.status_code in (400, 422), r.text
    assert_problem(await client.get(f"{API}/permits/expiring", headers=headers), 403)
    assert_problem(await client.get(f"{API}/permits/expiring", headers=other_headers), 403)
