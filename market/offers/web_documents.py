"""The listing page's "Lab reports" section: the reports the viewer may see, and the
producer's upload form; a report's download for the session's user.

The section is a panel of the listing page (:mod:`market.web.panels`, context ``documents``,
template ``_listing_documents.html``). Uploads go through the same service as the API
(:func:`market.offers.documents.upload`), so the page accepts exactly what the API accepts;
a refused upload shows the error page with the reason in the page's language.

The page's form is parsed by the CSRF middleware before the handler runs, so its body limit
is Litestar's, per route: :data:`WEB_BODY_LIMIT`; the file is then held to
``document_max_bytes`` like the API's (a larger setting applies to the API only).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.web_session import Member
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid, Problem
from market.core.settings import Settings
from market.offers import documents as svc
from market.offers.api_documents import download_response
from market.offers.document_schemas import DocumentOut
from market.offers.models import Listing
from market.web import panels

#: The largest page upload body Litestar reads (the file and the form's text fields).
WEB_BODY_LIMIT = 32 * 1024 * 1024


@dataclass(frozen=True)
class DocumentsPanel:
    """What ``_listing_documents.html`` shows."""

    items: list[DocumentOut]
    #: The viewer sees parties-only reports (the producer, regulators, bidders, buyers).
    parties: bool
    #: The viewer is a member of the producer: the upload form is shown.
    owner: bool
    #: Spec parameter → report id ("from report N").
    sources: dict[str, int]
    max_mb: str


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


async def listing_panel(
    *, db: AsyncSession, member: Member, listing: Listing, settings: Settings, **_: Any
) -> dict[str, Any]:
    """The ``documents`` context of ``/listings/{id}``."""
    docs, who = await svc.listing_documents(db, member.user, listing.id or 0)
    return {
        "documents": DocumentsPanel(
            items=[DocumentOut.of(d) for d in docs],
            parties=who.parties,
            owner=who.owner,
            sources=await svc.spec_sources(db, member.user, listing),
            max_mb=_mb(settings.document_max_bytes),
        )
    }


panels.register("listing", listing_panel)


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


async def _content(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes (off the event loop), 413 when over ``max_bytes``."""
    size = await asyncio.to_thread(_size, upload.file)
    if size > max_bytes:
        raise svc.too_large(max_bytes)
    return await asyncio.to_thread(upload.file.read)


@post(
    "/listings/{listing_id:int}/documents",
    name="web-listing-document-create",
    request_max_body_size=WEB_BODY_LIMIT,
)
async def upload_page(
    listing_id: FromPath[int],
    request: Request[Any, Any, Any],
    member: Member,
    db: Db,
    settings: AppSettings,
) -> Redirect:
    await svc.listing_svc.owned_listing(db, member.user, listing_id)
    try:
        await _upload(request, member, db, settings, listing_id)
    except svc.UnsupportedDocument:
        raise Problem(UNSUPPORTED, status=415) from None
    except svc.DocumentTooLarge:
        raise Problem(TOO_LARGE, status=413) from None
    except Invalid as exc:
        raise Problem(INVALID, errors=exc.errors, status=422) from None
    return Redirect(f"/listings/{listing_id}#documents", status_code=303)


#: What the error page says of a refused upload (message ids of documents.po: a service's
#: reasons are English and name form fields).
UNSUPPORTED = "The file must be a PDF, PNG, JPEG or WebP file; its content decides, not its name."
TOO_LARGE = "The file is larger than the limit shown on the form."
INVALID = (
    "Choose the file and give the laboratory, the sample date (not in the future) and at "
    "least one parameter the report covers."
)


async def _upload(
    request: Request[Any, Any, Any],
    member: Member,
    db: AsyncSession,
    settings: Settings,
    listing_id: int,
) -> None:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("file", "choose the report's file")
    raw_date = str(form.get("sample_date") or "").strip()
    try:
        sample_date = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        raise Invalid("sample_date", "must be a date, YYYY-MM-DD") from None
    data = svc.DocumentIn(
        lab_name=str(form.get("lab") or ""),
        sample_date=sample_date,
        parameters=[str(v) for v in form.getall("parameters", [])],
        spec_sources=[str(v) for v in form.getall("spec_sources", [])],
        visibility=str(form.get("visibility") or "parties"),
        content=await _content(upload, settings.document_max_bytes),
    )
    await svc.upload(db, member.user, listing_id, data, svc.store_for(settings), settings)


@get("/documents/{document_id:int}", name="web-document")
async def download_page(
    document_id: FromPath[int], member: Member, db: Db, settings: AppSettings
) -> Response[bytes]:
    doc, _ = await svc.readable_document(db, member.user, document_id)
    return await download_response(doc, settings)


routes = [upload_page, download_page]
