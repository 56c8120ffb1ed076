"""Nobody can pose as the authority: organisations are unverified until a regulator checks
their 统一社会信用代码, every view marks them, and they cannot close large deals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from sqlmodel import col, func, select

from market.accounts.models import Organization
from market.app import create_app
from market.core.audit_model import AuditEvent
from market.core.settings import Settings
from market.demo.load import load_demo
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import API, Market, Party, in_db, make_regulator
from tests.web.helpers import web_login

AUTHORITY = "荆门市生态环境局"


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """An app with the default limit (the suite's shared app has none, see conftest)."""
    return create_app(settings.model_copy(update={"unverified_deal_limit_t": Decimal("100")}))


@pytest.fixture
def market(client: Any) -> Market:
    """Organisations verified unless a test asks for an unverified one."""
    return Market(client, Actors(client, verify_orgs=True))


async def _unverified(market: Market, kind: str = "producer", **kw: Any) -> Party:
    headers = await market.actors.user(kw.pop("user", None))
    org = await market.actors.org(headers, kind=kind, verified=False, **kw)
    site = await market.actors.site(headers, org["id"])
    return Party(headers, org, site)


async def test_anyone_may_register_the_authoritys_name_but_it_shows_unverified(
    market: Market, settings: Settings
) -> None:
    poser = await _unverified(market, name=AUTHORITY)
    assert poser.org["name"] == AUTHORITY and poser.org["verified"] is False
    other = await market.actors.user()
    r = await market.client.get(f"{API}/organizations/{poser.org_id}", headers=other)
    assert r.status_code == 200 and r.json()["verified"] is False

    regulator = await make_regulator(settings, market.actors, "checker@example.cn")
    r = await market.client.post(
        f"{API}/organizations/{poser.org_id}/verify",
        headers=regulator,
        json={"uscc": "91420800MA4KXXXX0X", "note": "营业执照 seen"},
    )
    assert_problem(r, 422, "uscc")
    r = await market.client.post(
        f"{API}/organizations/{poser.org_id}/verify",
        headers=regulator,
        json={"uscc": poser.org["uscc"], "note": "营业执照原件核对"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True and r.json()["organization_id"] == poser.org_id
    r = await market.client.get(f"{API}/organizations/{poser.org_id}", headers=other)
    assert r.json()["verified"] is True
    r = await market.client.post(
        f"{API}/organizations/{poser.org_id}/verify", headers=regulator, json={"note": "again"}
    )
    assert_problem(r, 409, "already verified")

    async def events(session: Any) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(col(AuditEvent.entity) == "organization")
        return list((await session.exec(stmt)).all())

    (event,) = [e for e in await in_db(settings, events) if e.entity_id == poser.org_id]
    assert event.action == "verified" and event.actor_user_id is not None
    assert event.before == {"verified": False}
    assert event.after is not None
    assert event.after["method"] == "entered" and event.after["note"] == "营业执照原件核对"
    assert event.after["uscc"] == poser.org["uscc"]


async def test_only_regulators_verify(market: Market, settings: Settings) -> None:
    poser = await _unverified(market)
    for who in (poser.headers, await market.actors.user()):
        r = await market.client.post(
            f"{API}/organizations/{poser.org_id}/verify", headers=who, json={"note": "me"}
        )
        assert_problem(r, 403, "regulators")
    r = await market.client.post(f"{API}/organizations/{poser.org_id}/verify", json={"note": "x"})
    assert r.status_code == 401
    regulator = await make_regulator(settings, market.actors, "checker2@example.cn")
    r = await market.client.post(
        f"{API}/organizations/999999/verify", headers=regulator, json={"note": "x"}
    )
    assert_problem(r, 404)
    r = await market.client.post(
        f"{API}/organizations/{poser.org_id}/verify", headers=regulator, json={"note": " "}
    )
    assert r.status_code in (400, 422)


async def test_regulator_organisations_only_from_regulators(
    market: Market, settings: Settings
) -> None:
    user = await market.actors.user()
    body = {"name": AUTHORITY, "uscc": "", "kind": "regulator", "district_code": "420802"}
    from market.accounts.uscc import make_uscc

    body["uscc"] = make_uscc("420802", 777001)
    r = await market.client.post(f"{API}/organizations", headers=user, json=body)
    assert_problem(r, 403, "regulator organisations")
    regulator = await make_regulator(settings, market.actors, "checker3@example.cn")
    r = await market.client.post(f"{API}/organizations", headers=regulator, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "regulator" and r.json()["verified"] is False


async def test_unverified_parties_cannot_close_deals_above_the_limit(market: Market) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, quantity_t="1000")
    buyer = await _unverified(market, kind="consumer", district="420881")
    # At the limit is allowed: a small trial lot needs no check.
    await market.ok_buy(listing["id"], buyer, quantity_t="100")
    r = await market.buy(listing["id"], buyer, quantity_t="100.001")
    assert_problem(r, 403, "MARKET_UNVERIFIED_DEAL_LIMIT_T", "100", "the buyer", "not verified")

    # An accepted bid is a deal too, and an unverified seller is refused the same way.
    bid = await market.ok_bid(listing["id"], buyer, quantity_t="200")
    r = await market.act(bid["id"], "accept", seller)
    assert_problem(r, 403, "MARKET_UNVERIFIED_DEAL_LIMIT_T", "the buyer")

    shady = await _unverified(market)
    lot = await market.listing(shady, quantity_t="1000")
    verified_buyer = await market.buyer()
    r = await market.buy(lot["id"], verified_buyer, quantity_t="150")
    assert_problem(r, 403, "MARKET_UNVERIFIED_DEAL_LIMIT_T", "the seller")

    await market.actors.verify(shady.org_id)
    await market.actors.verify(buyer.org_id)
    await market.ok_buy(lot["id"], verified_buyer, quantity_t="150")
    r = await market.act(bid["id"], "accept", seller)
    assert r.status_code == 200, r.text


async def test_every_view_marks_the_unverified(market: Market) -> None:
    seller = await _unverified(market)
    listing = await market.listing(seller)
    buyer = await market.buyer()
    r = await market.get(f"/listings/{listing['id']}", buyer)
    assert r.json()["anonymous"] is True
    assert r.json()["organization"]["verified"] is False
    r = await market.get("/listings", buyer)
    (row,) = [x for x in r.json()["items"] if x["id"] == listing["id"]]
    assert row["organization"]["verified"] is False

    demander = await _unverified(market, kind="consumer", district="420881")
    r = await market.client.post(
        f"{API}/demands",
        headers=demander.headers,
        json={
            "site_id": demander.site["id"],
            "material_code": "fly_ash",
            "quantity_t": "50",
            "title": "求购粉煤灰",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["organization"]["verified"] is False
    r = await market.get(f"/demands/{r.json()['id']}", seller)
    assert r.json()["organization"]["verified"] is False

    bid = await market.ok_bid(listing["id"], buyer, quantity_t="50")
    assert bid["buyer_verified"] is True and bid["seller_verified"] is False
    r = await market.get(f"/bids/{bid['id']}", seller)
    assert r.json()["seller_verified"] is False and r.json()["buyer_verified"] is True

    r = await market.act(bid["id"], "accept", seller)
    assert r.status_code == 200, r.text
    deals = (await market.get("/deals", buyer)).json()["items"]
    assert deals[0]["seller"]["verified"] is False and deals[0]["buyer"]["verified"] is True

    await market.actors.verify(seller.org_id)
    r = await market.get(f"/listings/{listing['id']}", buyer)
    assert r.json()["organization"]["verified"] is True


async def test_the_pages_say_unverified(market: Market) -> None:
    seller = await _unverified(market)
    listing = await market.listing(seller, title="未核验企业的粉煤灰")
    fine = await market.seller()
    other = await market.listing(fine, title="已核验企业的粉煤灰")
    email = "page-viewer@example.cn"
    headers = await market.actors.user(email.split("@")[0])
    org = await market.actors.org(headers, kind="consumer")
    await market.actors.site(headers, org["id"])
    await web_login(market.client, email, "secret-pass-1")
    page = await market.client.get(f"/listings/{listing['id']}")
    assert page.status_code == 200 and ">未核验<" in page.text
    page = await market.client.get(f"/listings/{other['id']}")
    assert page.status_code == 200 and "未核验" not in page.text
    page = await market.client.get("/listings")
    assert page.text.count(">未核验<") == 1


async def test_the_demo_organisations_are_verified(settings: Settings) -> None:
    async def work(session: Any) -> tuple[int, int]:
        await load_demo(session)
        total = (await session.exec(select(func.count()).select_from(Organization))).one()
        unverified = (
            await session.exec(
                select(func.count())
                .select_from(Organization)
                .where(col(Organization.verified).is_(False))
            )
        ).one()
        return total, unverified

    total, unverified = await in_db(settings, work)
    assert total > 0 and unverified == 0
