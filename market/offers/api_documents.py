"""Lab reports on listings: upload (multipart), list, download, delete.

The upload is read by :func:`read_upload` rather than Litestar's form parser: the file may
be at most ``document_max_bytes`` and each text field a few KiB, counted while the body
streams in, so an oversized upload is refused with 413 as soon as it passes the limit and
never held whole (the app's general body limit, 10 MB, is not the document limit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.openapi.spec.response import OpenAPIResponse
from litestar.params import FromPath
from multipart import ParserError, ParserLimitReached, PushMultipartParser
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.deps import CurrentUser
from market.core.db import transaction
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid, NotFound, Problem
from market.core.openapi import problems
from market.core.schemas import Page
from market.core.settings import Settings
from market.offers import documents as svc
from market.offers.document_models import ListingDocument
from market.offers.document_schemas import DocumentOut
from market.offers.document_store import DocumentMissing, DocumentStore

#: Largest text field of the upload form, in bytes, and how many parts it may have.
MAX_FIELD_BYTES = 4096
MAX_PARTS = 32
#: Room for the form's text fields and multipart framing beyond the file itself.
FORM_ALLOWANCE = MAX_PARTS * (MAX_FIELD_BYTES + 512)
TEXT_FIELDS = ("lab", "sample_date", "parameters", "spec_sources", "visibility")


@dataclass
class UploadForm:
    """The fields of an upload form as sent (repeated fields kept in order)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    content: bytes | None = None

    def first(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0].strip()

    def codes(self, name: str) -> list[str]:
        """A list field sent as repeated fields, or comma- or space-separated."""
        return [c for v in self.fields.get(name, []) for c in v.replace(",", " ").split()]


def bad_body(reason: str) -> Problem:
    return Problem(f"body: {reason}", errors=[{"field": "body", "reason": reason}], status=400)


async def read_upload(request: Request[Any, Any, Any], max_file_bytes: int) -> UploadForm:
    """Parse a multipart upload, counting bytes as they arrive: 413 once the file passes
    ``max_file_bytes`` (or the body the whole form could need), 422 for a text field over
    :data:`MAX_FIELD_BYTES`, 400 for a body that is not multipart."""
    media_type, options = request.content_type
    if media_type.lower() != "multipart/form-data" or not options.get("boundary"):
        raise Invalid("body", "send the report as multipart/form-data with a 'file' field")
    limit = max_file_bytes + FORM_ALLOWANCE
    announced = request.headers.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise svc.too_large(max_file_bytes)
    form = UploadForm()
    file_parts: list[bytes] = []
    received = 0
    current: str | None = None
    is_file = False
    size = 0
    text = bytearray()
    try:
        with PushMultipartParser(options["boundary"], max_segment_count=MAX_PARTS) as parser:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise svc.too_large(max_file_bytes)
                for event in parser.parse(chunk):
                    if event is None:  # end of a part
                        if current is not None and not is_file:
                            form.fields.setdefault(current, []).append(
                                text.decode("utf-8", errors="strict")
                            )
                        current, is_file, size, text = None, False, 0, bytearray()
                    elif isinstance(event, bytes | bytearray):
                        size += len(event)
                        if is_file:
                            if size > max_file_bytes:
                                raise svc.too_large(max_file_bytes)
                            file_parts.append(bytes(event))
                        elif size > MAX_FIELD_BYTES:
                            raise Invalid(current or "body", f"at most {MAX_FIELD_BYTES} bytes")
                        else:
                            text.extend(event)
                    else:  # a part's headers
                        current = event.name or ""
                        is_file = current == "file"
                        if is_file and form.content is not None:
                            raise Invalid("file", "send one file per upload")
                        if is_file:
                            form.content = b""
                if not chunk:
                    break
    except ParserLimitReached:
        raise Invalid("body", f"at most {MAX_PARTS} form fields") from None
    except ParserError as exc:
        raise bad_body(f"not a valid multipart/form-data body: {exc}") from None
    except UnicodeDecodeError:
        raise Invalid(current or "body", "text fields must be UTF-8") from None
    if form.content is None:
        raise Invalid("file", "attach the report as a form field named 'file'")
    form.content = b"".join(file_parts)
    return form


def document_input(form: UploadForm) -> svc.DocumentIn:
    raw_date = form.first("sample_date")
    try:
        sample_date = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        raise Invalid("sample_date", "must be a date, YYYY-MM-DD") from None
    return svc.DocumentIn(
        lab_name=form.first("lab"),
        sample_date=sample_date,
        parameters=form.codes("parameters"),
        spec_sources=form.codes("spec_sources"),
        visibility=form.first("visibility") or "parties",
        content=form.content or b"",
    )


_TEXT = Schema(type=OpenAPIType.STRING)
_FILE = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class _UploadOperation(Operation):
    """The upload reads the request itself, so say what the form holds."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={
                            "file": _FILE,
                            "lab": Schema(
                                type=OpenAPIType.STRING, description="the laboratory's name"
                            ),
                            "sample_date": Schema(
                                type=OpenAPIType.STRING, format=OpenAPIFormat.DATE
                            ),
                            "parameters": Schema(
                                type=OpenAPIType.STRING,
                                description="catalogue parameter codes the report covers, "
                                "comma-separated or repeated",
                            ),
                            "spec_sources": Schema(
                                type=OpenAPIType.STRING,
                                description="of those, the listing's spec values taken from "
                                "this report (optional)",
                            ),
                            "visibility": Schema(
                                type=OpenAPIType.STRING,
                                enum=["public", "parties"],
                                description="default parties",
                            ),
                        },
                        required=["file", "lab", "sample_date", "parameters"],
                    )
                )
            },
        )


@post(
    "/listings/{listing_id:int}/documents",
    tags=["listings"],
    summary="Attach a lab report (PDF, PNG, JPEG or WebP, judged by content) to your listing",
    description=(
        "multipart/form-data: `file`, `lab`, `sample_date` (YYYY-MM-DD), `parameters` "
        "(catalogue codes of the listing's material), optional `spec_sources` (the spec "
        "values taken from this report) and `visibility` (`public` or `parties`, the "
        "default: the producer, regulators and buyers who have bid or dealt). Members of "
        "the listing's organisation only. A file over MARKET_DOCUMENT_MAX_BYTES is 413, "
        "one that is not a PDF or an image we accept 415."
    ),
    status_code=201,
    request_max_body_size=None,  # read_upload counts the bytes against the settings
    responses=problems(403, 413, 415),
    operation_class=_UploadOperation,
)
async def upload_document(
    listing_id: FromPath[int],
    request: Request[Any, Any, Any],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> DocumentOut:
    # Who may upload is known before the body is read: strangers are refused unread.
    await svc.listing_svc.owned_listing(db, user, listing_id)
    form = await read_upload(request, settings.document_max_bytes)
    doc = await svc.upload(
        db, user, listing_id, document_input(form), svc.store_for(settings), settings
    )
    return DocumentOut.of(doc)


@get(
    "/listings/{listing_id:int}/documents",
    tags=["listings"],
    summary="The listing's lab reports you may see, newest first",
)
async def list_documents(listing_id: FromPath[int], user: CurrentUser, db: Db) -> Page[DocumentOut]:
    docs, _ = await svc.listing_documents(db, user, listing_id)
    items = [DocumentOut.of(d) for d in docs]
    return Page[DocumentOut](items=items, total=len(items), page=1, page_size=max(1, len(items)))


@dataclass
class _DownloadOperation(Operation):
    """A download answers with the report's own type: one of the accepted ones."""

    def __post_init__(self) -> None:
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="The report's bytes, with the type judged at upload",
                content={mime: OpenAPIMediaType(schema=_FILE) for mime in svc.ACCEPTED},
            ),
        }


@get(
    "/documents/{document_id:int}",
    tags=["listings"],
    summary="Download a lab report (404 to whoever may not see it)",
    operation_class=_DownloadOperation,
)
async def download_document(
    document_id: FromPath[int], user: CurrentUser, db: Db, settings: AppSettings
) -> Response[bytes]:
    doc, _ = await svc.readable_document(db, user, document_id)
    return await download_response(doc, settings)


async def download_response(doc: ListingDocument, settings: Settings) -> Response[bytes]:
    """The report's bytes as a download: the type judged at upload, never sniffed again."""
    try:
        content = await asyncio.to_thread(svc.store_for(settings).get, doc.storage_key)
    except DocumentMissing:
        raise NotFound(f"document {doc.id}'s file is missing from the store") from None
    return Response(
        content,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{svc.file_name(doc)}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


async def _forget(
    sessionmaker: async_sessionmaker[AsyncSession], store: DocumentStore, doc: ListingDocument
) -> None:
    """After the delete committed: remove the bytes unless a report uploaded meanwhile names
    them again (under the content's lock, so such an upload either committed first and is
    seen here, or stores the bytes again after they are removed)."""
    async with transaction(sessionmaker) as session:
        await svc.lock_content(session, doc.sha256)
        if not await svc.referenced(session, doc.storage_key):
            await asyncio.to_thread(store.delete, doc.storage_key)


@delete(
    "/documents/{document_id:int}",
    tags=["listings"],
    summary="Delete a lab report of your listing (members of the producer)",
    responses=problems(403),
)
async def delete_document(
    document_id: FromPath[int], user: CurrentUser, db: Db, settings: AppSettings, state: State
) -> Response[None]:
    doc, unreferenced = await svc.delete(db, user, document_id)
    background = (
        BackgroundTask(_forget, state.sessionmaker, svc.store_for(settings), doc)
        if unreferenced
        else None
    )
    return Response(None, status_code=204, background=background)


routes = [upload_document, list_documents, download_document, delete_document]
