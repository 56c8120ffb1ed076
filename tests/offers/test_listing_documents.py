"""Lab reports on listings: typed by content, size-limited, on disk not in the database,
seen by the parties only (unless public), audited, deleted with their file."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlmodel import select

from market.app import create_app
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings
from market.offers import web_documents
from market.offers.api_documents import _forget
from market.offers.document_models import ListingDocument
from market.offers.document_store import DiskStore
from market.offers.documents import lock_content
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import API, Market, Party, make_regulator, sql
from tests.web.helpers import csrf_token, web_login

#: Small enough to exceed with a few KiB (the default is 10 MiB).
LIMIT = 4096
SPEC = {"residue_45um_pct": "18.2", "loi_pct": "4.5"}


def pdf_bytes(padding: int = 0) -> bytes:
    """A minimal valid PDF (one empty page), optionally padded with a comment."""
    body = (
        b"%PDF-1.4\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    )
    body += b"%" + b"x" * padding + b"\n" if padding else b""
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    """A 1×1 grey PNG, chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def document_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def app(settings: Settings, document_dir: Path) -> Iterator[Litestar]:
    """The app with its documents in this test's folder and a small size limit."""
    own = settings.model_copy(update={"document_dir": document_dir, "document_max_bytes": LIMIT})
    yield create_app(own)


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


def form(**over: str) -> dict[str, str]:
    fields = {
        "lab": "湖北省建材质量监督检验站",
        "sample_date": "2026-11-20",
        "parameters": "residue_45um_pct, loi_pct",
        "visibility": "parties",
    }
    fields.update(over)
    return fields


async def upload(
    client: Any,
    who: Party | dict[str, str],
    listing_id: int,
    content: bytes,
    name: str = "report.pdf",
    claimed: str = "application/pdf",
    **fields: str,
) -> Any:
    headers = who.headers if isinstance(who, Party) else who
    return await client.post(
        f"{API}/listings/{listing_id}/documents",
        headers=headers,
        files={"file": (name, content, claimed)},
        data=form(**fields),
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_pdf_and_png_are_stored_on_disk_not_in_the_database(
    client: Any, market: Market, settings: Settings, document_dir: Path
) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    pdf, png = pdf_bytes(), png_bytes()

    r = await upload(client, seller, listing["id"], pdf)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["content_type"] == "application/pdf"
    assert report["size_bytes"] == len(pdf)
    assert report["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert report["parameters"] == ["residue_45um_pct", "loi_pct"]
    assert report["lab_name"] == "湖北省建材质量监督检验站"
    assert report["sample_date"] == "2026-11-20" and report["visibility"] == "parties"

    # Named .jpg and claimed as JPEG: the content says PNG, and PNG it is.
    r = await upload(
        client, seller, listing["id"], png, "photo.jpg", "image/jpeg", visibility="public"
    )
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["content_type"] == "image/png"

    sha = hashlib.sha256(pdf).hexdigest()
    assert (document_dir / sha[:2] / sha).read_bytes() == pdf
    assert len(stored_files(document_dir)) == 2

    rows = await sql(settings, "SELECT * FROM listing_documents ORDER BY id")
    assert [row.size_bytes for row in rows] == [len(pdf), len(png)]
    for row in rows:  # metadata only: no column holds the file
        for value in row:
            if isinstance(value, bytes | str):
                as_bytes = value if isinstance(value, bytes) else value.encode()
                assert b"%PDF" not in as_bytes and b"IHDR" not in as_bytes

    got = await market.get(f"/documents/{report['id']}", seller)
    assert got.status_code == 200
    assert got.content == pdf
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="lab-report-{report["id"]}.pdf"'
    )
    got = await market.get(image["download_url"].removeprefix(API), seller)
    assert got.content == png and got.headers["content-type"].startswith("image/png")

    events = await sql(
        settings,
        "SELECT entity_id, action, actor_org_id FROM audit_events "
        "WHERE entity = 'document' ORDER BY id",
    )
    assert [(e.entity_id, e.action, e.actor_org_id) for e in events] == [
        (report["id"], "uploaded", seller.org_id),
        (image["id"], "uploaded", seller.org_id),
    ]


async def test_the_type_is_judged_by_content_not_by_name(
    client: Any, market: Market, settings: Settings, document_dir: Path
) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)

    text = "检测报告：烧失量 4.5%\n".encode() * 20
    r = await upload(client, seller, listing["id"], text, "report.pdf", "application/pdf")
    assert_problem(r, 415, "file", "PDF, PNG, JPEG or WebP", "not recognised")

    zipped = b"PK\x03\x04" + b"\x00" * 60
    r = await upload(client, seller, listing["id"], zipped, "scan.png", "image/png")
    assert_problem(r, 415, "application/zip")

    assert stored_files(document_dir) == []
    assert await sql(settings, "SELECT id FROM listing_documents") == []


async def test_an_upload_over_the_size_limit_is_refused(
    client: Any, market: Market, settings: Settings, document_dir: Path
) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)

    just_fits = pdf_bytes(LIMIT - len(pdf_bytes()) - 2)
    assert len(just_fits) == LIMIT
    r = await upload(client, seller, listing["id"], just_fits)
    assert r.status_code == 201, r.text

    too_big = pdf_bytes(LIMIT)
    r = await upload(client, seller, listing["id"], too_big)
    assert_problem(r, 413, f"at most {LIMIT} bytes", "MARKET_DOCUMENT_MAX_BYTES")

    # A body far beyond the limit is refused as soon as the limit is passed.
    r = await upload(client, seller, listing["id"], pdf_bytes(200 * LIMIT))
    assert_problem(r, 413)

    # A body whose Content-Length understates it is counted as it arrives.
    huge = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="r.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + pdf_bytes(1_000_000) + b"\r\n--b0undary--\r\n"
    )
    r = await client.post(
        f"{API}/listings/{listing['id']}/documents",
        headers={
            **seller.headers,
            "content-type": "multipart/form-data; boundary=b0undary",
            "content-length": "100",
        },
        content=huge,
    )
    assert_problem(r, 413, f"at most {LIMIT} bytes")

    assert len(stored_files(document_dir)) == 1
    assert len(await sql(settings, "SELECT id FROM listing_documents")) == 1


async def test_bad_fields_are_422s_naming_the_field(client: Any, market: Market) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    cases = [
        ({"parameters": "loi_pct, pb_mg_kg_x"}, "parameters", "not a parameter of this material"),
        ({"parameters": ""}, "parameters", "at least one"),
        ({"lab": "  "}, "lab", "laboratory"),
        ({"sample_date": "20.11.2026"}, "sample_date", "YYYY-MM-DD"),
        ({"sample_date": str(date.today() + timedelta(days=3))}, "sample_date", "future"),
        ({"visibility": "everyone"}, "visibility", "public"),
        ({"spec_sources": "loi_pct", "parameters": "residue_45um_pct"}, "spec_sources", "not"),
    ]
    for fields, field, fragment in cases:
        r = await upload(client, seller, listing["id"], pdf_bytes(), **fields)
        body = assert_problem(r, 422, fragment)
        assert body["errors"][0]["field"] == field, body

    r = await client.post(
        f"{API}/listings/{listing['id']}/documents", headers=seller.headers, data=form()
    )
    assert r.status_code in (415, 422), r.text  # urlencoded, no file
    r = await client.post(
        f"{API}/listings/{listing['id']}/documents",
        headers=seller.headers,
        files={"other": ("x.pdf", pdf_bytes(), "application/pdf")},
        data=form(),
    )
    assert_problem(r, 422, "file")


async def test_parties_only_reports_are_hidden_from_strangers(
    client: Any, market: Market, settings: Settings, actors: Actors
) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    hidden = (await upload(client, seller, listing["id"], pdf_bytes())).json()
    shown = (
        await upload(client, seller, listing["id"], png_bytes(), "p.png", visibility="public")
    ).json()
    bidder = await market.buyer()
    stranger = await market.buyer()

    def ids(r: Any) -> list[int]:
        assert r.status_code == 200, r.text
        return [d["id"] for d in r.json()["items"]]

    path = f"/listings/{listing['id']}/documents"
    assert ids(await market.get(path, seller)) == [shown["id"], hidden["id"]]
    assert ids(await market.get(path, stranger)) == [shown["id"]]
    assert_problem(await market.get(f"/documents/{hidden['id']}", stranger), 404)
    assert (await market.get(f"/documents/{shown['id']}", stranger)).status_code == 200
    # Nor can a stranger upload or delete.
    assert_problem(await upload(client, stranger, listing["id"], pdf_bytes()), 403)
    r = await client.delete(f"{API}/documents/{shown['id']}", headers=stranger.headers)
    assert_problem(r, 403)
    r = await client.delete(f"{API}/documents/{hidden['id']}", headers=stranger.headers)
    assert_problem(r, 404)

    # Once they bid they are a party.
    assert ids(await market.get(path, bidder)) == [shown["id"]]
    await market.ok_bid(listing["id"], bidder)
    assert ids(await market.get(path, bidder)) == [shown["id"], hidden["id"]]
    got = await market.get(f"/documents/{hidden['id']}", bidder)
    assert got.status_code == 200 and got.content == pdf_bytes()
    # And so is a buyer with a deal, and a regulator.
    dealer = await market.buyer()
    await market.ok_buy(listing["id"], dealer)
    assert ids(await market.get(path, dealer)) == [shown["id"], hidden["id"]]
    regulator = await make_regulator(settings, actors, "docs-regulator@example.cn")
    assert ids(await market.get(path, regulator)) == [shown["id"], hidden["id"]]
    assert ids(await market.get(path, stranger)) == [shown["id"]]


async def test_spec_values_are_marked_from_their_report(client: Any, market: Market) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    assert listing["spec_sources"] == {}
    first = (
        await upload(client, seller, listing["id"], pdf_bytes(), spec_sources="loi_pct")
    ).json()
    second = (
        await upload(
            client,
            seller,
            listing["id"],
            png_bytes(),
            "p.png",
            visibility="public",
            parameters="residue_45um_pct",
            spec_sources="residue_45um_pct",
        )
    ).json()
    assert first["spec_sources"] == ["loi_pct"]

    mine = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert mine["spec_sources"] == {"loi_pct": first["id"], "residue_45um_pct": second["id"]}
    # A stranger is told only of the public report.
    stranger = await market.buyer()
    seen = (await market.get(f"/listings/{listing['id']}", stranger)).json()
    assert seen["spec_sources"] == {"residue_45um_pct": second["id"]}
    # Lists do not compute it.
    page = (await market.get("/listings?mine=true", seller)).json()
    assert page["items"][0]["spec_sources"] is None

    # A source must be a spec value the listing has.
    bare = await market.listing(seller, spec={"loi_pct": "4.5"})
    r = await upload(client, seller, bare["id"], pdf_bytes(), spec_sources="residue_45um_pct")
    assert_problem(r, 422, "spec_sources", "no value")


async def test_delete_removes_the_row_and_the_file(
    client: Any, market: Market, settings: Settings, document_dir: Path
) -> None:
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    other = await market.listing(seller, spec=SPEC)
    report = (await upload(client, seller, listing["id"], pdf_bytes())).json()
    # The same bytes on another listing: one file, two reports.
    twin = (await upload(client, seller, other["id"], pdf_bytes())).json()
    image = (await upload(client, seller, listing["id"], png_bytes(), "p.png")).json()
    assert len(stored_files(document_dir)) == 2

    bidder = await market.buyer()
    await market.ok_bid(listing["id"], bidder)
    r = await client.delete(f"{API}/documents/{image['id']}", headers=bidder.headers)
    assert_problem(r, 403)

    r = await client.delete(f"{API}/documents/{image['id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    sha = image["sha256"]
    assert not (document_dir / sha[:2] / sha).exists()
    assert_problem(await market.get(f"/documents/{image['id']}", seller), 404)

    # Deleting one of the twins keeps the file the other still names.
    r = await client.delete(f"{API}/documents/{report['id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    got = await market.get(f"/documents/{twin['id']}", seller)
    assert got.status_code == 200 and got.content == pdf_bytes()
    r = await client.delete(f"{API}/documents/{twin['id']}", headers=seller.headers)
    assert r.status_code == 204
    assert stored_files(document_dir) == []
    assert await sql(settings, "SELECT id FROM listing_documents") == []

    events = await sql(
        settings,
        "SELECT entity_id, action FROM audit_events WHERE entity = 'document' ORDER BY id",
    )
    assert [(e.entity_id, e.action) for e in events] == [
        (report["id"], "uploaded"),
        (twin["id"], "uploaded"),
        (image["id"], "uploaded"),
        (image["id"], "deleted"),
        (report["id"], "deleted"),
        (twin["id"], "deleted"),
    ]
    # The listing's own trail tells of its reports too.
    r = await market.get(f"/audit?entity=listing&id={listing['id']}", seller)
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    told = [(e["action"], (e["after"] or e["before"] or {}).get("document_id")) for e in events]
    assert [t for t in told if t[0].startswith("document_")] == [
        ("document_attached", report["id"]),
        ("document_attached", image["id"]),
        ("document_deleted", image["id"]),
        ("document_deleted", report["id"]),
    ]


# --- the listing page ------------------------------------------------------------------


async def test_the_listing_page_lists_reports_and_takes_uploads(
    client: Any, actors: Actors, market: Market, document_dir: Path
) -> None:
    headers = await actors.user("docs_producer")
    org = await actors.org(headers)
    site = await actors.site(headers, org["id"])
    seller = Party(headers, org, site)
    listing = await market.listing(seller, spec=SPEC)
    page = f"/listings/{listing['id']}"

    await web_login(client, "docs_producer@example.cn")
    html = (await client.get(page)).text
    assert "检测报告" in html and 'id="document-form"' in html
    assert "暂无您可查看的检测报告" in html

    token = await csrf_token(client, page)
    r = await client.post(
        f"{page}/documents",
        data={
            "_csrf_token": token,
            "lab": "荆门市产品质量监督检验所",
            "sample_date": "2026-11-28",
            "parameters": ["loi_pct", "residue_45um_pct"],
            "spec_sources": ["loi_pct"],
            "visibility": "parties",
        },
        files={"file": ("报告.pdf", pdf_bytes(), "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{page}#documents"
    html = (await client.get(page)).text
    assert 'id="document-1"' in html and "荆门市产品质量监督检验所" in html
    assert "来自报告 1" in html  # the spec's loss on ignition is from report 1
    got = await client.get("/documents/1")
    assert got.status_code == 200 and got.content == pdf_bytes()
    assert got.headers["x-content-type-options"] == "nosniff"

    # A text file named .pdf is refused on the page too, and nothing is stored.
    r = await client.post(
        f"{page}/documents",
        data={"_csrf_token": token, "lab": "某检测站", "sample_date": "2026-11-28"}
        | {"parameters": "loi_pct"},
        files={"file": ("fake.pdf", b"not a pdf at all", "application/pdf")},
        follow_redirects=False,
    )
    # The reason in the page's language (the English id where the error page shows ids as given).
    assert r.status_code == 415
    assert "按文件内容判断" in r.text or web_documents.UNSUPPORTED in r.text
    r = await client.post(
        f"{page}/documents",
        data={"_csrf_token": token, "lab": "某检测站", "sample_date": "2026-11-28"}
        | {"parameters": "loi_pct"},
        files={"file": ("big.pdf", pdf_bytes(LIMIT), "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 413
    assert "文件超过表单所示的大小上限" in r.text or web_documents.TOO_LARGE in r.text
    assert len(stored_files(document_dir)) == 1

    # A stranger sees neither the parties-only report nor the form.
    await actors.user("docs_stranger")
    await web_login(client, "docs_stranger@example.cn")
    html = (await client.get(page)).text
    assert "检测报告" in html and 'id="document-1"' not in html
    assert 'id="document-form"' not in html and "来自报告" not in html
    assert (await client.get("/documents/1")).status_code == 404


async def test_removing_unreferenced_bytes_waits_for_an_upload_of_the_same_bytes(
    market: Market, settings: Settings, tmp_path: Path
) -> None:
    """A delete's clean-up and an upload of identical bytes take the content's lock: the
    clean-up waits for the upload's transaction, then sees its row and keeps the file."""
    seller = await market.seller()
    listing = await market.listing(seller, spec=SPEC)
    me = (await market.get("/me", seller)).json()
    store = DiskStore(tmp_path / "store")
    content = pdf_bytes()
    sha = hashlib.sha256(content).hexdigest()
    key = store.put(content)  # stored by the upload under way; its row is not committed yet
    gone = ListingDocument(
        listing_id=listing["id"],
        uploaded_by=me["id"],
        lab_name="已删除的报告",
        sample_date=date(2026, 11, 1),
        parameters=["loi_pct"],
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=sha,
        storage_key=key,
    )
    engine = make_engine(settings)
    try:
        maker = make_sessionmaker(engine)
        async with transaction(maker) as upload:
            await upload.exec(select(ListingDocument.id))  # SQLite: BEGIN IMMEDIATE
            await lock_content(upload, sha)
            cleanup = asyncio.create_task(_forget(maker, store, gone))
            await asyncio.sleep(0.5)
            assert not cleanup.done(), "the clean-up did not wait for the upload"
            upload.add(gone.model_copy(update={"lab_name": "同一份报告"}))
        await asyncio.wait_for(cleanup, 10)
    finally:
        await engine.dispose()
    assert store.get(key) == content
