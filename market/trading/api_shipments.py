"""Transfer manifests and disputed receipts: read a manifest (JSON or .xlsx), settle a dispute.

Manifests are read by their producer, their receiver and regulators (others: 404). A
dispute is settled by a proposal of one party accepted by the other, or by a regulator's
decision (:mod:`market.trading.disputes`).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody

from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.core import decimals as dec
from market.core.deps import Db
from market.core.errors import NotFound
from market.core.openapi import problems
from market.trading import disputes, manifests
from market.trading.manifest_export import XLSX_MEDIA_TYPE, manifest_view, to_xlsx
from market.trading.models import Shipment, ShipmentDispute
from market.trading.schemas import (
    AcceptSettlementIn,
    DecideSettlementIn,
    DisputeOut,
    ManifestOut,
    ProposeSettlementIn,
)


def dispute_view(d: ShipmentDispute, s: Shipment) -> DisputeOut:
    return DisputeOut.model_validate(
        {
            "id": d.id,
            "shipment_id": d.shipment_id,
            "deal_id": d.deal_id,
            "status": d.status,
            "dispatched_t": dec.t(s.dispatched_t),
            "received_t": None if s.received_t is None else dec.t(s.received_t),
            "credited_t": dec.t(d.credited_t),
            "proposed_t": None if d.proposed_t is None else dec.t(d.proposed_t),
            "proposed_by_org_id": d.proposed_by_org_id,
            "proposed_at": d.proposed_at,
            "settled_t": None if d.settled_t is None else dec.t(d.settled_t),
            "method": d.method,
            "note": d.note,
            "created_at": d.created_at,
            "settled_at": d.settled_at,
        }
    )


def _manifest_id(ref: str) -> tuple[int, bool]:
    """``"12"`` → (12, JSON), ``"12.xlsx"`` → (12, workbook); anything else is not a manifest.

    One route serves both because Litestar matches whole path segments only, so
    ``/manifests/{id}.xlsx`` cannot be a route of its own beside ``/manifests/{id}``.
    """
    number, dot, ext = ref.partition(".")
    if not number.isascii() or not number.isdigit() or (dot and ext != "xlsx") or len(number) > 12:
        raise NotFound(f"manifest {ref} does not exist")
    return int(number), bool(dot)


def _xlsx(view: ManifestOut) -> Any:
    """The workbook response (typed Any: the route's declared model is the JSON one)."""
    name = f"manifest_{view.number}.xlsx"
    return Response(
        to_xlsx(view),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/manifests/{ref:str}",
    tags=["deals"],
    summary="A hazardous-waste transfer manifest (转移联单): /manifests/{id} as JSON, "
    "/manifests/{id}.xlsx as Excel for the paper trail",
)
async def get_manifest(ref: FromPath[str], user: CurrentUser, db: Db) -> ManifestOut:
    """The manifest's producer, receiver and regulators may read it (others: 404). With the
    ``.xlsx`` suffix the answer is a one-sheet workbook
    (``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``)."""
    manifest_id, as_xlsx = _manifest_id(ref)
    view = await manifest_view(db, await manifests.readable_manifest(db, user, manifest_id))
    return _xlsx(view) if as_xlsx else view


@get(
    "/shipments/{shipment_id:int}/dispute",
    tags=["deals"],
    summary="The dispute of a receipt beyond the weighbridge tolerance",
)
async def get_dispute(shipment_id: FromPath[int], user: CurrentUser, db: Db) -> DisputeOut:
    return dispute_view(*await disputes.get_dispute(db, user, shipment_id))


@post(
    "/shipments/{shipment_id:int}/dispute/propose",
    tags=["deals"],
    status_code=200,
    summary="Propose the tonnes that count (either party)",
    responses=problems(403, 409),
)
async def propose_settlement(
    shipment_id: FromPath[int], data: JSONBody[ProposeSettlementIn], user: CurrentUser, db: Db
) -> DisputeOut:
    return dispute_view(*await disputes.propose(db, user, shipment_id, data.settled_t, data.note))


@post(
    "/shipments/{shipment_id:int}/dispute/accept",
    tags=["deals"],
    status_code=200,
    summary="Accept the other party's proposal: the dispute is settled",
    responses=problems(403, 409),
)
async def accept_settlement(
    shipment_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    data: JSONBody[AcceptSettlementIn | None] = None,
) -> DisputeOut:
    expected = data.settled_t if data is not None else None
    return dispute_view(*await disputes.accept(db, user, shipment_id, expected))


@post(
    "/shipments/{shipment_id:int}/dispute/decide",
    tags=["deals"],
    status_code=200,
    summary="Decide the tonnes that count (regulators)",
    guards=[regulators],
    responses=problems(403, 409),
)
async def decide_settlement(
    shipment_id: FromPath[int], data: JSONBody[DecideSettlementIn], user: CurrentUser, db: Db
) -> DisputeOut:
    return dispute_view(*await disputes.decide(db, user, shipment_id, data.settled_t, data.note))


routes = [
    get_manifest,
    get_dispute,
    propose_settlement,
    accept_settlement,
    decide_settlement,
]
