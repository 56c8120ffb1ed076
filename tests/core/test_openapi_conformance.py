"""Schemathesis in-process: the API answers what its OpenAPI document promises.

Clients are generated from ``/schema/openapi.json``. Schemathesis reads that document,
generates a few requests per operation (valid and invalid ones) and sends them to the app on
the demo data (SQLite), logged in as a producer; every answer must be no 5xx, a status code
the operation declares, in the declared content type, matching the declared schema. Path
parameters are real demo ids most of the time, so successes are checked, not only 404s.

This runs Schemathesis' own engine (what ``st run`` runs; its pytest plugin does not work
with pytest 9). It is the quick guard; the longer run against a served app, as a producer
and as a regulator, is::

    st run http://127.0.0.1:8765/schema/openapi.json -H "Authorization: Bearer $TOKEN" \\
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \\
      --max-examples 30 --workers 2 --max-time 400
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events
from schemathesis.python import asgi
from sqlmodel import col, select

from market.accounts.models import Membership, User
from market.app import create_app
from market.catalogue.sync import sync_catalogue
from market.cli import run_in_transaction
from market.core.migrate import upgrade
from market.core.settings import Settings
from market.demo.load import load_demo
from market.offers.models import Demand, Listing

PRODUCER = {"email": "dongbao_coal@demo.jingmen.example", "password": "demo-dongbao_coal-2026"}
BUYER = {"email": "dongbao_cement@demo.jingmen.example", "password": "demo-dongbao_cement-2026"}
#: Operations that can revoke the token the run is logged in with.
_ENDS_THE_LOGIN = r"^/api/v1/(auth/logout|me/tokens/|me/password)"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]


async def _demo_ids(session: Any) -> dict[str, list[Any]]:
    """Real values for the path parameters: the producer's own organisation and listings
    (where it sees the most) and a few of others' (the other draws stay random: 404s)."""
    own_org = (
        await session.exec(
            select(Membership.organization_id)
            .join(User, col(User.id) == col(Membership.user_id))
            .where(User.email == PRODUCER["email"])
        )
    ).one()
    own = select(Listing.id).where(Listing.organization_id == own_org).order_by(col(Listing.id))
    others = select(Listing.id).where(Listing.organization_id != own_org).limit(2)
    return {
        "listing_id": list((await session.exec(own)).all() + (await session.exec(others)).all()),
        "demand_id": list((await session.exec(select(Demand.id).limit(3))).all()),
        "org_id": [own_org, own_org + 1],
        "code": ["fly_ash", "phosphogypsum"],
    }


def _trade(client: Any, token: str, ids: dict[str, list[Any]]) -> None:
    """A buyer takes part of the producer's first listing and bids on another; the producer
    ships part of the deal: bids, deals and shipments exist to be fetched."""
    r = client.post("/api/v1/auth/login", json=BUYER)
    assert r.status_code == 201, r.text
    buyer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    seller = {"Authorization": f"Bearer {token}"}
    site = client.get("/api/v1/me", headers=buyer).json()["organizations"][0]["id"]
    site_id = client.get(f"/api/v1/organizations/{site}/sites", headers=buyer).json()["items"][0][
        "id"
    ]
    first, second = ids["listing_id"][:2]
    deal = client.post(
        f"/api/v1/listings/{first}/buy", headers=buyer, json={"site_id": site_id, "quantity_t": "5"}
    )
    assert deal.status_code == 201, deal.text
    bid = client.post(
        f"/api/v1/listings/{second}/bids",
        headers=buyer,
        json={"site_id": site_id, "quantity_t": "5", "price_cny_t": "1.00"},
    )
    assert bid.status_code == 201, bid.text
    shipment = client.post(
        f"/api/v1/deals/{deal.json()['id']}/shipments",
        headers=seller,
        json={"vehicle_plate": "鄂H·12345", "carrier": "荆门顺达物流", "dispatched_t": "2"},
    )
    assert shipment.status_code == 201, shipment.text
    ids |= {
        "deal_id": [deal.json()["id"]],
        "bid_id": [bid.json()["id"]],
        "shipment_id": [shipment.json()["id"]],
    }


def _config(ids: dict[str, list[Any]], token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20261202,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": 3, "database": "none", "no-shrink": True},
            # The coverage phase alone is some 3,000 requests; fuzzing samples the same ground.
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "checks": {"enabled": False} | {name: {"enabled": True} for name in CHECKS},
            "dictionaries": {name: {"values": values} for name, values in ids.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.7} for name in ids
            },
        }
    )


@pytest.fixture(scope="module")
def demo_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app over a migrated demo database, loaded by Schemathesis (which runs it in its
    own thread and loop; the lifespan is stopped when the module is done)."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('conformance') / 'demo.sqlite3'}"
    settings = Settings(database_url=url, env="test", tender_poll_seconds=0)
    upgrade(url)
    run_in_transaction(settings, sync_catalogue)
    run_in_transaction(settings, load_demo)
    ids = run_in_transaction(settings, _demo_ids)
    app = create_app(settings)
    try:
        with asgi.get_client(app) as client:
            r = client.post("/api/v1/auth/login", json=PRODUCER)
            assert r.status_code == 201, r.text
            token = r.json()["access_token"]
            _trade(client, token, ids)
        config = _config(ids, token)
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
        # Logging out (or revoking tokens) would end the run's own login half-way.
        yield schema.include(path_regex="^/api/v1/").exclude(path_regex=_ENDS_THE_LOGIN)
    finally:
        asgi.shutdown_lifespans()


def _failures(event: events.ScenarioFinished) -> list[str]:
    found = []
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                found.append(
                    f"{event.recorder.label}: {failure.title}\n  {failure.message[:500]}\n"
                    f"  {check.failure_info.code_sample}"
                )
    return found


def test_answers_match_the_document(demo_schema: Any) -> None:
    failures: list[str] = []
    errors: list[str] = []
    operations: set[str] = set()
    succeeded: set[str] = set()
    for event in schemathesis.engine.from_schema(demo_schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.recorder.interactions:
            operations.add(event.recorder.label)
            failures += _failures(event)
            if any(
                i.response is not None and i.response.status_code < 300
                for i in event.recorder.interactions.values()
            ):
                succeeded.add(event.recorder.label)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "info", event)))
    assert not errors, "\n".join(errors)
    assert not failures, "\n\n".join(sorted(set(failures)))
    assert len(operations) >= 60, f"only {len(operations)} operations were exercised"
    # Successes are checked too: the login held and the demo ids were found.
    assert len(succeeded) >= 30, f"only {len(succeeded)} operations ever succeeded"


def test_operations_needing_a_login_declare_the_bearer_scheme(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Generated clients send the token only where the document asks for it."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('openapi') / 'x.sqlite3'}"
    document = create_app(Settings(database_url=url, env="test")).openapi_schema.to_schema()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    wrong = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
        and "responses" in op
        # A wrong password is a 401 too, without a token to send.
        and path != "/api/v1/auth/login"
        and ("401" in op["responses"]) != (op.get("security") == [{"bearer": []}])
    ]
    assert not wrong, wrong
