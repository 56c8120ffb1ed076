"""Battery packs over the API: a lot's packs (typed or imported), its use, loads and receipts
pack by pack, the cascade-use list, reporting, and the regulators' traceability views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.batteries import imports, trace
from market.batteries.schemas import (
    BatteryUseIn,
    BatteryUseOut,
    CascadeListedIn,
    CascadeListedOut,
    CodesIn,
    CutoffOut,
    LotPacksOut,
    OverdueOut,
    PackEventOut,
    PackHistoryOut,
    PackOut,
    PackReceiptOut,
    PacksIn,
    ReceivePacksIn,
    ReportedOut,
    ShipmentPacksOut,
    TraceRowOut,
)
from market.core.deps import AppSettings, Db
from market.core.openapi import PROBLEM_JSON, problems
from market.core.schemas import Page
from market.ledger.api import _ImportOperation, _upload
from market.ledger.schemas import ImportProblem
from market.trading import packs
from market.trading.pack_models import BatteryPack

CSV_MEDIA_TYPE = "text/csv"
_ROWS_REJECTED = ResponseSpec(
    data_container=ImportProblem,
    description="Nothing was written: `errors` has one entry per problem with the `row` "
    "(the pack's position in the list, or the spreadsheet row with the header = 1), "
    "`field` and `reason`",
    media_type=PROBLEM_JSON,
    generate_examples=False,
)
FromDate = Annotated[
    date, QueryParameter(name="from", description="first outbound date (China), inclusive")
]
To = Annotated[date, QueryParameter(description="last outbound date (China), inclusive")]


def pack_view(p: BatteryPack) -> PackOut:
    return PackOut.model_validate(
        {
            "code": p.code,
            "product_type": p.code[3],
            "battery_type": p.code[4],
            "chemistry": p.chemistry,
            "rated_kwh": p.rated_kwh,
            "soh_pct": p.soh_pct,
            "mass_kg": p.mass_kg,
            "vin": p.vin,
            "status": p.status,
            "listing_id": p.listing_id,
            "deal_id": p.deal_id,
            "shipment_id": p.shipment_id,
            "holder_org_id": p.holder_org_id,
        }
    )


async def _cutoff(db: Any, material_code: str) -> CutoffOut | None:
    c = await packs.cascade_cutoff(db, material_code)
    return None if c is None else CutoffOut(**c.__dict__)


async def _lot_view(db: Any, user: Any, listing_id: int) -> LotPacksOut:
    listing, rows = await packs.readable_lot_packs(db, user, listing_id)
    return LotPacksOut(
        listing_id=listing_id,
        battery_use=listing.battery_use,  # type: ignore[arg-type]
        cascade_cutoff=await _cutoff(db, listing.material_code),
        count=len(rows),
        mass_kg=sum(p.mass_kg for p in rows),
        items=[pack_view(p) for p in rows],
    )


@post(
    "/listings/{listing_id:int}/packs",
    tags=["batteries"],
    summary="Add packs to a battery lot: all or none, problems named by row",
    status_code=201,
    responses={**problems(403, 404, 409), 422: _ROWS_REJECTED},
)
async def add_packs(
    listing_id: FromPath[int], data: JSONBody[PacksIn], user: CurrentUser, db: Db
) -> LotPacksOut:
    """Each pack's GB/T 34014 code is checked (length, fields, battery type against the
    chemistry), its VIN's check digit too; a pack already in another open lot, sold and not
    yet received, or held by another organisation is refused. Row = position in the list
    (first = 1)."""
    rows = [(i, packs.PackInput(**p.model_dump())) for i, p in enumerate(data.packs, start=1)]
    await packs.add_packs(db, user, listing_id, rows)
    return await _lot_view(db, user, listing_id)


@post(
    "/listings/{listing_id:int}/packs/import",
    tags=["batteries"],
    summary="Import a battery lot's packs from CSV or Excel: all rows or none",
    description=(
        "Send the file as multipart/form-data (field `file`), or the raw body with content "
        "type text/csv or the .xlsx media type; headers as in `/battery-packs/template.xlsx` "
        "(Chinese or English). Read within the ledger import's limits (413 naming the limit)."
    ),
    status_code=201,
    responses={**problems(400, 403, 404, 409, 413), 422: _ROWS_REJECTED},
    operation_class=_ImportOperation,
)
async def import_packs(
    listing_id: FromPath[int],
    request: Request[Any, Any, Any],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
) -> LotPacksOut:
    content = await _upload(request)
    await imports.import_file(db, user, listing_id, content, settings)
    return await _lot_view(db, user, listing_id)


@get("/listings/{listing_id:int}/packs", tags=["batteries"], summary="A battery lot's packs")
async def list_packs(listing_id: FromPath[int], user: CurrentUser, db: Db) -> LotPacksOut:
    return await _lot_view(db, user, listing_id)


@get(
    "/battery-packs/template.xlsx",
    tags=["batteries"],
    summary="The pack import template",
    media_type=imports.XLSX_MEDIA_TYPE,
)
async def packs_template(user: CurrentUser) -> Response[bytes]:
    return Response(
        imports.template_xlsx(),
        media_type=imports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="battery_packs_template.xlsx"'},
    )


@put(
    "/listings/{listing_id:int}/battery-use",
    tags=["batteries"],
    summary="Say whether a battery lot is for cascade use (梯次利用) or recycling (再生利用)",
    responses=problems(404, 409),
)
async def set_battery_use(
    listing_id: FromPath[int], data: JSONBody[BatteryUseIn], user: CurrentUser, db: Db
) -> BatteryUseOut:
    """Recycling lots go only to MIIT-listed recyclers, cascade-use lots only to MIIT-listed
    cascade-use firms; a cascade lot's packs must reach the catalogue's state-of-health
    cut-off (shown with its source and whether it is confirmed)."""
    listing = await packs.set_battery_use(db, user, listing_id, data.battery_use)
    return BatteryUseOut(
        listing_id=listing_id,
        battery_use=data.battery_use,
        cascade_cutoff=await _cutoff(db, listing.material_code),
    )


@put(
    "/organizations/{org_id:int}/miit-cascade",
    tags=["organizations"],
    summary="Mark an organisation as on (or off) the MIIT list as a cascade-use company",
    guards=[regulators],
    responses=problems(403, 404),
)
async def set_cascade_listed(
    org_id: FromPath[int], data: JSONBody[CascadeListedIn], user: CurrentUser, db: Db
) -> CascadeListedOut:
    org = await packs.set_cascade_listed(db, user, org_id, data.listed)
    return CascadeListedOut(organization_id=org_id, miit_cascade_listed=org.miit_cascade_listed)


@post(
    "/shipments/{shipment_id:int}/packs",
    tags=["batteries"],
    summary="Name the packs on a dispatched load (the seller)",
    status_code=200,
    responses={**problems(403, 404, 409), 422: _ROWS_REJECTED},
)
async def ship_packs(
    shipment_id: FromPath[int], data: JSONBody[CodesIn], user: CurrentUser, db: Db
) -> ShipmentPacksOut:
    rows = await packs.ship_packs(db, user, shipment_id, data.codes)
    return ShipmentPacksOut(shipment_id=shipment_id, codes=sorted(p.code for p in rows))


@post(
    "/shipments/{shipment_id:int}/packs/receive",
    tags=["batteries"],
    summary="Confirm a load pack by pack (the buyer): packs not listed are recorded missing",
    status_code=200,
    responses={**problems(403, 404, 409), 422: _ROWS_REJECTED},
)
async def receive_packs(
    shipment_id: FromPath[int], data: JSONBody[ReceivePacksIn], user: CurrentUser, db: Db
) -> PackReceiptOut:
    result = await packs.receive_packs(db, user, shipment_id, data.received, data.received_at)
    return PackReceiptOut(
        shipment_id=shipment_id,
        received=sorted(p.code for p in result.received),
        missing=sorted(p.code for p in result.missing),
    )


@post(
    "/battery-packs/reported",
    tags=["batteries"],
    summary="Say the receipts of these packs were reported to the national platform",
    status_code=200,
    responses={422: _ROWS_REJECTED},
)
async def mark_reported(data: JSONBody[CodesIn], user: CurrentUser, db: Db) -> ReportedOut:
    return ReportedOut(reported=await trace.mark_reported(db, user, data.codes))


@get(
    "/battery-packs/{code:str}/events",
    tags=["batteries"],
    summary="A pack's chain of custody (regulators, and every organisation that held it)",
)
async def pack_events(code: FromPath[str], user: CurrentUser, db: Db) -> PackHistoryOut:
    pack, events = await trace.pack_history(db, user, code)
    return PackHistoryOut(
        pack=pack_view(pack),
        events=[PackEventOut.model_validate(e, from_attributes=True) for e in events],
    )


async def _trace(db: Any, start: date, end: date) -> list[trace.TraceRow]:
    return await trace.trace_rows(db, start, end)


@get(
    "/stats/battery-trace.xlsx",
    tags=["statistics"],
    summary="Battery packs' chain of custody for the national platform, as Excel (regulators)",
    media_type=imports.XLSX_MEDIA_TYPE,
    guards=[regulators],
    responses=problems(403),
)
async def trace_xlsx(user: CurrentUser, db: Db, from_: FromDate, to: To) -> Response[bytes]:
    rows = await _trace(db, from_, to)
    name = f"battery_trace_{from_.isoformat()}_{to.isoformat()}.xlsx"
    return Response(
        trace.to_xlsx(rows, from_, to),
        media_type=imports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/stats/battery-trace.csv",
    tags=["statistics"],
    summary="Battery packs' chain of custody for the national platform, as CSV (regulators)",
    media_type=CSV_MEDIA_TYPE,
    guards=[regulators],
    responses=problems(403),
)
async def trace_csv(user: CurrentUser, db: Db, from_: FromDate, to: To) -> Response[bytes]:
    rows = await _trace(db, from_, to)
    name = f"battery_trace_{from_.isoformat()}_{to.isoformat()}.csv"
    return Response(
        trace.to_csv(rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/stats/battery-trace",
    tags=["statistics"],
    summary="Battery packs' chain of custody as JSON (regulators)",
    guards=[regulators],
    responses=problems(403),
)
async def trace_json(user: CurrentUser, db: Db, from_: FromDate, to: To) -> Page[TraceRowOut]:
    items = [TraceRowOut.model_validate(r.__dict__) for r in await _trace(db, from_, to)]
    return Page[TraceRowOut](items=items, total=len(items), page=1, page_size=len(items))


@get(
    "/stats/battery-trace/overdue",
    tags=["statistics"],
    summary="Received packs not reported within 15 working days (regulators)",
    guards=[regulators],
    responses=problems(403),
)
async def trace_overdue(user: CurrentUser, db: Db) -> Page[OverdueOut]:
    """Working days are Monday–Friday; public holidays are not modelled. All of them, the
    longest overdue first."""
    items = [OverdueOut.model_validate(r.__dict__) for r in await trace.overdue(db)]
    return Page[OverdueOut](items=items, total=len(items), page=1, page_size=len(items))


routes = [
    add_packs,
    import_packs,
    list_packs,
    packs_template,
    set_battery_use,
    set_cascade_listed,
    ship_packs,
    receive_packs,
    mark_reported,
    pack_events,
    trace_xlsx,
    trace_csv,
    trace_json,
    trace_overdue,
]
