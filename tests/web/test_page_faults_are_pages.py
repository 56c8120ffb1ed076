"""A page whose database is away, or whose handler fails, answers an HTML page in the page's
language with the status the API would give (and its Retry-After), never problem+json.

The database here is a SQLite "file" the app cannot open (it is a folder), which the
app's fault map answers 503 "database unavailable" on the API; a page asked at the same time
must say so as a page. The API keeps its problem+json.
"""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from market.app import create_app
from market.core.settings import Settings


async def test_a_page_without_its_database_is_a_503_page(tmp_path: Path) -> None:
    folder = tmp_path / "market.sqlite3"
    folder.mkdir()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder}",
        env="test",
        tender_poll_seconds=0,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        api = await client.get("/api/v1/health")
        assert api.status_code == 503
        assert api.headers["content-type"].startswith("application/problem+json")

        page = await client.get("/")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers.get("retry-after") == api.headers.get("retry-after")
        assert '<html lang="zh' in page.text and "稍后" in page.text

        client.cookies.set("lang", "en")
        page = await client.get("/")
        assert page.status_code == 503 and "try again shortly" in page.text


async def test_a_page_names_its_charset_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", env="test")
    async with AsyncTestClient(app=create_app(settings)) as client:
        r = await client.get("/login")
        assert r.headers["content-type"] == "text/html; charset=utf-8"
