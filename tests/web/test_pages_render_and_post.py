"""The HTML pages through the real app (SQLite and PostgreSQL): login, search, forms, city."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.settings import Settings
from tests.conftest import Actors
from tests.web.helpers import (
    PASSWORD,
    SVG_NS,
    api_listing,
    csrf_token,
    make_regulator,
    post_form,
    region_paths,
    svgs,
    web_login,
)

Client = AsyncTestClient[Litestar]


async def _member(
    actors: Actors, name: str, kind: str = "consumer", lon: float = 112.21, lat: float = 31.04
) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A user (logged in on the API) with an organisation and one site."""
    headers = await actors.user(name)
    org = await actors.org(headers, kind=kind)
    site = await actors.site(headers, org["id"], lon, lat)
    return headers, org, site


# --- login, logout, cookies, CSRF -----------------------------------------------------------


async def test_home_is_public_and_chinese(client: Client) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "荆门工业固废与再生资源交易平台" in r.text
    assert 'href="/login"' in r.text
    assert "粉煤灰" in r.text  # the quick search lists the catalogue
    css = await client.get("/static/app.css")
    assert css.status_code == 200 and "font-family" in css.text


async def test_login_sets_an_httponly_lax_cookie_and_redirects(
    client: Client, actors: Actors
) -> None:
    await actors.user("clerk")
    r = await web_login(client, "clerk@example.cn", next_url="/listings")
    assert r.headers["location"] == "/listings"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("market_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    page = await client.get("/my")
    assert page.status_code == 200
    assert "clerk" in page.text and "退出" in page.text


async def test_wrong_password_shows_the_form_again(client: Client, actors: Actors) -> None:
    await actors.user("clerk2")
    token = await csrf_token(client)
    r = await client.post(
        "/login",
        data={"email": "clerk2@example.cn", "password": "nope-nope", "_csrf_token": token},
    )
    assert r.status_code == 401
    assert "邮箱或密码错误" in r.text
    assert 'value="clerk2@example.cn"' in r.text
    assert "market_session" not in client.cookies


async def test_pages_send_anonymous_visitors_to_login_and_back(client: Client) -> None:
    r = await client.get("/listings?material=fly_ash", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/listings%3Fmaterial%3Dfly_ash"
    form = await client.get(r.headers["location"])
    assert 'name="next" value="/listings?material=fly_ash"' in form.text


async def test_login_refuses_to_redirect_off_site(client: Client, actors: Actors) -> None:
    await actors.user("clerk3")
    r = await web_login(client, "clerk3@example.cn", next_url="//evil.example/steal")
    assert r.headers["location"] == "/my"


async def test_logout_revokes_the_token(client: Client, actors: Actors) -> None:
    await actors.user("clerk4")
    await web_login(client, "clerk4@example.cn")
    stolen = client.cookies.get("market_session")
    r = await post_form(client, "/logout", {}, "/my")
    assert r.status_code == 303 and r.headers["location"] == "/"
    client.cookies.set("market_session", str(stolen))
    again = await client.get("/my", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_csrf_rejects_a_form_post_without_the_token(client: Client, actors: Actors) -> None:
    await actors.user("clerk5")
    await csrf_token(client)  # the cookie alone is not enough: the form must echo it
    r = await client.post(
        "/login", data={"email": "clerk5@example.cn", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert "表单已过期" in r.text
    await web_login(client, "clerk5@example.cn")
    forged = await client.post(
        "/listings/new", data={"material_code": "fly_ash"}, follow_redirects=False
    )
    assert forged.status_code == 403
    # The JSON API (bearer tokens) is not behind CSRF and keeps working with the cookie set.
    api = await client.post(
        "/api/v1/auth/login", json={"email": "clerk5@example.cn", "password": PASSWORD}
    )
    assert api.status_code == 201


# --- listings --------------------------------------------------------------------------------


async def test_search_lists_nearby_supply_with_a_map(client: Client, actors: Actors) -> None:
    producer, _, psite = await _member(actors, "power", kind="producer", lon=112.25, lat=31.05)
    await api_listing(client, producer, psite["id"], price="-15.00")
    await api_listing(client, producer, psite["id"], price="30.00", title="原状粉煤灰")
    _, _, site = await _member(actors, "cement")
    await web_login(client, "cement@example.cn")
    r = await client.get(
        "/listings",
        params={"material": "fly_ash", "near": f"site:{site['id']}", "radius_km": "50"},
    )
    assert r.status_code == 200, r.text
    html = r.text
    assert "供应挂牌" in html and "距离 km" in html
    assert html.count('class="result-row"') == 2
    assert "处置费 15" in html  # a negative price is a fee the producer pays
    assert "匿名生产企业" in html  # other firms' producers stay anonymous
    assert "细度" in html  # spec summary uses the catalogue's Chinese names
    (svg,) = svgs(html)
    assert svg.tag == f"{SVG_NS}svg"
    assert len(region_paths(svg)) >= 5
    supply = [c for c in svg.iter(f"{SVG_NS}circle") if c.get("data-kind") == "supply"]
    assert len(supply) == 2


async def test_search_errors_are_shown_beside_the_inputs(client: Client, actors: Actors) -> None:
    await _member(actors, "cement2")
    await web_login(client, "cement2@example.cn")
    r = await client.get(
        "/listings", params={"near": "point", "lat": "31.0", "lon": "abc", "radius_km": "-4"}
    )
    assert r.status_code == 422
    assert 'id="err-lon"' in r.text and "请输入数字" in r.text
    assert 'id="err-radius_km"' in r.text


async def test_listing_page_shows_spec_units_and_grades(client: Client, actors: Actors) -> None:
    producer, _, psite = await _member(actors, "power2", kind="producer")
    listing = await api_listing(client, producer, psite["id"])
    await web_login(client, "power2@example.cn")
    r = await client.get(f"/listings/{listing['id']}")
    assert r.status_code == 200, r.text
    html = r.text
    assert "细度（45μm方孔筛筛余）" in html and "<td>%</td>" in html
    # 18.2 % residue misses F-I (≤ 12) but meets F-II (≤ 30).
    assert "符合 GB/T 1596 F类 II级 混凝土用" in html
    assert "不符合 F-I" in html
    assert 'id="matches"' in html  # the producer sees the matches panel


async def test_unknown_listing_is_an_html_404(client: Client, actors: Actors) -> None:
    await actors.user("clerk6")
    await web_login(client, "clerk6@example.cn")
    r = await client.get("/listings/999999")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"] and "未找到" in r.text


async def test_new_listing_form_shows_the_material_parameters(
    client: Client, actors: Actors
) -> None:
    await _member(actors, "power3", kind="producer")
    await web_login(client, "power3@example.cn")
    r = await client.get("/listings/new", params={"material": "fly_ash"})
    assert r.status_code == 200
    assert 'name="spec.loi_pct"' in r.text
    assert "烧失量" in r.text and "（%）" in r.text


async def test_listing_form_errors_rerender_with_422(client: Client, actors: Actors) -> None:
    _, _, site = await _member(actors, "power4", kind="producer")
    await web_login(client, "power4@example.cn")
    base = {
        "site_id": str(site["id"]),
        "material_code": "fly_ash",
        "quantity_t": "-5",
        "price_cny_t": "-12.5",
        "cadence": "one_off",
        "status": "open",
        "spec.loi_pct": "4.2",
    }
    r = await post_form(client, "/listings/new", base, "/listings/new?material=fly_ash")
    assert r.status_code == 422
    assert 'id="err-quantity_t"' in r.text and "必须大于 0" in r.text
    assert 'value="4.2"' in r.text  # what was typed is kept
    # A value outside the parameter's physical range: a message in the page's language, on
    # that input.
    bad_spec = base | {"quantity_t": "100", "spec.loi_pct": "150"}
    r = await post_form(client, "/listings/new", bad_spec, "/listings/new?material=fly_ash")
    assert r.status_code == 422
    assert "150 超出有效范围 0–100 %" in r.text
    assert r.text.index("超出有效范围") > r.text.index('name="spec.loi_pct"')


async def test_listing_form_creates_and_redirects(client: Client, actors: Actors) -> None:
    _, _, site = await _member(actors, "power5", kind="producer")
    await web_login(client, "power5@example.cn")
    data = {
        "site_id": str(site["id"]),
        "material_code": "fly_ash",
        "title": "网页发布的粉煤灰",
        "quantity_t": "800.5",
        "price_cny_t": "20",
        "cadence": "monthly",
        "status": "open",
        "spec.residue_45um_pct": "10",
        "spec.loi_pct": "3",
    }
    r = await post_form(client, "/listings/new", data, "/listings/new?material=fly_ash")
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/listings/")
    detail = await client.get(r.headers["location"])
    assert "网页发布的粉煤灰" in detail.text and "800.5" in detail.text
    mine = await client.get("/my")
    assert "网页发布的粉煤灰" in mine.text


async def test_cannot_post_from_another_firms_site(client: Client, actors: Actors) -> None:
    _, _, other_site = await _member(actors, "power6", kind="producer")
    await _member(actors, "power7", kind="producer")
    await web_login(client, "power7@example.cn")
    data = {
        "site_id": str(other_site["id"]),
        "material_code": "fly_ash",
        "quantity_t": "10",
        "price_cny_t": "1",
    }
    r = await post_form(client, "/listings/new", data, "/listings/new?material=fly_ash")
    assert r.status_code == 403
    assert "您不是该企业的成员" in r.text  # the service's reason, in the page's language


# --- demands ---------------------------------------------------------------------------------


async def test_demand_form_validates_and_creates(client: Client, actors: Actors) -> None:
    _, _, site = await _member(actors, "cement3")
    await web_login(client, "cement3@example.cn")
    form = await client.get("/demands/new", params={"material": "fly_ash"})
    assert form.status_code == 200
    assert 'name="requirements.loi_pct.max"' in form.text and "GB/T 1596" in form.text
    data = {
        "site_id": str(site["id"]),
        "material_code": "fly_ash",
        "quantity_t": "3000",
        "cadence": "monthly",
        "use": "cement_admixture",
        "requirements.loi_pct.min": "9",
        "requirements.loi_pct.max": "5",
    }
    r = await post_form(client, "/demands/new", data, "/demands/new?material=fly_ash")
    assert r.status_code == 422
    assert "greater than max" in r.text
    good = data | {
        "requirements.loi_pct.min": "",
        "grade": "gbt1596_cement_admixture",
        "max_haul_km": "80",
        "title": "水泥厂求购粉煤灰",
    }
    r = await post_form(client, "/demands/new", good, "/demands/new?material=fly_ash")
    assert r.status_code == 303, r.text
    detail = await client.get(r.headers["location"])
    assert detail.status_code == 200
    assert "水泥厂求购粉煤灰" in detail.text and "水泥活性混合材料用" in detail.text
    assert "水泥混合材" in detail.text  # the declared use, in Chinese
    listed = await client.get("/demands", params={"material": "fly_ash", "near": ""})
    assert "水泥厂求购粉煤灰" in listed.text


# --- my page and the city page ---------------------------------------------------------------


async def test_my_page_lists_organisations_and_sites(client: Client, actors: Actors) -> None:
    _, org, site = await _member(actors, "clerk7", kind="producer")
    await web_login(client, "clerk7@example.cn")
    r = await client.get("/my")
    assert r.status_code == 200
    assert org["name"] in r.text and site["name"] in r.text
    assert "产废企业" in r.text


async def test_city_page_is_forbidden_to_enterprises(client: Client, actors: Actors) -> None:
    await _member(actors, "clerk8")
    await web_login(client, "clerk8@example.cn")
    r = await client.get("/city")
    assert r.status_code == 403
    assert "无权访问" in r.text


async def test_city_page_for_regulators_draws_map_and_charts(
    client: Client, actors: Actors, settings: Settings
) -> None:
    producer, _, psite = await _member(actors, "power8", kind="producer")
    await api_listing(client, producer, psite["id"], quantity="1500")
    await make_regulator(settings, "city@example.cn")
    await web_login(client, "city@example.cn")
    r = await client.get("/city")
    assert r.status_code == 200, r.text
    html = r.text
    assert "城市统计" in html and "城市统计<span" in html
    drawn = svgs(html)
    assert len(drawn) == 3  # map, bar chart, line chart
    assert len(region_paths(drawn[0])) >= 5
    bars = [e for e in drawn[1].iter(f"{SVG_NS}rect") if e.get("class") == "bar"]
    assert [b.get("data-label") for b in bars] == ["粉煤灰"]
    assert float(bars[0].get("data-value", "0")) == 1500.0
    assert "1,500" in html  # the open supply table


async def test_city_page_uses_ledgers_when_reported(
    client: Client, actors: Actors, settings: Settings
) -> None:
    producer, _, psite = await _member(actors, "power9", kind="producer")
    r = await client.post(
        "/api/v1/ledger",
        headers=producer,
        json={
            "site_id": psite["id"],
            "material_code": "fly_ash",
            "month": "2025-03",
            "generated_t": "100",
            "used_inhouse_t": "60",
            "stored_t": "40",
        },
    )
    assert r.status_code in (200, 201), r.text
    await make_regulator(settings, "city2@example.cn")
    await web_login(client, "city2@example.cn")
    page = await client.get("/city")
    assert page.status_code == 200, page.text
    assert "综合利用率" in page.text and "60.00 %" in page.text
    assert 'id="util-by-district"' in page.text
