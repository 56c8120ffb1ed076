"""Lab reports on listings: upload, who may see them, download, delete, and "from report N".

A producer attaches a lab's report (PDF, PNG, JPEG or WebP, judged by the bytes, never by
the file name or the content type the client claims) to one of its listings, saying which
lab, when the sample was taken and which catalogue parameters the report covers. The
listing's spec values a report is the source of are marked "from report N" in the listing's
view (:func:`spec_sources`).

Who sees a report: ``public`` ones everybody who may read the listing; ``parties`` ones only
the producer's members, regulators (and platform admins), and buyers who have bid on or
dealt for the listing (trading tells us through :mod:`market.core.hooks`). Anybody else is
told the report does not exist (404), as for a listing they may not read.

The bytes go to the document store (:mod:`market.offers.document_store`), never the
database; checking, hashing and writing them run off the event loop. Uploads and deletes
are recorded in the audit trail in the request's transaction: the report's own events
(entity ``document``, every field) and a line in the listing's trail (``document_attached``,
``document_deleted``), which the listing's parties and regulators read with ``GET /audit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import filetype
from filetype.types import archive, image
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.catalogue import service as catalogue
from market.core import hooks
from market.core.audit import Actor, record, snapshot
from market.core.errors import Invalid, NotFound, Problem
from market.core.settings import Settings
from market.offers import listings as listing_svc
from market.offers.document_models import VISIBILITIES, ListingDocument
from market.offers.document_store import DiskStore, DocumentStore, sha256_hex
from market.offers.models import Listing

#: What a lab report may be, by its first bytes (filetype's matchers), and its extension.
ACCEPTED = {
    "application/pdf": ("pdf", archive.Pdf()),
    "image/png": ("png", image.Png()),
    "image/jpeg": ("jpg", image.Jpeg()),
    "image/webp": ("webp", image.Webp()),
}
#: Bytes enough for every matcher above (and for naming what an unaccepted file is).
_SNIFF_BYTES = 8192
MAX_LAB_NAME = 200
#: A document's fields shown in its audit events.
DOCUMENT_FIELDS = (
    "listing_id",
    "lab_name",
    "sample_date",
    "parameters",
    "spec_sources",
    "visibility",
    "content_type",
    "size_bytes",
    "sha256",
)
CHINA_OFFSET = timedelta(hours=8)


class UnsupportedDocument(Problem):
    """415: the bytes are not a PDF or an image we accept, whatever the file is called."""

    status = 415


class DocumentTooLarge(Problem):
    """413: the file is over ``document_max_bytes``."""

    status = 413


def too_large(limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"file: a document may have at most {limit} bytes (MARKET_DOCUMENT_MAX_BYTES)",
        errors=[{"field": "file", "reason": f"larger than {limit} bytes"}],
    )


def store_for(settings: Settings) -> DocumentStore:
    """The store the settings name (the one implementation today: a folder on disk)."""
    return DiskStore(settings.document_dir)


@dataclass(frozen=True)
class DocumentIn:
    """An upload as the API and the page read it (text fields as typed, the file's bytes)."""

    lab_name: str
    sample_date: date | None
    parameters: Sequence[str]
    spec_sources: Sequence[str]
    visibility: str
    content: bytes


@dataclass(frozen=True)
class Stored:
    content_type: str
    sha256: str
    key: str
    size: int


def detect(content: bytes) -> str:
    """The accepted media type of ``content``, or :class:`UnsupportedDocument` naming what
    it looks like instead."""
    head = content[:_SNIFF_BYTES]
    for mime, (_, matcher) in ACCEPTED.items():
        if matcher.match(head):
            return mime
    kind = filetype.guess(head)
    seen = f"it looks like {kind.mime}" if kind is not None else "its type is not recognised"
    reason = f"must be a PDF, PNG, JPEG or WebP file (judged by its content; {seen})"
    raise UnsupportedDocument(f"file: {reason}", errors=[{"field": "file", "reason": reason}])


def check_and_hash(content: bytes) -> tuple[str, str]:
    """The accepted media type and the SHA-256 (blocking: run it in a thread)."""
    return detect(content), sha256_hex(content)


async def lock_content(session: AsyncSession, sha256: str) -> None:
    """Serialise, until this transaction ends, every change to the stored bytes of this
    content: an upload (store, then write its row) and the removal of bytes no row names
    any more. Without it a report uploaded while an identical one is deleted could commit a
    row whose file the delete had just removed. On PostgreSQL a transaction-level advisory
    lock keyed by the hash; SQLite's writers already queue (every transaction begins with
    ``BEGIN IMMEDIATE``), so the request holds the lock from its first statement."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(sha256[:15], 16)  # 60 bits: a positive bigint
        await session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=key))  # type: ignore[call-overload]


def _china_today() -> date:
    return (datetime.now(UTC) + CHINA_OFFSET).date()


def _codes(field: str, codes: Iterable[str], known: Iterable[str]) -> list[str]:
    """Parameter codes, once each in the order given, every one a parameter of the material."""
    allowed = set(known)
    out: list[str] = []
    for code in codes:
        code = code.strip()
        if not code or code in out:
            continue
        if code not in allowed:
            raise Invalid(
                field,
                f"{code!r} is not a parameter of this material ({', '.join(sorted(allowed))})",
            )
        out.append(code)
    return out


async def _checked_fields(
    session: AsyncSession, listing: Listing, data: DocumentIn
) -> dict[str, Any]:
    lab = data.lab_name.strip()
    if not lab:
        raise Invalid("lab", "name the laboratory that issued the report")
    if len(lab) > MAX_LAB_NAME:
        raise Invalid("lab", f"at most {MAX_LAB_NAME} characters")
    if data.sample_date is None:
        raise Invalid("sample_date", "give the date the sample was taken (YYYY-MM-DD)")
    if data.sample_date > _china_today():
        raise Invalid("sample_date", "cannot be in the future")
    if data.visibility not in VISIBILITIES:
        raise Invalid("visibility", "must be 'public' or 'parties'")
    known = await catalogue.parameters(session, listing.material_code)
    parameters = _codes("parameters", data.parameters, known)
    if not parameters:
        raise Invalid("parameters", "name at least one catalogue parameter the report covers")
    sources = _codes("spec_sources", data.spec_sources, known)
    outside = [c for c in sources if c not in parameters]
    if outside:
        raise Invalid("spec_sources", f"{', '.join(outside)} not among the parameters covered")
    missing = [c for c in sources if c not in listing.spec]
    if missing:
        raise Invalid("spec_sources", f"the listing's spec has no value for {', '.join(missing)}")
    return {
        "lab_name": lab,
        "sample_date": data.sample_date,
        "parameters": parameters,
        "spec_sources": sources,
        "visibility": data.visibility,
    }


async def upload(
    session: AsyncSession,
    actor: User,
    listing_id: int,
    data: DocumentIn,
    store: DocumentStore,
    settings: Settings,
) -> ListingDocument:
    """Attach a report to a listing of the actor's organisation (403 for others who can
    read the listing). The bytes are checked and stored before the row is written; if the
    transaction then fails the stored file is only unreferenced, never half-written."""
    listing = await listing_svc.owned_listing(session, actor, listing_id)
    fields = await _checked_fields(session, listing, data)
    if not data.content:
        raise Invalid("file", "the file is empty")
    if len(data.content) > settings.document_max_bytes:
        raise too_large(settings.document_max_bytes)
    mime, sha256 = await asyncio.to_thread(check_and_hash, data.content)
    await lock_content(session, sha256)
    key = await asyncio.to_thread(store.put, data.content)
    stored = Stored(mime, sha256, key, len(data.content))
    doc = ListingDocument(
        listing_id=listing_id,
        uploaded_by=actor.id or 0,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        **fields,
    )
    session.add(doc)
    await session.flush()
    actor_ = Actor(actor.id, listing.organization_id)
    await record(
        session, "document", doc.id, "uploaded", actor_, None, snapshot(doc, DOCUMENT_FIELDS)
    )
    await record(session, "listing", listing_id, "document_attached", actor_, None, _brief(doc))
    return doc


def _brief(doc: ListingDocument) -> dict[str, Any]:
    """What the listing's own trail says of a report (readable with GET /audit): only the
    producer, buyers with a deal and regulators read it, who may all see the report."""
    return {"document_id": doc.id, "lab_name": doc.lab_name, "sha256": doc.sha256}


@dataclass(frozen=True)
class Access:
    """Whether a viewer is a party to a listing's reports, and whether they manage them."""

    parties: bool
    owner: bool

    def sees(self, doc: ListingDocument) -> bool:
        return doc.visibility == "public" or self.parties


async def access(session: AsyncSession, viewer: User, listing: Listing) -> Access:
    """Producer's members (owners), regulators and admins, bidders and buyers with a deal
    are parties; anybody else who can read the listing sees its public reports only."""
    lid = listing.id or 0
    mine = await member_org_ids(session, viewer)
    owner = listing.organization_id in mine
    if owner or sees_everything(viewer):
        return Access(parties=True, owner=owner)
    if not mine:
        return Access(parties=False, owner=False)
    traded = await hooks.bid_listing_ids(session, mine, [lid]) or await hooks.dealt_listing_ids(
        session, mine, [lid]
    )
    return Access(parties=bool(traded), owner=False)


async def listing_documents(
    session: AsyncSession, viewer: User, listing_id: int
) -> tuple[list[ListingDocument], Access]:
    """The listing's reports this viewer may see, newest first (404 if the listing is not
    readable), with the viewer's access."""
    listing = await listing_svc.readable_listing(session, viewer, listing_id)
    who = await access(session, viewer, listing)
    stmt = (
        select(ListingDocument)
        .where(ListingDocument.listing_id == listing_id)
        .order_by(col(ListingDocument.created_at).desc(), col(ListingDocument.id).desc())
    )
    rows = (await session.exec(stmt)).all()
    return [d for d in rows if who.sees(d)], who


async def readable_document(
    session: AsyncSession, viewer: User, document_id: int
) -> tuple[ListingDocument, Access]:
    """One report the viewer may see; 404 for one that does not exist or is hidden from them."""
    doc = await session.get(ListingDocument, document_id)
    hidden = NotFound(f"document {document_id} does not exist")
    if doc is None:
        raise hidden
    try:
        listing = await listing_svc.readable_listing(session, viewer, doc.listing_id)
    except NotFound:
        raise hidden from None
    who = await access(session, viewer, listing)
    if not who.sees(doc):
        raise hidden
    return doc, who


async def delete(
    session: AsyncSession, actor: User, document_id: int
) -> tuple[ListingDocument, bool]:
    """Delete a report (members of the producer); returns it and whether its stored bytes
    are now unreferenced, so the caller can remove them once the transaction has committed."""
    doc, _ = await readable_document(session, actor, document_id)
    listing = await listing_svc.owned_listing(session, actor, doc.listing_id)
    before = snapshot(doc, DOCUMENT_FIELDS)
    await session.delete(doc)
    await session.flush()
    actor_ = Actor(actor.id, listing.organization_id)
    await record(session, "document", document_id, "deleted", actor_, before, None)
    await record(session, "listing", listing.id, "document_deleted", actor_, _brief(doc), None)
    return doc, not await referenced(session, doc.storage_key)


async def referenced(session: AsyncSession, key: str) -> bool:
    """Whether any document row still names these stored bytes (content-addressed: the same
    report on two listings is one file)."""
    stmt = select(ListingDocument.id).where(ListingDocument.storage_key == key).limit(1)
    return (await session.exec(stmt)).first() is not None


async def spec_sources(session: AsyncSession, viewer: User, listing: Listing) -> dict[str, int]:
    """Parameter code → id of the report its spec value is from, among the reports this
    viewer may see (the newest report naming a parameter wins)."""
    stmt = (
        select(ListingDocument)
        .where(ListingDocument.listing_id == listing.id)
        .order_by(col(ListingDocument.created_at), col(ListingDocument.id))
    )
    rows = [d for d in (await session.exec(stmt)).all() if d.spec_sources]
    if not rows:
        return {}
    who = await access(session, viewer, listing)
    out: dict[str, int] = {}
    for doc in rows:
        if who.sees(doc):
            for code in doc.spec_sources:
                if code in listing.spec:
                    out[code] = doc.id or 0
    return out


def file_name(doc: ListingDocument) -> str:
    """The download's name: ``lab-report-<id>.<ext>`` (never the uploader's own name, which
    could carry anything into a header)."""
    ext = ACCEPTED.get(doc.content_type, ("bin", None))[0]
    return f"lab-report-{doc.id}.{ext}"
