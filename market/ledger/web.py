"""The producer's monthly 台账 in the browser: past months, a form per month, Excel in and out.

Nothing here decides what a ledger may hold. A month's form posts each line through
:func:`market.ledger.service.record_ledger` (what ``POST /api/v1/ledger`` calls, validated
first by the API's own ``LedgerIn``); an upload goes through
:func:`market.ledger.importer.import_file` (``POST /api/v1/ledger/import``), and the template
is the API's :func:`market.ledger.template.template_xlsx`. The page only adds what a clerk
needs around them: the lines the organisation reported before, the exchange receipts already
counted, the balance as it is typed (``static/ledger.js``; no inline script under the CSP)
and the row errors of a rejected file as a table.

A month's lines are saved together: one line that does not balance leaves the whole month
as it was, with the reason beside that line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Site
from market.accounts.web_session import Member, Viewer, rollback
from market.catalogue.models import Material
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.core.settings import Settings
from market.ledger import importer as ledger_import
from market.ledger import service as svc
from market.ledger import template as ledger_template_xlsx
from market.ledger import views
from market.ledger.models import LEDGER_TONNES, Ledger
from market.ledger.rules import EARLIEST_YEAR, china_month, month_label
from market.ledger.schemas import LedgerIn, LedgerOut
from market.ledger.web_text import field_label, import_summary, reason_text
from market.web.forms import pydantic_errors
from market.web.i18n import current_locale
from market.web.i18n import gettext as _
from market.web.render import error_page, page

#: The form's columns, in the order of the identity: where the month's output went.
FORM_TERMS = (
    "generated_t",
    "used_inhouse_t",
    "shipped_outside_exchange_t",
    "utilised_from_stockpile_t",
    "stored_t",
    "disposed_t",
    "disposed_from_stockpile_t",
    "dumped_t",
)
assert set(FORM_TERMS) == set(LEDGER_TONNES)
#: How many months back the overview offers, this month included.
RECENT_MONTHS = 12
#: Rows of a rejected file shown in the table (the importer itself lists at most 200).
MAX_SHOWN_ERRORS = svc.MAX_LISTED_ERRORS


@dataclass
class Line:
    """One site and material of the month's form, with what was saved and what was typed."""

    index: int
    site_id: int | None
    material_code: str | None
    values: dict[str, str]
    booked_t: Decimal = Decimal(0)
    saved: LedgerOut | None = None
    note: str = ""
    errors: list[str] = field(default_factory=list)
    #: A line whose site and material are chosen on the form (the "add a line" row).
    free: bool = False

    @property
    def key(self) -> tuple[int, str] | None:
        if self.site_id is None or not self.material_code:
            return None
        return (self.site_id, self.material_code)

    def typed(self) -> bool:
        return any(v.strip() for v in self.values.values())


def material_label(m: Material | None, code: str) -> str:
    if m is None:
        return code
    return m.name_en if current_locale() == "en" and m.name_en else m.name_zh


async def _materials(db: AsyncSession) -> dict[str, Material]:
    return {m.code: m for m in (await db.exec(select(Material).order_by(Material.code))).all()}


async def _my_sites(db: AsyncSession, member: Viewer) -> list[Site]:
    if not member.org_ids:
        return []
    stmt = select(Site).where(col(Site.organization_id).in_(member.org_ids)).order_by(col(Site.id))
    return list((await db.exec(stmt)).all())


async def _my_ledgers(db: AsyncSession, member: Viewer, year: int | None = None) -> list[Ledger]:
    if not member.org_ids:
        return []
    stmt = select(Ledger).where(col(Ledger.organization_id).in_(member.org_ids))
    if year is not None:
        stmt = stmt.where(col(Ledger.year) == year)
    stmt = stmt.order_by(
        col(Ledger.year).desc(),
        col(Ledger.month).desc(),
        col(Ledger.site_id),
        col(Ledger.material_code),
    )
    return list((await db.exec(stmt)).all())


def _plain(value: Decimal) -> str:
    """A saved figure as a clerk would type it: 1000, 299.5 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f") if value else "0"


def _recent_months(count: int) -> list[tuple[int, int]]:
    year, month = china_month()
    out = []
    for _i in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


@dataclass
class MonthRow:
    year: int
    month: int
    lines: int = 0
    unbalanced: int = 0
    generated_t: Decimal = Decimal(0)
    utilised_t: Decimal = Decimal(0)

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)


def _no_org_page(member: Viewer) -> Template:
    return error_page(
        member,
        403,
        _("No organisation"),
        _("The ledger is kept by an organisation's members. Join or create one first."),
    )


async def _overview(db: AsyncSession, member: Viewer, settings: Settings) -> dict[str, Any]:
    """My organisations' months: the last twelve (filed or not) and every earlier one filed."""
    ledgers = await _my_ledgers(db, member)
    months: dict[tuple[int, int], MonthRow] = {
        ym: MonthRow(*ym) for ym in _recent_months(RECENT_MONTHS)
    }
    for view in await views.ledger_views(db, ledgers, settings):
        y, m = (int(p) for p in view.month.split("-"))
        row = months.setdefault((y, m), MonthRow(y, m))
        row.lines += 1
        row.unbalanced += 0 if view.balanced else 1
        row.generated_t += view.generated_t
        row.utilised_t += view.utilised_t
    rows = sorted(months.values(), key=lambda r: (r.year, r.month), reverse=True)
    return {
        "months": rows,
        "this_month": china_month(),
        "import_result": None,
        "import_errors": [],
        "import_message": "",
    }


@get("/ledger", name="web-ledger")
async def ledger_overview(member: Member, db: Db, settings: AppSettings) -> Template:
    if not member.org_ids:
        return _no_org_page(member)
    return page("ledger_list.html", member, **await _overview(db, member, settings))


def _check_month(member: Viewer, year: int, month: int) -> Template | None:
    if not 1 <= month <= 12 or not EARLIEST_YEAR <= year <= 2100:
        return error_page(
            member,
            404,
            _("No such month"),
            _("A month is written as year and month, e.g. /ledger/2026/3."),
        )
    if (year, month) > china_month():
        return error_page(
            member,
            404,
            _("No such month"),
            _("%(month)s has not started yet: a ledger is filed for a past or the current month.")
            % {"month": month_label(year, month)},
        )
    return None


async def _month_lines(
    db: AsyncSession, member: Viewer, year: int, month: int, settings: Settings
) -> list[Line]:
    """Every site and material the organisation reported (this month first), or listed."""
    ledgers = await _my_ledgers(db, member)
    this = [x for x in ledgers if (x.year, x.month) == (year, month)]
    saved = {(v.site_id, v.material_code): v for v in await views.ledger_views(db, this, settings)}
    keys: list[tuple[int, str]] = list(saved)
    for x in ledgers:
        if (x.site_id, x.material_code) not in keys:
            keys.append((x.site_id, x.material_code))
    lines: list[Line] = []
    for i, (site_id, material) in enumerate(keys):
        view = saved.get((site_id, material))
        values = {t: "" if view is None else _plain(getattr(view, t)) for t in FORM_TERMS}
        lines.append(Line(i, site_id, material, values, saved=view, note=view.note if view else ""))
    lines.append(Line(len(lines), None, None, {t: "" for t in FORM_TERMS}, free=True))
    await _attach_booked(db, lines, year, month)
    return lines


async def _attach_booked(db: AsyncSession, lines: list[Line], year: int, month: int) -> None:
    """The exchange loads each line's balance counts (as the producer booked them out)."""
    keys = [(k[0], k[1], year, month) for line in lines if (k := line.key) is not None]
    booked, _slack = await svc.booked_for(db, keys)
    for line in lines:
        if line.key is not None:
            line.booked_t = booked.get((line.key[0], line.key[1], year, month), Decimal(0))


async def _render_month(
    db: AsyncSession,
    member: Viewer,
    settings: Settings,
    year: int,
    month: int,
    lines: list[Line],
    *,
    status: int = 200,
    form_errors: list[str] | None = None,
    saved_count: int | None = None,
) -> Template:
    materials = await _materials(db)
    sites = await _my_sites(db, member)
    site_names = {s.id: s.name for s in sites}
    prev = (year, month - 1) if month > 1 else (year - 1, 12)
    nxt = (year, month + 1) if month < 12 else (year + 1, 1)
    return page(
        "ledger_month.html",
        member,
        status=status,
        year=year,
        month=month,
        label=month_label(year, month),
        lines=lines,
        terms=FORM_TERMS,
        field_label=field_label,
        sites=sites,
        site_names=site_names,
        materials=materials,
        material_label=material_label,
        tolerance_t=settings.ledger_balance_tolerance_t,
        receipt_tolerance_pct=settings.receipt_tolerance_pct,
        prev=prev if prev[0] >= EARLIEST_YEAR else None,
        next=nxt if nxt <= china_month() else None,
        form_errors=form_errors or [],
        saved_count=saved_count,
    )


@get("/ledger/{year:int}/{month:int}", name="web-ledger-month")
async def ledger_month(
    member: Member,
    db: Db,
    settings: AppSettings,
    year: FromPath[int],
    month: FromPath[int],
    saved: FromQuery[int | None] = None,
) -> Template:
    if (bad := _check_month(member, year, month)) is not None:
        return bad
    if not member.org_ids:
        return _no_org_page(member)
    lines = await _month_lines(db, member, year, month, settings)
    return await _render_month(db, member, settings, year, month, lines, saved_count=saved)


def _number(raw: str) -> str:
    """ "5,000" and "5，000" read as 5000; what remains is for the API's model to judge."""
    return raw.strip().replace(",", "").replace("，", "").replace(" ", "")


def _posted_lines(form: Any) -> list[Line]:
    try:
        count = min(int(str(form.get("lines", "0"))), 500)
    except ValueError:
        count = 0
    lines: list[Line] = []
    for i in range(count):
        prefix = f"line-{i}-"
        site_raw = str(form.get(prefix + "site_id", "") or "").strip()
        material = str(form.get(prefix + "material_code", "") or "").strip() or None
        site_id = int(site_raw) if site_raw.isdigit() else None
        values = {t: str(form.get(prefix + t, "") or "") for t in FORM_TERMS}
        lines.append(
            Line(
                i,
                site_id,
                material,
                values,
                note=str(form.get(prefix + "note", "") or "").strip(),
                free=str(form.get(prefix + "free", "")) == "1",
            )
        )
    return lines


def _line_body(line: Line, year: int, month: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": line.site_id,
        "material_code": line.material_code,
        "month": month_label(year, month),
        "note": line.note,
    }
    for term in FORM_TERMS:
        raw = _number(line.values.get(term, ""))
        if raw or term == "generated_t":
            body[term] = raw or None
    return body


def _messages(errors: dict[str, list[str]]) -> list[str]:
    out = []
    for name, reasons in errors.items():
        for reason in reasons:
            label = field_label(name.split(".")[-1]) if name not in ("form", "") else ""
            text = reason_text(reason)
            out.append(f"{label}: {text}" if label else text)
    return out


@post("/ledger/{year:int}/{month:int}", name="web-ledger-month-save")
async def ledger_month_save(
    request: Request[Any, Any, Any],
    member: Member,
    db: Db,
    settings: AppSettings,
    year: FromPath[int],
    month: FromPath[int],
) -> Response[Any]:
    """Save every line that was typed, through the API's model and service: all or none."""
    if (bad := _check_month(member, year, month)) is not None:
        return bad
    if not member.org_ids:
        return _no_org_page(member)
    form = await request.form()
    lines = _posted_lines(form)
    to_save = [line for line in lines if line.typed()]
    failed = False
    written = 0
    for line in to_save:
        if line.free and line.key is None:
            line.errors.append(_("Choose the site and the material of this line."))
            failed = True
            continue
        try:
            body = LedgerIn.model_validate(_line_body(line, year, month))
        except ValidationError as exc:
            line.errors += _messages(_pydantic(exc))
            failed = True
            continue
        try:
            await svc.record_ledger(db, member.user, body.entry(), settings)
            written += 1
        except Problem as exc:
            line.errors += _messages(_problem(exc))
            failed = True
    if not failed:
        return Redirect(f"/ledger/{year}/{month}?saved={written}", status_code=303)
    member = await rollback(db, member)
    await _attach_booked(db, lines, year, month)
    return await _render_month(
        db,
        member,
        settings,
        year,
        month,
        lines,
        status=422,
        form_errors=[_("Nothing was saved: correct the lines marked below.")],
    )


def _pydantic(exc: ValidationError) -> dict[str, list[str]]:
    return dict(pydantic_errors(exc))


def _problem(exc: Problem) -> dict[str, list[str]]:
    if exc.errors:
        out: dict[str, list[str]] = {}
        for item in exc.errors:
            out.setdefault(item.get("field", "form"), []).append(item.get("reason", exc.detail))
        return out
    return {"form": [exc.detail]}


@get("/ledger/template.xlsx", name="web-ledger-template")
async def ledger_template(member: Member, db: Db) -> Response[bytes]:
    """The API's import template, for the session's user (the API wants a bearer token)."""
    content = await ledger_template_xlsx.template_xlsx(db, member.user)
    return Response(
        content,
        media_type=ledger_import.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ledger_template.xlsx"'},
    )


@dataclass(frozen=True)
class RowError:
    row: str
    field: str
    reason: str


@post("/ledger/import", name="web-ledger-import")
async def ledger_upload(
    request: Request[Any, Any, Any], member: Member, db: Db, settings: AppSettings
) -> Template:
    """An uploaded file through the API's importer: all rows or none, errors as a table."""
    if not member.org_ids:
        return _no_org_page(member)
    form = await request.form()
    upload = form.get("file")
    status = 200
    result = None
    errors: list[RowError] = []
    message = ""
    if not isinstance(upload, UploadFile):
        status, message = 422, _("Choose a file (.xlsx or .csv) to upload.")
    else:
        content = await upload.read()
        try:
            result = await ledger_import.import_file(db, member.user, content, settings)
        except Problem as exc:
            member = await rollback(db, member)
            status = exc.status if exc.status in (400, 413, 422) else 422
            errors = [
                RowError(
                    e.get("row") or "",
                    field_label(e.get("field", "")),
                    reason_text(e.get("reason", "")),
                )
                for e in exc.errors[:MAX_SHOWN_ERRORS]
            ]
            if isinstance(exc, svc.ImportRejected):
                message = import_summary(exc.detail, len(errors))
            elif exc.status == 413:
                message = _("The file is too large to import: %(detail)s") % {"detail": exc.detail}
            else:
                message = _("The file was not imported.")
    context = await _overview(db, member, settings)
    context.update(import_result=result, import_errors=errors, import_message=message)
    return page("ledger_list.html", member, status=status, **context)


routes = [ledger_overview, ledger_template, ledger_month, ledger_month_save, ledger_upload]
