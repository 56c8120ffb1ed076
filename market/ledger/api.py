"""Monthly solid-waste ledgers (台账): report one, import a file, list, download the template."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from pydantic import Field, StringConstraints

from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.core.errors import Invalid
from market.core.schemas import Body, Text
from market.ledger import importer as ledger_import
from market.ledger import service as svc
from market.ledger import views
from market.ledger.service import LedgerEntry, check_filter

Tonnes0 = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3, allow_inf_nan=False)]
Month = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-\d{2}$"),
    Field(description="calendar month, China time: 2026-03"),
]


class LedgerIn(Body):
    """One producer-month. Exchange receipts are added by the platform: never report them here."""

    site_id: int
    material_code: str
    month: Month
    generated_t: Tonnes0
    stored_t: Tonnes0 = Decimal(0)
    disposed_t: Tonnes0 = Decimal(0)
    disposed_from_stockpile_t: Tonnes0 = Decimal(0)
    used_inhouse_t: Tonnes0 = Decimal(0)
    shipped_outside_exchange_t: Tonnes0 = Decimal(0)
    utilised_from_stockpile_t: Tonnes0 = Decimal(0)
    dumped_t: Tonnes0 = Decimal(0)
    note: Text = ""

    def entry(self) -> LedgerEntry:
        year, month = (int(p) for p in self.month.split("-"))
        tonnes = {
            name: getattr(self, name)
            for name in (
                "generated_t",
                "stored_t",
                "disposed_t",
                "disposed_from_stockpile_t",
                "used_inhouse_t",
                "shipped_outside_exchange_t",
                "utilised_from_stockpile_t",
                "dumped_t",
            )
        }
        return LedgerEntry(self.site_id, self.material_code, year, month, tonnes, self.note)


@post(
    "/ledger",
    tags=["statistics"],
    summary="Report (or replace) one site's ledger for a material and month",
)
async def record_ledger(
    data: JSONBody[LedgerIn], user: CurrentUser, db: Db, settings: AppSettings
) -> Response[dict[str, Any]]:
    ledger, created = await svc.record_ledger(db, user, data.entry(), settings)
    view = (await views.ledger_views(db, [ledger], settings))[0]
    return Response(view, status_code=201 if created else 200)


@get("/ledger", tags=["statistics"], summary="Ledgers you may read, newest month first")
async def list_ledgers(
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    year: FromQuery[int | None] = None,
    month: FromQuery[int | None] = None,
    site_id: FromQuery[int | None] = None,
    material: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    check_filter(year, month)
    rows = await views.list_ledgers(
        db, user, year=year, month=month, site_id=site_id, material=material, limit=limit
    )
    return {"items": await views.ledger_views(db, rows, settings), "count": len(rows)}


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
)
async def import_ledgers(
    request: Request[Any, Any, Any], user: CurrentUser, db: Db, settings: AppSettings
) -> dict[str, Any]:
    content = await _upload(request)
    result = await ledger_import.import_file(db, user, content, settings)
    return {"rows": result.rows, "created": result.created, "replaced": result.replaced}


@get(
    "/ledger/template.xlsx",
    tags=["statistics"],
    summary="The import template, with your sites and the material codes",
    media_type=ledger_import.XLSX_MEDIA_TYPE,
)
async def ledger_template(user: CurrentUser, db: Db) -> Response[bytes]:
    content = await ledger_import.template_xlsx(db, user)
    return Response(
        content,
        media_type=ledger_import.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ledger_template.xlsx"'},
    )


routes = [record_ledger, list_ledgers, import_ledgers, ledger_template]
