"""Bodies no client should send are answered 400/422 with a reason, never a 500, and a 422
stays small however many values are wrong.

Before the fix a JSON body with bytes that are not UTF-8 reached a 500 with a traceback
(msgspec raises ``UnicodeDecodeError``, which is not a decode error Litestar maps), and
300,000 invalid spec values produced a 34 MB 422 listing every one.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.problems import MAX_LISTED_ERRORS
from tests.conftest import Actors, assert_problem
from tests.geo.test_regions_import_and_geocode import platform_admin
from tests.trading.helpers import Market

JSON = {"content-type": "application/json"}
#: Latin-1 "é" inside a JSON string, a stray 0xff, and a UTF-16 body: all invalid UTF-8.
NOT_UTF8 = [
    b'{"email": "caf\xe9@example.cn", "password": "secret-pass-1"}',
    b'{"email": "a@example.cn", "password": "\xff\xfe\xfd"}',
    '{"email": "a@example.cn"}'.encode("utf-16"),
]


@pytest.mark.parametrize("body", NOT_UTF8, ids=["latin1", "stray-bytes", "utf16"])
async def test_a_body_that_is_not_utf8_is_400_with_a_reason(
    client: AsyncTestClient[Litestar],
    actors: Actors,
    settings: Any,
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await platform_admin(settings, actors)
    targets = [
        ("/api/v1/auth/login", {}),
        ("/api/v1/auth/register", {}),
        ("/api/v1/geo/regions/import?kind=district&crs=wgs84", admin),
    ]
    with caplog.at_level(logging.WARNING):
        for path, headers in targets:
            r = await client.post(path, content=body, headers={**JSON, **headers})
            assert r.status_code == 400, f"{path}: {r.status_code} {r.text}"
            assert_problem(r, 400)
            detail = r.json()["detail"]
            assert "UTF-8" in detail or "malformed" in detail, detail
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback was logged"


async def test_a_422_lists_at_most_100_errors_and_counts_the_rest(
    client: AsyncTestClient[Litestar], actors: Actors
) -> None:
    market = Market(client, actors)
    seller = await market.seller()
    bad = 3000
    spec = {f"p{i}": "not a number" for i in range(bad)}
    r = await client.post(
        "/api/v1/listings",
        headers=seller.headers,
        json={
            "site_id": seller.site["id"],
            "material_code": "fly_ash",
            "quantity_t": "10",
            "cadence": "one_off",
            "price_cny_t": "35.00",
            "spec": spec,
        },
    )
    body = assert_problem(r, 422, "spec")
    assert len(body["errors"]) == MAX_LISTED_ERRORS == 100
    assert body["errors_omitted"] == bad - MAX_LISTED_ERRORS
    assert f"and {bad - MAX_LISTED_ERRORS} more errors" in body["detail"]
    assert len(r.content) < 32_000, len(r.content)


async def test_a_422_with_few_errors_lists_them_all_and_counts_none(
    client: AsyncTestClient[Litestar], actors: Actors
) -> None:
    headers = await actors.user()
    r = await client.post("/api/v1/listings", headers=headers, json={"quantity_t": "x"})
    body = assert_problem(r, 422, "quantity_t")
    assert 1 < len(body["errors"]) < MAX_LISTED_ERRORS
    assert "errors_omitted" not in body
