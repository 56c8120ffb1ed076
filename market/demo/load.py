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
from market.core.settings import Settings
from market.demo.ledgers import load_demo_ledgers
from market.demo.seed import DemoData, DemoOrg, DemoUser, build_demo
from market.demo.trades import TradeReport, load_demo_trades
from market.geo.regions import RegionLocator, load_locator
from market.ledger.models import Ledger
from market.offers.demands import create_demand
from market.offers.listings import create_listing
from market.offers.schemas import DemandIn, ListingIn, bounds_in


@dataclass
class DemoReport:
    organizations: int = 0
    sites: int = 0
    listings: int = 0
    demands: int = 0
    trades: TradeReport = field(default_factory=TradeReport)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        t = self.trades
        lines = [
            f"demo data: added {self.organizations} organisations, {self.sites} sites, "
            f"{self.listings} listings, {self.demands} demand requests, {t.deals} deals with "
            f"{t.shipments} received loads ({t.tonnes.normalize():f} t, {t.disputes} disputed "
            "and settled)"
            + (" (already loaded: nothing to add)" if self.organizations == 0 else ""),
            "demo logins (role: e-mail / password):",
        ]
        width = max((len(role) for role, _, _ in self.logins), default=0) + 1
        lines += [
            f"  {role + ':':<{width}} {email} / {password}" for role, email, password in self.logins
        ]
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


async def _ledgers_loaded(session: AsyncSession) -> bool:
    """Whether the demo ledgers are in the database (the story must come before them)."""
    return (
        await session.exec(select(Ledger.id).where(Ledger.note == "demo").limit(1))
    ).first() is not None


async def load_demo(session: AsyncSession, settings: Settings | None = None) -> DemoReport:
    """Load the demo; ``settings`` (default: from the environment) give the receipt tolerance
    the demo's weighbridge differences stay within (and its one dispute exceeds)."""
    data = build_demo()
    locator = await load_locator(session)
    report = DemoReport()
    for org in data.orgs:
        await _load_org(session, data, org, locator, report)
    # The year's trading before the ledgers, which book its receipts; once the ledgers are
    # in, neither runs again (market.demo.trades).
    if not await _ledgers_loaded(session):
        settings = settings or Settings.from_env()
        report.trades = await load_demo_trades(session, data, settings)
        report.listings += report.trades.lots
    await load_demo_ledgers(session)
    await _user(session, data.platform_admin, "admin")
    report.logins = [("admin", data.platform_admin.email, data.platform_admin.password)]
    report.logins += [
        (org.login, org.admin.email, org.admin.password)
        for org in sorted(data.orgs, key=lambda o: o.kind != "regulator")
        if org.login
    ]
    return report
