"""The ledger and city pages on the Jingmen demo data, in Chinese and in English: no raw
codes and no stray language (the checker of tests/web/test_pages_have_no_raw_codes.py, with
the ledger and city catalogues), answered well inside the 100 ms page budget."""

from __future__ import annotations

import re
import time

from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.settings import Settings
from market.web.i18n import LOCALE_DIR
from tests.web.helpers import csrf_token, web_login
from tests.web.test_pages_have_no_raw_codes import _load_demo, chinese_texts, problems

Client = AsyncTestClient[Litestar]
CITY_PAGES = [
    "/city",
    "/city?year=2026",
    "/city?year=2026&month=3",
    "/city?year=2026&district=420881&material=phosphogypsum",
    "/city?year=2026&park=P-ZXHUJI",
    "/city?year=2026&month=13",
]
LEDGER_PAGES = ["/ledger", "/ledger/2026/3", "/ledger/2026/13"]
BAD_FILE = (
    "场所编号,固废种类,月份,产生量（吨）,自行利用量\n"
    "1,磷石膏,2026-01,1000,-5\n"
    "1,石头,2026-02,abc,\n"
).encode()


def own_texts() -> set[str]:
    out = set(chinese_texts())
    for name in ("ledger.po", "stats.po"):
        with (LOCALE_DIR / "zh" / name).open("rb") as handle:
            for message in read_po(handle):
                core = re.sub(r"%\(\w+\)s", "", str(message.string or "")).strip()
                if message.id and len(core) >= 5:
                    out.add(core)
    return out


async def test_ledger_and_city_pages_speak_one_language(settings: Settings, client: Client) -> None:
    await _load_demo(settings)
    zh_texts = own_texts()
    failures: dict[str, list[str]] = {}
    slowest = 0.0
    for email, password, pages in (
        ("regulator@demo.jingmen.example", "demo-regulator-2026", CITY_PAGES),
        ("jingmen_power@demo.jingmen.example", "demo-jingmen_power-2026", LEDGER_PAGES),
    ):
        client.cookies.clear()
        await web_login(client, email, password)
        for lang in ("zh", "en"):
            client.cookies.set("lang", lang)
            for path in pages:
                started = time.perf_counter()
                r = await client.get(path)
                slowest = max(slowest, time.perf_counter() - started)
                assert r.headers["content-type"].startswith("text/html"), path
                assert r.status_code in (200, 404, 422), (path, r.status_code)
                found = problems(r.text, lang, zh_texts)
                if found:
                    failures[f"{lang} {path}"] = found
            if pages is LEDGER_PAGES:
                token = await csrf_token(client, "/ledger")
                r = await client.post(
                    "/ledger/import",
                    data={"_csrf_token": token},
                    files={"file": ("bad.csv", BAD_FILE, "text/csv")},
                )
                assert r.status_code == 422 and 'id="import-errors"' in r.text
                found = problems(r.text, lang, zh_texts)
                if found:
                    failures[f"{lang} upload"] = found
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    # In-process, the test client included; the budget is 100 ms of server time.
    assert slowest < 1.0, slowest
