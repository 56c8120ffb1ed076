"""Organisations, their members and their sites."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, JSONBody

from geodata.districts import DISTRICT_NAMES
from market.accounts import organizations as orgs
from market.accounts import sites
from market.accounts.access import membership_role, require_member, sees_everything
from market.accounts.deps import CurrentUser
from market.accounts.models import Organization, Site
from market.accounts.schemas import MemberIn, OrganizationIn, SiteIn
from market.core.deps import Db, SiteLocator


def org_view(org: Organization, *, private: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "uscc": org.uscc,
        "kind": org.kind,
        "district_code": org.district_code,
        "district_name": DISTRICT_NAMES.get(org.district_code),
        "miit_listed": org.miit_listed,
    }
    if private:
        view["webhook_url"] = org.webhook_url
    return view


def site_view(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "organization_id": site.organization_id,
        "name": site.name,
        "address": site.address,
        "lon": round(site.lon, 6),
        "lat": round(site.lat, 6),
        "crs": "wgs84",
        "district_code": site.district_code,
        "district_name": DISTRICT_NAMES.get(site.district_code or ""),
        "park_code": site.park_code,
    }


@post(
    "/organizations",
    tags=["organizations"],
    summary="Register an organisation; you become its admin",
)
async def create_organization(
    data: JSONBody[OrganizationIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    org = await orgs.create_organization(
        db, user, name=data.name, uscc=data.uscc, kind=data.kind, district_code=data.district_code
    )
    return org_view(org, private=True) | {"role": "admin"}


@get("/organizations/{org_id:int}", tags=["organizations"])
async def get_organization(org_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    org = await orgs.get_organization(db, org_id)
    role = await membership_role(db, user, org_id)
    view = org_view(org, private=role is not None or sees_everything(user))
    if role is not None or sees_everything(user):
        view["members"] = [
            {"user_id": u.id, "email": u.email, "display_name": u.display_name, "role": m.role}
            for m, u in await orgs.members(db, org_id)
        ]
    return view


@post(
    "/organizations/{org_id:int}/members",
    tags=["organizations"],
    summary="Add a member (org admins)",
)
async def add_member(
    org_id: FromPath[int], data: JSONBody[MemberIn], user: CurrentUser, db: Db
) -> dict[str, Any]:
    m = await orgs.add_member(db, user, org_id, data.email, data.role)
    return {"organization_id": m.organization_id, "user_id": m.user_id, "role": m.role}


@post("/organizations/{org_id:int}/sites", tags=["organizations"], summary="Add a site (members)")
async def create_site(
    org_id: FromPath[int], data: JSONBody[SiteIn], user: CurrentUser, db: Db, locate: SiteLocator
) -> dict[str, Any]:
    site = await sites.create_site(
        db,
        user,
        org_id,
        name=data.name,
        address=data.address,
        lon=data.lon,
        lat=data.lat,
        crs=data.crs,
        locate=locate,
    )
    return site_view(site)


@get("/organizations/{org_id:int}/sites", tags=["organizations"])
async def list_sites(org_id: FromPath[int], user: CurrentUser, db: Db) -> list[dict[str, Any]]:
    """Members and regulators only: exact sites would undo the listings' anonymity."""
    await orgs.get_organization(db, org_id)
    if not sees_everything(user):
        await require_member(db, user, org_id)
    return [site_view(s) for s in await sites.list_sites(db, org_id)]


routes = [create_organization, get_organization, add_member, create_site, list_sites]
