"""Helpers for the page tests: log in through the HTML form, pull SVGs out of a page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.settings import Settings

SVG_NS = "{http://www.w3.org/2000/svg}"
PASSWORD = "secret-pass-1"  # what tests.conftest.Actors registers everybody with


async def csrf_token(client: AsyncTestClient[Litestar], path: str = "/login") -> str:
    """GET a page so the CSRF cookie is set, and return the token the forms would carry."""
    r = await client.get(path)
    assert r.status_code in (200, 422), r.text
    token = client.cookies.get("csrftoken")
    assert token, "the page did not set the CSRF cookie"
    return str(token)


async def web_login(
    client: AsyncTestClient[Litestar], email: str, password: str = PASSWORD, next_url: str = "/my"
) -> Any:
    token = await csrf_token(client)
    r = await client.post(
        "/login",
        data={"email": email, "password": password, "next": next_url, "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


async def post_form(
    client: AsyncTestClient[Litestar], path: str, data: dict[str, str], form_page: str
) -> Any:
    """POST a page form with the CSRF token from ``form_page``, without following redirects."""
    token = await csrf_token(client, form_page)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


def svgs(html: str) -> list[ET.Element]:
    """Every inline ``<svg>…</svg>`` of a page, parsed as XML (fails if one is malformed)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def region_paths(svg: ET.Element) -> list[ET.Element]:
    return [p for p in svg.iter(f"{SVG_NS}path") if p.get("data-kind") in ("district", "park")]


async def make_regulator(settings: Settings, email: str, password: str = PASSWORD) -> None:
    """Regulators are created by the CLI only; tests call the service like the CLI does."""
    from market.accounts.service import create_user
    from market.core.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await create_user(session, email, password, "城市监管员", role="regulator")
    finally:
        await engine.dispose()


FLY_ASH_SPEC = {
    "residue_45um_pct": "18.2",
    "water_demand_ratio_pct": "100",
    "loi_pct": "4.1",
    "so3_pct": "1.2",
    "free_cao_pct": "0.4",
    "moisture_pct": "0.5",
    "i_ra": "0.3",
    "i_gamma": "0.4",
}


async def api_listing(
    client: AsyncTestClient[Litestar],
    headers: dict[str, str],
    site_id: int,
    *,
    material: str = "fly_ash",
    quantity: str = "1200",
    price: str = "-15.00",
    spec: dict[str, str] | None = None,
    title: str = "二级粉煤灰 1200 吨",
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/listings",
        headers=headers,
        json={
            "site_id": site_id,
            "material_code": material,
            "quantity_t": quantity,
            "price_cny_t": price,
            "spec": FLY_ASH_SPEC if spec is None else spec,
            "title": title,
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())
