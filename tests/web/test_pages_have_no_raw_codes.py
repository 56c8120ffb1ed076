"""Every page, in Chinese and in English, as each kind of demo user: no raw codes, no stray
language.

The Jingmen demo data is loaded into the test database (as ``market demo load`` does) and
each page is fetched as an anonymous visitor, a power plant (fly-ash producer), a cement
plant (buyer), a battery recycler, the carrier and the regulator. The visible text (tags
and attribute values stripped, except the ones a user reads: title, aria-label, placeholder,
alt) must not contain a stored code such as ``gbt1596_cement_admixture``, ``fly_ash``,
``open`` or ``consumer, admin``; a Chinese page must not contain any of a list of English
interface words, and an English page none of the interface's Chinese texts. Every table
sits in a box that scrolls on a phone, or turns into cards.
"""

from __future__ import annotations

import html
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.catalogue.seed import MATERIALS_BY_CODE
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings
from market.demo.load import load_demo
from market.web.i18n import LOCALE_DIR
from tests.conftest import Actors
from tests.web.helpers import web_login

Client = AsyncTestClient[Litestar]

ROLES = {
    "anonymous": None,
    "producer": "jingmen_power",
    "buyer": "dongbao_cement",
    "recycler": "battery_recycler",
    "carrier": "carrier",
    "regulator": "regulator",
}
PUBLIC_PAGES = ["/", "/login", "/register", "/no-such-page"]
MEMBER_PAGES = [
    "/listings",
    "/listings?material=fly_ash&near=seat:420802&radius_km=80",
    "/listings?radius_km=abc",
    "/demands",
    "/demands?material=fly_ash",
    "/listings/new",
    "/listings/new?material=fly_ash",
    "/demands/new?material=fly_ash",
    "/my",
    "/my/organization",
    "/organizations/new",
    "/listings/999999",
    "/demands/999999",
    "/my/bids",
    "/my/deals",
    "/my/shipments",
    "/ledger",
    "/ledger/2026/3",
]
#: Stored codes that must never reach a reader (besides every material code).
RAW = [
    "gbt1596_cement_admixture",
    "gbt1596_f_ii_concrete",
    "one_off",
    "consumer, admin",
    "producer, admin",
    "Validation failed",
]
#: Stored values that are also words: raw when they stand alone as a cell or badge (the
#: English label of "monthly" is "monthly", so that one is not listed).
RAW_WORDS = [
    "open",
    "draft",
    "closed",
    "withdrawn",
    "producer",
    "consumer",
    "admin",
    "member",
    "None",
]
#: English interface words a Chinese page must not show.
ENGLISH = [
    "Listing",
    "Listings",
    "Demand",
    "Demands",
    "Status",
    "Available",
    "Price",
    "Material",
    "Search",
    "Near",
    "Log in",
    "Log out",
    "Mine",
    "Summary",
    "Specification",
    "Grade",
    "Parameter",
    "Quantity",
    "District",
    "unverified",
    "negotiable",
    "producer pays",
    "buyer pays",
    "anywhere",
    "choose",
    "Required",
    "enter a number",
    "must be",
    "Not Found",
    "not found",
    "rounded to",
    "Distance",
    "Delivered",
    "one-off",
    "Register",
    "Organisation",
    "Sites",
]
#: The catalogues of the pages converted here; their Chinese must not show on English pages.
OWN_CATALOGUES = ("base.po", "offers.po", "accounts.po")
_VISIBLE_ATTRS = re.compile(r'\s(?:title|aria-label|placeholder|alt)="([^"]*)"')


def visible_text(page: str) -> tuple[str, list[str]]:
    """What a reader sees: the text between tags plus the attributes a browser shows, and
    the same as pieces (each text node or attribute, stripped)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    pieces = [html.unescape(t).strip() for t in re.findall(r">([^<]+)<", body)]
    pieces += [html.unescape(a).strip() for a in _VISIBLE_ATTRS.findall(body)]
    pieces = [p for p in pieces if p]
    return " \n".join(pieces), pieces


def chinese_texts() -> set[str]:
    from babel.messages.pofile import read_po

    out: set[str] = set()
    for name in OWN_CATALOGUES:
        with (LOCALE_DIR / "zh" / name).open("rb") as handle:
            for message in read_po(handle):
                text = str(message.string or "")
                # Long enough not to be a fragment of a place or firm name in the data.
                core = re.sub(r"%\(\w+\)s", "", text).strip()
                if message.id and len(core) >= 5:
                    out.add(core)
    return out


def problems(page: str, lang: str, zh_texts: set[str]) -> list[str]:
    text, pieces = visible_text(page)
    found = [code for code in RAW if code in text]
    for code in MATERIALS_BY_CODE:
        # fly_ash anywhere; a code that is also an English word (slag) only standing alone.
        if ("_" in code and re.search(rf"(?<![\w/.-]){code}(?!\w)", text)) or code in pieces:
            found.append(code)
    found += [w for w in RAW_WORDS if w in pieces]
    if lang == "zh":
        found += [
            w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)
        ]
    else:
        found += [t for t in zh_texts if t in text]
    return found


def unwrapped_tables(page: str) -> list[str]:
    """Tables that could make a phone page wider than the screen: each must sit in a box
    that scrolls (``.table-wrap`` / ``.table-scroll``) or turn into cards (``table.cards``)."""
    out = []
    for match in re.finditer(r"<table\b[^>]*>", page):
        before = page[: match.start()].rstrip()
        wrapped = re.search(r'<div class="[^"]*table-(?:wrap|scroll)[^"]*">$', before)
        if not wrapped and "cards" not in match.group(0):
            out.append(f"unwrapped {match.group(0)}")
    return out


async def _load_demo(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await load_demo(session)
    finally:
        await engine.dispose()


async def _detail_pages(client: Client) -> list[str]:
    """A listing and a demand this user can open (the first search result of each), and the
    user's own first listing and demand (whose pages show the matches and their reasons)."""
    pages: list[str] = []
    mine = (await client.get("/my")).text
    for base in ("/listings", "/demands"):
        found = re.findall(rf'href="{base}/(\d+)"', (await client.get(base)).text)
        own = re.findall(rf'href="{base}/(\d+)"', mine)
        pages += [f"{base}/{ids[0]}" for ids in (found, own) if ids]
    return sorted(set(pages))


async def test_no_raw_codes_or_stray_language_on_any_page(
    settings: Settings, client: Client
) -> None:
    await _load_demo(settings)
    zh_texts = chinese_texts()
    failures: dict[str, Any] = {}
    fetched = 0
    for role, key in ROLES.items():
        client.cookies.clear()
        pages = list(PUBLIC_PAGES)
        if key is not None:
            await web_login(client, f"{key}@demo.jingmen.example", f"demo-{key}-2026", "/my")
            pages += MEMBER_PAGES + await _detail_pages(client)
            if role == "regulator":
                pages += ["/city?year=abc", "/city", "/city?year=2026&month=3"]
        for lang in ("zh", "en"):
            client.cookies.set("lang", lang)
            for path in pages:
                r = await client.get(path)
                fetched += 1
                assert r.headers["content-type"].startswith("text/html"), (role, lang, path)
                assert r.status_code in (200, 404, 422), (role, lang, path, r.status_code)
                marker = '<html lang="zh-CN">' if lang == "zh" else '<html lang="en">'
                assert marker in r.text, (role, lang, path)
                found = problems(r.text, lang, zh_texts) + unwrapped_tables(r.text)
                if found:
                    failures[f"{role} {lang} {path}"] = found
    assert fetched > 100
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


async def test_a_bad_query_is_a_422_page(client: Client, actors: Actors) -> None:
    await actors.user("clerk")
    await web_login(client, "clerk@example.cn")
    r = await client.get("/my/organization?org=abc")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "填写有误" in r.text and "地址或表单中的某个值无效" in r.text
    client.cookies.set("lang", "en")
    r = await client.get("/my/organization?org=abc")
    assert r.status_code == 422 and "Invalid input" in r.text and "填写有误" not in r.text


async def test_error_pages_are_html_in_the_users_language(client: Client) -> None:
    for path in ("/no-such-page", "/listings/abc"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "未找到" in r.text and "页面或记录不存在" in r.text
        r = await client.get(path, headers={"Accept-Language": "en"})
        assert "Not found" in r.text and "未找到" not in r.text
    r = await client.get("/listings?page=1", follow_redirects=False)  # logged out: to login
    assert r.status_code == 303
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_the_table_check_catches_a_bare_table() -> None:
    assert unwrapped_tables('<div class="table-wrap">\n<table class="data">') == []
    assert unwrapped_tables('<table class="data cards">') == []
    assert unwrapped_tables('<p>x</p><table class="data">') == ['unwrapped <table class="data">']


def test_the_checker_catches_what_it_should() -> None:
    zh_texts = {"没有符合条件的开放求购。"}
    assert problems("<td>fly_ash</td>", "zh", zh_texts) == ["fly_ash"]
    assert problems('<option value="fly_ash">粉煤灰</option>', "zh", zh_texts) == []
    assert problems("<span class='badge status-open'>open</span>", "zh", zh_texts) == ["open"]
    assert problems("<h2>挂牌<span class=en>Listing</span></h2>", "zh", zh_texts) == ["Listing"]
    assert problems("<p>没有符合条件的开放求购。</p>", "en", zh_texts) == [
        "没有符合条件的开放求购。"
    ]
    assert problems('<a title="unverified">x</a>', "zh", zh_texts) == ["unverified"]
