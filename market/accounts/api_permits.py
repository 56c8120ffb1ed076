"""Hazardous-waste permits and the MIIT compliant-recycler flag (regulators record them)."""

from __future__ import annotations

from datetime import date

from litestar import get, post, put
from litestar.params import FromPath, JSONBody

from market.accounts import permits
from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.accounts.models import Permit
from market.accounts.schemas import MiitIn, MiitOut, PermitIn, PermitOut
from market.core.deps import Db
from market.core.openapi import problems
from market.core.schemas import Page


def permit_out(p: Permit) -> PermitOut:
    return PermitOut.model_validate(
        {
            "id": p.id,
            "kind": p.kind,
            "number": p.number,
            "valid_until": p.valid_until,
            "valid": p.valid_until >= date.today(),
        }
    )


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
    return permit_out(permit)


@get(
    "/organizations/{org_id:int}/permits",
    tags=["organizations"],
    summary="An organisation's permits (its members and regulators)",
    responses=problems(403),
)
async def list_permits(org_id: FromPath[int], user: CurrentUser, db: Db) -> Page[PermitOut]:
    items = [permit_out(p) for p in await permits.list_permits(db, user, org_id)]
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


routes = [add_permit, list_permits, set_miit]
