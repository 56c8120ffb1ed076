"""Organisations, their members and their sites."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, JSONBody

from geodata.districts import DISTRICT_NAMES
from market.accounts import organizations as orgs
from market.accounts import sites, verification
from market.accounts.access import membership_role, require_member, sees_everything
from market.accounts.deps import CurrentUser
from market.accounts.guards import regulators
from market.accounts.models import Organization, Site
from market.accounts.schemas import (
    CreatedOrganizationOut,
    MemberIn,
    MemberOut,
    MembershipOut,
    OrganizationDetailOut,
    OrganizationIn,
    SiteIn,
    SiteOut,
    VerifiedOut,
    VerifyIn,
)
from market.core.deps import Db, SiteLocator
from market.core.openapi import problems
from market.core.schemas import Page


def _public(org: Organization) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "uscc": org.uscc,
        "kind": org.kind,
        "district_code": org.district_code,
        "district_name": DISTRICT_NAMES.get(org.district_code),
        "miit_listed": org.miit_listed,
        "verified": org.verified,
    }


def site_out(site: Site) -> SiteOut:
    return SiteOut.model_validate(
        {
            "id": site.id,
            "organization_id": site.organization_id,
            "name": site.name,
            "address": site.address,
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "district_code": site.district_code,
            "district_name": DISTRICT_NAMES.get(site.district_code or ""),
            "park_code": site.park_code,
        }
    )


@post(
    "/organizations",
    tags=["organizations"],
    summary="Register an organisation; you become its admin",
    responses=problems(403, 409),
)
async def create_organization(
    data: JSONBody[OrganizationIn], user: CurrentUser, db: Db
) -> CreatedOrganizationOut:
    org = await orgs.create_organization(
        db, user, orgs.OrganizationInput(**data.model_dump()), allow_regulator=sees_everything(user)
    )
    return CreatedOrganizationOut.model_validate(_public(org) | {"webhook_url": org.webhook_url})


@get(
    "/organizations/{org_id:int}",
    tags=["organizations"],
    summary="An organisation; its members and regulators also see its members and webhook",
)
async def get_organization(
    org_id: FromPath[int], user: CurrentUser, db: Db
) -> OrganizationDetailOut:
    org = await orgs.get_organization(db, org_id)
    if await membership_role(db, user, org_id) is None and not sees_everything(user):
        return OrganizationDetailOut.model_validate(_public(org))
    members = [
        MemberOut.model_validate(
            {"user_id": u.id, "email": u.email, "display_name": u.display_name, "role": m.role}
        )
        for m, u in await orgs.members(db, org_id)
    ]
    return OrganizationDetailOut.model_validate(
        _public(org) | {"webhook_url": org.webhook_url, "members": members}
    )


@post(
    "/organizations/{org_id:int}/members",
    tags=["organizations"],
    summary="Add a member (org admins)",
    responses=problems(403, 409),
)
async def add_member(
    org_id: FromPath[int], data: JSONBody[MemberIn], user: CurrentUser, db: Db
) -> MembershipOut:
    return MembershipOut.model_validate(
        await orgs.add_member(db, user, org_id, data.email, data.role)
    )


@post(
    "/organizations/{org_id:int}/sites",
    tags=["organizations"],
    summary="Add a site (members)",
    responses=problems(403),
)
async def create_site(
    org_id: FromPath[int], data: JSONBody[SiteIn], user: CurrentUser, db: Db, locate: SiteLocator
) -> SiteOut:
    site = await sites.create_site(
        db, user, org_id, sites.SiteInput(**data.model_dump()), locate=locate
    )
    return site_out(site)


@get(
    "/organizations/{org_id:int}/sites",
    tags=["organizations"],
    summary="An organisation's sites (its members and regulators)",
    responses=problems(403),
)
async def list_sites(org_id: FromPath[int], user: CurrentUser, db: Db) -> Page[SiteOut]:
    """Members and regulators only: exact sites would undo the listings' anonymity."""
    await orgs.get_organization(db, org_id)
    if not sees_everything(user):
        await require_member(db, user, org_id)
    items = [site_out(s) for s in await sites.list_sites(db, org_id)]
    return Page[SiteOut](items=items, total=len(items), page=1, page_size=len(items))


@post(
    "/organizations/{org_id:int}/verify",
    tags=["organizations"],
    summary="Verify an organisation after checking its 统一社会信用代码 (regulators)",
    guards=[regulators],
    responses=problems(403, 409),
    status_code=200,
)
async def verify_organization(
    org_id: FromPath[int], data: JSONBody[VerifyIn], user: CurrentUser, db: Db
) -> VerifiedOut:
    """Audited with the regulator, the method (licence checked or code entered) and the note."""
    org = await verification.verify_organization(db, user, org_id, uscc=data.uscc, note=data.note)
    return VerifiedOut.model_validate({"organization_id": org.id, "verified_at": org.verified_at})


routes = [
    create_organization,
    get_organization,
    add_member,
    create_site,
    list_sites,
    verify_organization,
]
