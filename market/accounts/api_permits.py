"""Hazardous-waste permits and the MIIT compliant-recycler flag, which gate matching.

Both are facts the authorities issue, so regulators and the platform admin record them;
the organisation's members can read them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import get, post, put
from litestar.params import FromPath, JSONBody
from pydantic import Field
from sqlmodel import col, select

from market.accounts.access import membership_role, sees_everything
from market.accounts.deps import CurrentUser
from market.accounts.models import Organization, Permit, User
from market.accounts.organizations import get_organization
from market.core.deps import Db
from market.core.errors import Forbidden
from market.core.schemas import Body


def _require_authority(user: User) -> None:
    if not sees_everything(user):
        raise Forbidden(
            "permits and the MIIT list are recorded by regulators or the platform administrator"
        )


class PermitIn(Body):
    kind: Annotated[
        str,
        Field(
            min_length=2,
            max_length=20,
            description="waste code or category, e.g. HW31 or 900-052-31",
        ),
    ]
    number: Annotated[str, Field(max_length=100)] = ""
    valid_until: date


class MiitIn(Body):
    listed: bool


def permit_view(p: Permit) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "number": p.number,
        "valid_until": p.valid_until,
        "valid": p.valid_until >= date.today(),
    }


@post("/organizations/{org_id:int}/permits", tags=["organizations"])
async def add_permit(
    org_id: FromPath[int], data: JSONBody[PermitIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    _require_authority(user)
    await get_organization(db, org_id)
    permit = Permit(
        organization_id=org_id,
        kind=data.kind.strip().upper(),
        number=data.number,
        valid_until=data.valid_until,
    )
    db.add(permit)
    await db.flush()
    return permit_view(permit)


@get("/organizations/{org_id:int}/permits", tags=["organizations"])
async def list_permits(org_id: FromPath[int], user: CurrentUser, db: Db) -> list[dict[str, Any]]:
    await get_organization(db, org_id)
    if not sees_everything(user) and await membership_role(db, user, org_id) is None:
        raise Forbidden("only members of the organisation and regulators see its permits")
    rows = (
        await db.exec(
            select(Permit).where(Permit.organization_id == org_id).order_by(col(Permit.id))
        )
    ).all()
    return [permit_view(p) for p in rows]


@put(
    "/organizations/{org_id:int}/miit",
    tags=["organizations"],
    summary="Mark an organisation as on (or off) the MIIT compliant battery-recycler list",
)
async def set_miit(
    org_id: FromPath[int], data: JSONBody[MiitIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    _require_authority(user)
    org: Organization = await get_organization(db, org_id)
    org.miit_listed = data.listed
    db.add(org)
    await db.flush()
    return {"organization_id": org_id, "miit_listed": org.miit_listed}


routes = [add_permit, list_permits, set_miit]
