"""Monthly solid-waste ledgers (台账): report one, import a file, list, download the template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromQuery, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid
from market.core.openapi import PROBLEM_JSON, problems
from market.core.schemas import Page
from market.ledger import importer as ledger_import
from market.ledger import service as svc
from market.ledger import template as ledger_template_xlsx
from market.ledger import views
from market.ledger.schemas import (
    ImportOut,
    ImportProblem,
    LedgerIn,
    LedgerOut,
    LedgerPageSize,
    PageNumber,
)
from market.ledger.views import LedgerFilter

#: Checked by ``rules.check_filter`` (422 naming the parameter); ``schema_extra`` documents
#: the ranges.
Year = Annotated[
    int | None,
    QueryParameter(schema_extra={"minimum": 2000, "maximum": 2100}, description="2000–2100"),
]
Month = Annotated[
    int | None,
    QueryParameter(schema_extra={"minimum": 1, "maximum": 12}, description="1–12; needs year"),
]


@post(
    "/ledger",
    tags=["statistics"],
    summary="Report (or replace) one site's ledger for a material and month",
    description="201 for a new month, 200 when it replaces the month's figures.",
    responses={
        200: ResponseSpec(LedgerOut, description="The month's figures were replaced"),
        **problems(403),
    },
)
async def record_ledger(
    data: JSONBody[LedgerIn], user: CurrentUser, db: Db, settings: AppSettings
) -> Response[LedgerOut]:
    ledger, created = await svc.record_ledger(db, user, data.entry(), settings)
    view = (await views.ledger_views(db, [ledger], settings))[0]
    return Response(view, status_code=201 if created else 200)


@get("/ledger", tags=["statistics"], summary="Ledgers you may read, newest month first")
async def list_ledgers(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: Year = None,
    month: Month = None,
    site_id: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    page: PageNumber = 1,
    page_size: LedgerPageSize = 200,
) -> Page[LedgerOut]:
    f = LedgerFilter(year, month, site_id, material)
    rows, total = await views.list_ledgers(db, user, f, page, page_size)
    items = await views.ledger_views(db, rows, settings)
    return Page[LedgerOut](items=items, total=total, page=page, page_size=page_size)


async def _upload(request: Request[Any, Any, Any]) -> bytes:
    """The file from a multipart form (field ``file``) or the raw body (CSV or .xlsx)."""
    media_type = request.content_type[0].lower()
    if media_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("file", "send the ledger as a multipart field named 'file'")
        content: bytes = await upload.read()
        return content
    if media_type in ("text/csv", "text/plain", ledger_import.XLSX_MEDIA_TYPE):
        return await request.body()
    raise Invalid(
        "file",
        f"unsupported content type {media_type or '(none)'}; send multipart/form-data, "
        "text/csv or an .xlsx body",
    )


#: A rejected file: the 422 names the spreadsheet row of each problem.
_IMPORT_REJECTED = ResponseSpec(
    data_container=ImportProblem,
    description="The file was rejected and nothing was imported: `errors` has one entry per "
    "problem with the spreadsheet `row` (header = 1), `field` and `reason`",
    media_type=PROBLEM_JSON,
    generate_examples=False,
)


_FILE = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class _ImportOperation(Operation):
    """The import reads the request itself (a form or a raw file), so say what it accepts."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={"file": _FILE},
                        required=["file"],
                    )
                ),
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                ledger_import.XLSX_MEDIA_TYPE: OpenAPIMediaType(schema=_FILE),
            },
        )


@post(
    "/ledger/import",
    tags=["statistics"],
    summary="Import ledgers from CSV or Excel: all rows or none",
    description=(
        "Send the file as multipart/form-data (field `file`), or the raw body with content "
        "type text/csv or the .xlsx media type. Chinese or English headers. A file with any "
        "bad row is rejected with 422 and one `errors` entry per problem: `row` (the "
        "spreadsheet row, header = 1), `field`, `reason`. Re-importing a month replaces it."
    ),
    status_code=201,
    responses={**problems(400, 413), 422: _IMPORT_REJECTED},
    operation_class=_ImportOperation,
)
async def import_ledgers(
    request: Request[Any, Any, Any], user: CurrentUser, db: Db, settings: AppSettings
) -> ImportOut:
    content = await _upload(request)
    result = await ledger_import.import_file(db, user, content, settings)
    return ImportOut.model_validate(result)


@get(
    "/ledger/template.xlsx",
    tags=["statistics"],
    summary="The import template, with your sites and the material codes",
    media_type=ledger_import.XLSX_MEDIA_TYPE,
)
async def ledger_template(user: CurrentUser, db: Db) -> Response[bytes]:
    content = await ledger_template_xlsx.template_xlsx(db, user)
    return Response(
        content,
        media_type=ledger_import.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ledger_template.xlsx"'},
    )


routes = [record_ledger, list_ledgers, import_ledgers, ledger_template]
