"""Hazardous-waste permits and the MIIT compliant-recycler flag (regulators record them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from market.accounts import permit_use, permits
from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.accounts.permit_use import PermitStanding
from market.accounts.schemas import ExpiringPermitOut, MiitIn, MiitOut, PermitIn, PermitOut
from market.core.deps import Db
from market.core.openapi import problems
from market.core.schemas import Page


def permit_out(standing: PermitStanding, today: date) -> dict[str, Any]:
    """A permit's fields with its validity and this year's use, on China's date ``today``."""
    p = standing.permit
    return {
        "id": p.id,
        "kind": p.kind,
        "number": p.number,
        "valid_until": p.valid_until,
        "valid": standing.valid_on(today),
        "annual_capacity_t": p.annual_capacity_t,
        "taken_t": standing.taken_t.get(today.year, permit_use.ZERO),
        "remaining_t": standing.remaining_t(today.year),
    }


async def _standings(db: Db, org_id: int) -> dict[int | None, PermitStanding]:
    return {s.permit.id: s for s in (await permit_use.standings(db, [org_id])).get(org_id, [])}


@post(
    "/organizations/{org_id:int}/permits",
    tags=["organizations"],
    summary="Record a hazardous-waste permit (regulators)",
    guards=[regulators],
    responses=problems(403),
)
async def add_permit(
    org_id: FromPath[int], data: JSONBody[PermitIn], user: CurrentUser, db: Db
) -> PermitOut:
    permit = await permits.add_permit(db, user, org_id, permits.PermitInput(**data.model_dump()))
    today = permit_use.china_date(datetime.now(UTC))
    return PermitOut.model_validate(permit_out((await _standings(db, org_id))[permit.id], today))


@get(
    "/organizations/{org_id:int}/permits",
    tags=["organizations"],
    summary="An organisation's permits (its members and regulators)",
    responses=problems(403),
)
async def list_permits(org_id: FromPath[int], user: CurrentUser, db: Db) -> Page[PermitOut]:
    rows = await permits.list_permits(db, user, org_id)
    standing = await _standings(db, org_id)
    today = permit_use.china_date(datetime.now(UTC))
    items = [PermitOut.model_validate(permit_out(standing[p.id], today)) for p in rows]
    return Page[PermitOut](items=items, total=len(items), page=1, page_size=len(items))


@put(
    "/organizations/{org_id:int}/miit",
    tags=["organizations"],
    summary="Mark an organisation as on (or off) the MIIT compliant battery-recycler list",
    guards=[regulators],
    responses=problems(403),
)
async def set_miit(
    org_id: FromPath[int], data: JSONBody[MiitIn], user: CurrentUser, db: Db
) -> MiitOut:
    org = await permits.set_miit(db, user, org_id, data.listed)
    return MiitOut(organization_id=org_id, miit_listed=org.miit_listed)


@get(
    "/permits/expiring",
    tags=["organizations"],
    summary="Permits expiring within `days` days, soonest first (regulators)",
    guards=[regulators],
    responses=problems(403),
)
async def expiring_permits(
    user: CurrentUser,
    db: Db,
    days: Annotated[
        int,
        QueryParameter(
            ge=0,
            le=permits.MAX_EXPIRING_DAYS,
            # Litestar leaves a 0 bound out of the document; given again to document it.
            schema_extra={"minimum": 0},
            description="look-ahead, days",
        ),
    ] = 30,
) -> Page[ExpiringPermitOut]:
    today = permit_use.china_date(datetime.now(UTC))
    rows = await permits.expiring_permits(db, user, today, days)
    use = await permit_use.standings(db, {o.id for _p, o in rows if o.id is not None})
    by_id = {s.permit.id: s for items in use.values() for s in items}
    items = [
        ExpiringPermitOut.model_validate(
            {
                **permit_out(by_id[p.id], today),
                "organization_id": o.id,
                "organization_name": o.name,
                "days_left": (p.valid_until - today).days,
            }
        )
        for p, o in rows
    ]
    return Page[ExpiringPermitOut](items=items, total=len(items), page=1, page_size=len(items))


routes = [add_permit, list_permits, expiring_permits, set_miit]
