"""What the listing and demand pages share: the "near …" search and the two-step post form.

A post form is validated by the same pydantic body as the API (``ListingIn`` / ``DemandIn``)
and created by the same service, so the web cannot accept what the API would refuse. A
:class:`PostForm` says what differs between the two forms; everything else is here once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.accounts.web_session import Member, rollback
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core.deps import Db
from market.core.errors import Problem
from market.core.settings import Settings
from market.offers import web_lookups as lookups
from market.offers.common import OfferKind
from market.offers.models import Demand, Listing
from market.offers.privacy import OfferT
from market.offers.schemas import OfferIn
from market.offers.search import OfferQuery
from market.offers.web_matches import match_panel
from market.offers.web_search import CRS_CHOICES, SearchForm, parse_search
from market.web.forms import (
    FormErrors,
    blank_to_none,
    clean_number,
    problem_errors,
    pydantic_errors,
    range_errors,
)
from market.web.i18n import gettext
from market.web.render import page

#: Results per page of the search pages.
PAGE_SIZE = 50
#: The form inputs both post forms have, copied into the body as typed.
OFFER_FIELDS = ("site_id", "material_code", "quantity_t", "cadence", "status", "title")

BodyT = TypeVar("BodyT", bound=OfferIn)


# --- the search pages -----------------------------------------------------------------------


@dataclass
class SearchPage:
    """The parsed "near …" form of a search page, and what its template needs besides rows."""

    form: SearchForm
    sites: list[Any]
    materials: dict[str, Material]

    def query(self) -> OfferQuery:
        return OfferQuery(
            material=self.form.values.get("material") or None,
            geo=self.form.geo,
            min_quantity_t=self.form.min_quantity_t,
            mine=False,
            page=self.form.page,
            page_size=PAGE_SIZE,
        )

    async def rows(
        self, search: Callable[[OfferQuery], Awaitable[tuple[list[Any], int]]]
    ) -> tuple[list[Any], int]:
        """The results, or none when the form has errors (a service's become field messages)."""
        if self.form.errors:
            return [], 0
        try:
            return await search(self.query())
        except Problem as exc:
            self.form.errors.update(problem_errors(exc))
            return [], 0

    def render(
        self, template: str, member: Member, rows: list[Any], total: int, **extra: Any
    ) -> Template:
        return page(
            template,
            member,
            status=422 if self.form.errors else 200,
            form=self.form,
            errors=self.form.errors,
            rows=rows,
            total=total,
            pages=max(1, -(-total // PAGE_SIZE)),
            materials=self.materials,
            sites=self.sites,
            seats=lookups.district_seats(),
            crs_choices=CRS_CHOICES,
            **extra,
        )


async def search_page(
    request: Request[Any, Any, Any], member: Member, db: AsyncSession
) -> SearchPage:
    """Read the query string of a search page (an unknown material is a field message)."""
    sites = await lookups.my_sites(db, member)
    form = parse_search(dict(request.query_params), sites=sites, seats=lookups.district_seats())
    materials = await lookups.materials(db)
    material = form.values.get("material") or None
    if material is not None and material not in materials:
        form.errors.add("material", gettext("not in the catalogue"))
    return SearchPage(form=form, sites=sites, materials=materials)


# --- the detail pages ----------------------------------------------------------------------


async def detail_context(
    db: AsyncSession,
    member: Member,
    kind: OfferKind[OfferT],
    row: OfferT,
    settings: Settings,
    state: State,
) -> dict[str, Any]:
    """What a listing's and a demand's page both show: the material, its parameters in
    catalogue order, the best matches (for the poster and regulators), whether it is mine."""
    return {
        "material": await catalogue.get_material(db, row.material_code),
        "params": await lookups.ordered_parameters(db, row.material_code),
        "panel": await match_panel(db, member, kind, row, settings, state),
        "mine": row.organization_id in member.org_ids,
    }


# --- the post forms ------------------------------------------------------------------------


@dataclass(frozen=True)
class PostForm(Generic[BodyT]):
    """How one post form differs: its template and path, body, service and extra inputs."""

    #: The route names' middle: ``web-<name>-new`` and ``web-<name>-create``.
    name: str
    template: str
    path: str
    body: type[BodyT]
    #: The kind's own inputs copied as typed (beside :data:`OFFER_FIELDS`).
    fields: tuple[str, ...]
    #: The structured inputs (``spec.<key>``, ``requirements.<key>.min``) as the body's.
    structured: Callable[[Mapping[str, Any]], dict[str, Any]]
    create: Callable[[AsyncSession, User, BodyT], Awaitable[Listing | Demand]]
    #: More template context for the chosen material (a demand's grade presets).
    extra: Callable[[AsyncSession, Material], Awaitable[dict[str, Any]]] | None = None
    #: The structured inputs' name prefix (``spec.`` or ``requirements.``), numbers all.
    prefix: str = "spec."

    async def render(
        self,
        db: AsyncSession,
        member: Member,
        material_code: str | None,
        values: dict[str, str],
        errors: FormErrors,
        status: int = 200,
    ) -> Template:
        """Step 1 (choose a material) and, once chosen, step 2 (its inputs)."""
        materials = await lookups.materials(db)
        material = materials.get(material_code or "")
        if material_code and material is None:
            errors.add("material_code", gettext("not in the catalogue"))
        params = await lookups.ordered_parameters(db, material.code) if material else {}
        extra = await self.extra(db, material) if material and self.extra else {}
        return page(
            self.template,
            member,
            status=status,
            action=f"{self.path}/new",
            materials=materials,
            material=material,
            params=list(params.values()),
            sites=await lookups.my_sites(db, member),
            values=values,
            errors=errors,
            **extra,
        )

    async def blank(
        self, db: AsyncSession, member: Member, material: str | None, site_id: str | None
    ) -> Template:
        values = {"site_id": site_id or "", "status": "open"}
        return await self.render(db, member, material, values, FormErrors())

    async def submit(
        self, request: Request[Any, Any, Any], member: Member, db: AsyncSession
    ) -> Response[Any]:
        """Validate like the API, create with the service, or show the form with its errors."""
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        body = blank_to_none(form, OFFER_FIELDS + self.fields) | self.structured(form)
        # Every value outside its parameter's valid range at once, beside the validator's.
        material = values.get("material_code") or ""
        params = await lookups.ordered_parameters(db, material) if material else {}
        out_of_range = FormErrors()
        structured = {
            k: clean_number(v) for k, v in values.items() if k.startswith(self.prefix) and v.strip()
        }
        range_errors(structured, params, self.prefix, out_of_range)
        try:
            checked = self.body.model_validate(body)
        except ValidationError as exc:
            errors = pydantic_errors(exc)
            for name, messages in out_of_range.items():
                if not errors.for_prefix(name):
                    errors.setdefault(name, []).extend(messages)
            return await self.render(db, member, material, values, errors, 422)
        if out_of_range:
            return await self.render(db, member, material, values, out_of_range, 422)
        try:
            row = await self.create(db, member.user, checked)
        except ValidationError as exc:
            errors = pydantic_errors(exc)
            return await self.render(db, member, values.get("material_code"), values, errors, 422)
        except Problem as exc:
            member = await rollback(db, member)
            status = exc.status if exc.status in (403, 409) else 422
            errors = problem_errors(exc)
            return await self.render(
                db, member, values.get("material_code"), values, errors, status
            )
        return Redirect(f"{self.path}/{row.id}", status_code=303)

    def routes(self) -> list[HTTPRouteHandler]:
        """``GET <path>/new`` (the form, step 1 or 2) and ``POST <path>/new`` (submit)."""

        @get(f"{self.path}/new", name=f"web-{self.name}-new")
        async def new_form(
            member: Member,
            db: Db,
            material: FromQuery[str | None] = None,
            site_id: FromQuery[str | None] = None,
        ) -> Template:
            return await self.blank(db, member, material, site_id)

        @post(f"{self.path}/new", name=f"web-{self.name}-create")
        async def create(request: Request[Any, Any, Any], member: Member, db: Db) -> Response[Any]:
            return await self.submit(request, member, db)

        return [new_form, create]
