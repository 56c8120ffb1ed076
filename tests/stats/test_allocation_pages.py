"""/city/allocation and /city/scenarios: regulators see potential vs actual and the flows."""

from __future__ import annotations

from market.core.settings import Settings
from tests.conftest import Actors
from tests.stats.allocation_market import build_market
from tests.web.helpers import SVG_NS, make_regulator, svgs, web_login


async def test_allocation_page_draws_the_flows(client, actors: Actors, settings: Settings) -> None:
    m = await build_market(client, actors)
    await make_regulator(settings, "alloc@example.cn")
    api = await actors.login("alloc@example.cn", "secret-pass-1")
    r = await client.post(
        "/api/v1/stats/scenarios",
        headers=api,
        json={"name": "无P2情景", "changes": {"removed_producers": [m.org["p2"]]}},
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    await web_login(client, "alloc@example.cn")

    page = await client.get("/city/allocation", params={"material": "fly_ash", "year": 2026})
    assert page.status_code == 200, page.text
    html = page.text
    assert "综合利用潜力与实际" in html and 'id="potential-by-district"' in html
    assert "34.00 %" in html and "20.00 %" in html
    (drawn,) = svgs(html)
    flows = [p for p in drawn.iter(f"{SVG_NS}path") if p.get("class") == "flow"]
    assert len(flows) == 3, "the three allocated flows are drawn on the map"
    table = html.split('id="allocation-flows"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 4 and f'href="/demands/{m.demand["c2"]}"' in table
    for wide in ("potential-by-district", "allocation-flows"):  # a phone scrolls the box
        assert f'<div class="table-wrap"><table class="data compact" id="{wide}">' in html

    scenario = await client.get(
        "/city/allocation", params={"material": "fly_ash", "year": 2026, "scenario": sid}
    )
    assert scenario.status_code == 200 and 'id="scenario-difference"' in scenario.text
    assert "-40.000" in scenario.text

    listing = await client.get("/city/scenarios", params={"material": "fly_ash", "year": 2026})
    assert listing.status_code == 200, listing.text
    assert "无P2情景" in listing.text and "基准" in listing.text
    assert '<div class="table-wrap"><table class="data" id="scenario-table">' in listing.text
    assert ">140<" in listing.text and ">100<" in listing.text and ">-40<" in listing.text

    bad = await client.get("/city/allocation", params={"material": "nope", "year": 2026})
    assert bad.status_code == 422 and "unknown material" in bad.text


async def test_allocation_pages_are_for_regulators(client, actors: Actors) -> None:
    await actors.producer()
    await actors.user("clerk_alloc")
    await web_login(client, "clerk_alloc@example.cn")
    for path in ("/city/allocation", "/city/scenarios"):
        r = await client.get(path)
        assert r.status_code == 403 and "无权访问" in r.text


async def test_city_page_has_the_potential_panel(
    client, actors: Actors, settings: Settings
) -> None:
    await build_market(client, actors)
    await make_regulator(settings, "panel@example.cn")
    await web_login(client, "panel@example.cn")
    r = await client.get("/city", params={"material": "fly_ash", "year": 2026})
    assert r.status_code == 200, r.text
    panel = r.text.split('id="allocation-panel"', 1)[1].split("</section>", 1)[0]
    assert "34.00 %" in panel and "20.00 %" in panel and ">140<" in panel
    (drawn,) = svgs(panel)
    assert len([p for p in drawn.iter(f"{SVG_NS}path") if p.get("class") == "flow"]) == 3
    assert 'href="/city/allocation?material=fly_ash&amp;year=2026"' in panel
    bare = await client.get("/city")
    assert bare.status_code == 200 and 'id="allocation-panel"' in bare.text
    assert 'href="/city/allocation"' in bare.text.split('id="allocation-panel"', 1)[1]


async def test_the_potential_panel_follows_the_city_filters(
    client, actors: Actors, settings: Settings
) -> None:
    """Enterprise P2 (50 t at 5 CNY/t, no ledgers): its 50 t go to C2 on the same spot and
    P1's 100 t do not count; P1 alone keeps its ledgers (actual 20 %, potential 30 %)."""
    m = await build_market(client, actors)
    await make_regulator(settings, "place@example.cn")
    await web_login(client, "place@example.cn")

    def panel(html: str) -> str:
        return html.split('id="allocation-panel"', 1)[1].split("</section>", 1)[0]

    r = await client.get("/city", params={"material": "fly_ash", "year": 2026, "org": m.org["p2"]})
    assert r.status_code == 200, r.text
    p2 = panel(r.text)
    assert ">50<" in p2 and ">140<" not in p2 and "20.00 %" not in p2
    assert "所选区域的开放供应" in p2
    (drawn,) = svgs(p2)
    assert len([p for p in drawn.iter(f"{SVG_NS}path") if p.get("class") == "flow"]) == 1

    r = await client.get("/city", params={"material": "fly_ash", "year": 2026, "org": m.org["p1"]})
    p1 = panel(r.text)
    # P1 alone: 80 t to C1, the rest 20 t to C2 (60 t wanted, P2 no longer there) → 100 t;
    # actual 200 of 1000 t (20 %), potential 300 of 1000 t (30 %).
    assert ">100<" in p1 and "20.00 %" in p1 and "30.00 %" in p1


def _catalogue_texts() -> set[str]:
    import re

    from babel.messages.pofile import read_po

    from market.web.i18n import LOCALE_DIR

    with (LOCALE_DIR / "zh" / "allocation.po").open("rb") as handle:
        texts = {re.sub(r"%\(\w+\)s", "", str(m.string or "")).strip() for m in read_po(handle)}
    return {t for t in texts if len(t) >= 5}


async def test_allocation_pages_speak_the_page_language(
    client, actors: Actors, settings: Settings
) -> None:
    from tests.web.test_pages_have_no_raw_codes import problems

    m = await build_market(client, actors)
    await make_regulator(settings, "lang@example.cn")
    api = await actors.login("lang@example.cn", "secret-pass-1")
    r = await client.post(
        "/api/v1/stats/scenarios",
        headers=api,
        json={"name": "scenario one", "changes": {"removed_producers": [m.org["p2"]]}},
    )
    sid = r.json()["id"]
    await web_login(client, "lang@example.cn")
    zh_texts = _catalogue_texts()
    found = {}
    for lang in ("zh", "en"):
        client.cookies.set("lang", lang)
        for path in (
            "/city/allocation?material=fly_ash&year=2026",
            f"/city/allocation?material=fly_ash&year=2026&scenario={sid}",
            "/city/allocation?material=nope&year=2026",
            "/city/scenarios?material=fly_ash&year=2026",
            "/city?material=fly_ash&year=2026",
        ):
            page = await client.get(path)
            assert page.status_code in (200, 422), (lang, path, page.status_code)
            marker = '<html lang="zh-CN">' if lang == "zh" else '<html lang="en">'
            assert marker in page.text
            text = page.text
            if path.startswith("/city?"):
                # Only this panel: the rest of /city is another page's (its district map
                # labels regions in both languages).
                text = text.split('id="allocation-panel"', 1)[1].split("</section>", 1)[0]
            bad = problems(text, lang, zh_texts)
            if bad:
                found[f"{lang} {path}"] = bad
    assert not found, found
