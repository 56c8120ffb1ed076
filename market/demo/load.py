"""Load the deterministic Jingmen demo data (``market demo load``).

Idempotent: users are matched by e-mail and organisations by 统一社会信用代码; an
organisation that already exists keeps its sites, listings and demands untouched, so a
second run adds nothing. Everything goes through the same services as the API, so the demo
data obeys every rule real data does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Permit, Site, User
from market.accounts.organizations import OrganizationInput, create_organization
from market.accounts.service import create_user, normalise_email
from market.accounts.sites import SiteInput, create_site
from market.accounts.verification import mark_verified
from market.core.audit import SYSTEM
from market.demo.ledgers import load_demo_ledgers
from market.demo.seed import DemoData, DemoOrg, DemoUser, build_demo
from market.geo.regions import RegionLocator, load_locator
from market.offers.demands import create_demand
from market.offers.listings import create_listing
from market.offers.schemas import DemandIn, ListingIn, bounds_in


@dataclass
class DemoReport:
    organizations: int = 0
    sites: int = 0
    listings: int = 0
    demands: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"demo data: added {self.organizations} organisations, {self.sites} sites, "
            f"{self.listings} listings, {self.demands} demand requests"
            + (" (already loaded: nothing to add)" if self.organizations == 0 else ""),
            "demo logins (e-mail / password):",
        ]
        lines += [f"  {role:<10} {email} / {password}" for role, email, password in self.logins]
        return "\n".join(lines)


async def _user(session: AsyncSession, u: DemoUser, role: str = "user") -> User:
    existing = (
        await session.exec(select(User).where(User.email == normalise_email(u.email)))
    ).first()
    if existing is not None:
        return existing
    return await create_user(session, u.email, u.password, u.display_name, role)


async def _load_org(
    session: AsyncSession, data: DemoData, org: DemoOrg, locator: RegionLocator, report: DemoReport
) -> None:
    if (await session.exec(select(Organization.id).where(Organization.uscc == org.uscc))).first():
        return
    role = "regulator" if org.kind == "regulator" else "user"
    admin = await _user(session, org.admin, role)
    created = await create_organization(
        session,
        admin,
        OrganizationInput(org.name, org.uscc, org.kind, org.district_code),
        allow_regulator=True,
    )
    assert created.id is not None
    created.miit_listed = org.miit_listed
    # The city's own demo organisations: verified, or the demo could not close large deals.
    await mark_verified(session, created, SYSTEM, method="demo", note="market demo load")
    for permit in org.permits:
        session.add(
            Permit(
                organization_id=created.id,
                kind=permit.kind,
                number=f"鄂危废{created.id:04d}",
                valid_until=permit.valid_until,
            )
        )
    report.organizations += 1
    site_ids: dict[str, int] = {}
    for s in org.sites:
        site: Site = await create_site(
            session,
            admin,
            created.id,
            SiteInput(name=s.name, address=s.address, lon=s.lon, lat=s.lat),
            locate=locator.locate,
        )
        assert site.id is not None
        site_ids[s.key] = site.id
        report.sites += 1
    for lst in data.listings:
        if lst.site_key in site_ids:
            listing = await create_listing(
                session,
                admin,
                ListingIn(
                    site_id=site_ids[lst.site_key],
                    material_code=lst.material,
                    quantity_t=lst.quantity_t,
                    cadence=lst.cadence,
                    spec=lst.spec,
                    price_cny_t=lst.price_cny_t,
                    available_from=lst.available_from,
                    available_until=lst.available_until,
                    status="open",
                    title=lst.title,
                ),
            )
            listing.status = lst.status  # demo history: closed/withdrawn lots bypass the flow
            report.listings += 1
    for d in data.demands:
        if d.site_key in site_ids:
            demand = await create_demand(
                session,
                admin,
                DemandIn(
                    site_id=site_ids[d.site_key],
                    material_code=d.material,
                    quantity_t=d.quantity_t,
                    cadence=d.cadence,
                    requirements=bounds_in(d.requirements),
                    grade=d.grade,
                    max_haul_km=d.max_haul_km,
                    max_price_cny_t=d.max_price_cny_t,
                    status="open",
                    title=d.title,
                    use=d.use,
                ),
            )
            demand.status = d.status
            report.demands += 1
    await session.flush()


async def load_demo(session: AsyncSession) -> DemoReport:
    data = build_demo()
    locator = await load_locator(session)
    report = DemoReport()
    for org in data.orgs:
        await _load_org(session, data, org, locator, report)
    await load_demo_ledgers(session)
    await _user(session, data.platform_admin, "admin")
    report.logins = [
        ("admin", data.platform_admin.email, data.platform_admin.password),
        ("regulator", data.regulator.email, data.regulator.password),
    ]
    for org in data.orgs:
        if org.kind != "regulator" and len(report.logins) < 8:
            report.logins.append((org.kind, org.admin.email, org.admin.password))
    return report
