"""Registration and organisation pages: register, create an organisation, members and sites.

Each form is checked by the API's own request bodies (``RegisterIn``, ``OrganizationIn``,
``MemberIn``, ``SiteIn``) and saved by the API's services, so a page cannot accept what the
API would refuse. Registering also logs in (the same token cookie as ``/login``) and leads to
creating an organisation, which is what a new firm's clerk needs next.

A site is placed by typing a place (the gazetteer, or ``MARKET_GEOCODER``: the ``places``
dependency, provided by the geo domain, which sits to the right of accounts) or by pasting
coordinates copied from Amap (GCJ-02), Baidu (BD-09) or a GPS (WGS84) with the datum chosen;
the service converts them to WGS84 and attributes district and park.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICTS
from market.accounts import organizations as orgs
from market.accounts import service as accounts
from market.accounts import sites, throttle
from market.accounts.access import sees_everything
from market.accounts.schemas import MemberIn, OrganizationIn, RegisterIn, SiteIn
from market.accounts.throttle import TooManyAttempts
from market.accounts.web import signed_in
from market.accounts.web_session import Member, OptionalViewer, Viewer, rollback
from market.core.deps import AppSettings, Db, SiteLocator
from market.core.errors import Conflict, Problem
from market.web.forms import FormErrors, problem_errors, pydantic_errors
from market.web.i18n import current_locale, gettext
from market.web.messages import reason
from market.web.render import error_page, page

#: Looks a place name up: ``{"name", "lon", "lat", ...}`` in WGS84, or None when not found.
PlaceLookup = Callable[[str], Awaitable[dict[str, Any] | None]]
Places = NamedDependency[PlaceLookup]

#: The organisation kinds a firm may register itself as (regulators come from the CLI).
SELF_KINDS = ("producer", "consumer", "recycler", "carrier")
#: Datums a pasted coordinate may be in, with how the form names them.
DATUMS = (
    ("wgs84", "WGS84 (GPS)"),
    ("gcj02", "GCJ-02 (Amap)"),
    ("bd09", "BD-09 (Baidu)"),
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def district_choices() -> list[tuple[str, str]]:
    """(code, name) of Jingmen's county-level units in the page's language."""
    zh = current_locale() == "zh"
    return [(d.code, d.name_zh if zh else d.name_en) for d in DISTRICTS]


def parse_coordinates(raw: str) -> tuple[float, float] | None:
    """ "112.2035,31.0312" (as Amap and Baidu copy it), "31.03 112.20" or with a full-width
    comma: (lon, lat). In China longitude (73–135) always exceeds latitude (18–54), so the
    larger number is the longitude whichever order was pasted."""
    numbers = [float(n) for n in _NUMBER.findall(raw)]
    if len(numbers) != 2:
        return None
    a, b = numbers
    return (a, b) if abs(a) >= abs(b) else (b, a)


# --- register -------------------------------------------------------------------------------


@get("/register", name="web-register")
async def register_form(viewer: OptionalViewer) -> Template:
    return page("register.html", viewer, values={}, errors=FormErrors())


@post("/register", name="web-register-post")
async def register_post(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings
) -> Response[Any]:
    """Register with the API's rules and throttle, log in, and go on to the organisation."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str) and k != "password"}
    password = str(form.get("password", ""))

    def refused(errors: FormErrors, status: int) -> Template:
        return page("register.html", None, status=status, values=values, errors=errors)

    client = request.client.host if request.client else "unknown"
    checks = throttle.register_checks(settings, client)
    try:
        await throttle.check(db, checks)
    except TooManyAttempts as exc:
        errors = FormErrors()
        errors.add(
            "form", gettext("Too many attempts; try again in %(s)s s") % {"s": exc.retry_after}
        )
        response = refused(errors, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    await db.commit()
    try:
        body = RegisterIn.model_validate(
            {
                "email": values.get("email", ""),
                "password": password,
                "display_name": values.get("display_name") or values.get("email", ""),
            }
        )
        user = await accounts.create_user(db, body.email, body.password, body.display_name)
    except ValidationError as exc:
        return refused(pydantic_errors(exc), 422)
    except Conflict as exc:
        await db.rollback()
        await throttle.record(db, checks)
        await db.commit()
        return refused(problem_errors(exc), 409)
    except Problem as exc:
        return refused(problem_errors(exc), 422)
    token = await accounts.issue_token(db, user, settings.token_ttl_hours)
    return signed_in("/organizations/new", token, settings, request)


# --- create an organisation --------------------------------------------------------------


def _org_form(
    member: Viewer, values: dict[str, str], errors: FormErrors, status: int = 200
) -> Template:
    return page(
        "organization_new.html",
        member,
        status=status,
        values=values,
        errors=errors,
        kinds=SELF_KINDS + (("regulator",) if member.regulator else ()),
        districts=district_choices(),
    )


@get("/organizations/new", name="web-organization-new")
async def organization_form(member: Member) -> Template:
    return _org_form(member, {"kind": "producer"}, FormErrors())


@post("/organizations/new", name="web-organization-create")
async def organization_post(
    request: Request[Any, Any, Any], member: Member, db: Db
) -> Response[Any]:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        body = OrganizationIn.model_validate(
            {k: values.get(k, "") for k in ("name", "uscc", "kind", "district_code")}
        )
        org = await orgs.create_organization(
            db,
            member.user,
            orgs.OrganizationInput(**body.model_dump()),
            allow_regulator=sees_everything(member.user),
        )
    except ValidationError as exc:
        return _org_form(member, values, pydantic_errors(exc), 422)
    except Problem as exc:
        member = await rollback(db, member)
        return _org_form(
            member, values, problem_errors(exc), exc.status if exc.status in (403, 409) else 422
        )
    return Redirect(f"/my/organization?org={org.id}", status_code=303)


# --- my organisation: members and sites ---------------------------------------------------


async def _organization_page(
    db: AsyncSession,
    member: Viewer,
    org_id: int | None,
    *,
    member_values: dict[str, str] | None = None,
    site_values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    chosen = next(((o, r) for o, r in member.orgs if o.id == org_id), None)
    if chosen is None and org_id is not None:
        return error_page(
            member, 404, gettext("Not found"), gettext("You are not a member of this organisation.")
        )
    if not member.orgs:
        return page(
            "organization.html",
            member,
            status=status,
            org=None,
            role=None,
            members=[],
            sites=[],
            districts=dict(district_choices()),
            datums=DATUMS,
            errors=errors or FormErrors(),
            member_values={},
            site_values={},
            others=[],
        )
    org, role = chosen or member.orgs[0]
    assert org.id is not None
    return page(
        "organization.html",
        member,
        status=status,
        org=org,
        role=role,
        members=await orgs.members(db, org.id),
        sites=await sites.list_sites(db, org.id),
        districts=dict(district_choices()),
        datums=DATUMS,
        errors=errors or FormErrors(),
        member_values=member_values or {"role": "member"},
        site_values=site_values or {"crs": "gcj02"},
        others=[o for o, _r in member.orgs if o.id != org.id],
    )


@get("/my/organization", name="web-my-organization")
async def organization_page(member: Member, db: Db, org: FromQuery[int | None] = None) -> Template:
    return await _organization_page(db, member, org)


@post("/my/organization/members", name="web-organization-add-member")
async def add_member_post(request: Request[Any, Any, Any], member: Member, db: Db) -> Response[Any]:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    org_id = int(values["org"]) if values.get("org", "").isdigit() else None
    if org_id is None or org_id not in member.org_ids:
        return error_page(
            member, 404, gettext("Not found"), gettext("You are not a member of this organisation.")
        )
    try:
        body = MemberIn.model_validate(
            {"email": values.get("email", ""), "role": values.get("role") or "member"}
        )
        await orgs.add_member(db, member.user, org_id, body.email, body.role)
    except ValidationError as exc:
        errors = FormErrors({f"member.{k}": v for k, v in pydantic_errors(exc).items()})
        return await _organization_page(
            db, member, org_id, member_values=values, errors=errors, status=422
        )
    except Problem as exc:
        member = await rollback(db, member)
        errors = FormErrors({f"member.{k}": v for k, v in problem_errors(exc).items()})
        status = exc.status if exc.status in (403, 409) else 422
        return await _organization_page(
            db, member, org_id, member_values=values, errors=errors, status=status
        )
    return Redirect(f"/my/organization?org={org_id}#members", status_code=303)


@post("/my/organization/sites", name="web-organization-add-site")
async def add_site_post(
    request: Request[Any, Any, Any],
    member: Member,
    db: Db,
    page_locate: SiteLocator,
    places: Places,
) -> Response[Any]:
    """Place a site by a typed place name or by pasted coordinates in the chosen datum."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    org_id = int(values["org"]) if values.get("org", "").isdigit() else None
    if org_id is None or org_id not in member.org_ids:
        return error_page(
            member, 404, gettext("Not found"), gettext("You are not a member of this organisation.")
        )
    errors = FormErrors()

    async def again(status: int) -> Template:
        prefixed = FormErrors({f"site.{k}": v for k, v in errors.items()})
        return await _organization_page(
            db, member, org_id, site_values=values, errors=prefixed, status=status
        )

    place, coords = values.get("place", ""), values.get("coords", "")
    crs = values.get("crs") or "wgs84"
    point: tuple[float, float] | None = None
    if coords:
        point = parse_coordinates(coords)
        if point is None:
            errors.add(
                "coords", gettext("Paste two numbers: longitude, latitude (e.g. 112.2035,31.0312)")
            )
            return await again(422)
    elif place:
        try:
            found = await places(place)
        except Problem as exc:
            errors.add("place", reason(exc.detail))
            return await again(exc.status if exc.status == 503 else 422)
        if found is None:
            errors.add(
                "place",
                gettext("No place of that name in the gazetteer; paste coordinates instead"),
            )
            return await again(422)
        point, crs = (float(found["lon"]), float(found["lat"])), "wgs84"
        values.setdefault("address", "")
        if not values["address"]:
            values["address"] = str(found.get("name") or place)
    else:
        errors.add("place", gettext("Type a place or paste coordinates"))
        return await again(422)
    try:
        body = SiteIn.model_validate(
            {
                "name": values.get("name") or place or "",
                "address": values.get("address", ""),
                "lon": point[0],
                "lat": point[1],
                "crs": crs,
            }
        )
        await sites.create_site(
            db, member.user, org_id, sites.SiteInput(**body.model_dump()), locate=page_locate
        )
    except ValidationError as exc:
        errors.update(pydantic_errors(exc))
        return await again(422)
    except Problem as exc:
        member = await rollback(db, member)
        errors.update(problem_errors(exc))
        return await again(exc.status if exc.status == 403 else 422)
    return Redirect(f"/my/organization?org={org_id}#sites", status_code=303)


routes = [
    register_form,
    register_post,
    organization_form,
    organization_post,
    organization_page,
    add_member_post,
    add_site_post,
]
